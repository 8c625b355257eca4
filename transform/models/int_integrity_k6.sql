-- K6 aggregates against records, each judged month by month where both
-- sides exist:
--   pension     a month whose pension_enrolled exceeds flex_registered
--               (figure: the largest ratio, threshold 1);
--   ledger      a month's subsidy rows summed more than the gap (default 2%)
--               from the province's finance ledger (reference/funds.csv
--               paid_yuan): rows dropped or added. Judged where the city has
--               a version that counts (a missing month is 未报送 already);
--   allocation  a month's reported fund_allocated more than the gap (default
--               1%) from the province's allocation;
--   funds       the period's subsidy payments above the province's
--               allocation × the factor (default 1.2), when every due month
--               has an allocation.
-- Figures are shares of the province's figure; reference: that figure in
-- yuan. Evidence: the months and their uploads.
WITH p AS (SELECT * FROM scratch.params),
t AS (SELECT * FROM scratch.integrity_params),
sv AS (SELECT s.* FROM scratch.stg_services s, p WHERE s.month BETWEEN p.period_start AND p.period_end),
pension AS (
    SELECT city_code, upload_id, row_no, month, pension_enrolled / flex_registered AS ratio,
           max(pension_enrolled / flex_registered) OVER (PARTITION BY city_code) AS figure,
           count(*) OVER (PARTITION BY city_code) AS cases
    FROM sv WHERE pension_enrolled > flex_registered
),
funds AS (
    SELECT f.* FROM scratch.ref_funds f JOIN scratch.ref_months USING (month)
),
subsidy_months AS (
    SELECT v.city_code, v.month, v.upload_id,
           coalesce((SELECT sum(s.amount_fen) FROM scratch.stg_subsidies s WHERE s.upload_id = v.upload_id), 0) AS paid_fen
    FROM scratch.int_counting_versions v JOIN scratch.ref_months USING (month)
    WHERE v.kind = 'subsidies'
),
ledger AS (
    SELECT m.city_code, m.month, m.upload_id, abs(m.paid_fen - f.paid_fen) / f.paid_fen AS figure, f.paid_fen / 100.0 AS reference
    FROM subsidy_months m JOIN funds f USING (city_code, month), t
    WHERE f.paid_fen > 0 AND abs(m.paid_fen - f.paid_fen) > t.ledger_gap * f.paid_fen
),
allocation AS (
    SELECT s.city_code, s.month, s.upload_id, s.row_no,
           abs(s.fund_allocated_fen - f.allocated_fen) / f.allocated_fen AS figure, f.allocated_fen / 100.0 AS reference
    FROM sv s JOIN funds f USING (city_code, month), t
    WHERE f.allocated_fen > 0 AND s.fund_allocated_fen IS NOT NULL
      AND abs(s.fund_allocated_fen - f.allocated_fen) > t.allocation_gap * f.allocated_fen
),
allocated AS (
    SELECT city_code, sum(allocated_fen) AS fund_fen, count(*) AS months FROM funds GROUP BY city_code
),
paid AS (
    SELECT s.city_code, sum(s.amount_fen) AS paid_fen FROM scratch.stg_subsidies s, p
    WHERE s.paid_on BETWEEN p.period_start AND p.period_end GROUP BY s.city_code
),
overspent AS (
    SELECT a.city_code, paid.paid_fen / a.fund_fen AS figure, a.fund_fen
    FROM allocated a JOIN paid USING (city_code), p, t
    WHERE a.months = p.months AND a.fund_fen > 0 AND paid.paid_fen > t.fund_factor * a.fund_fen
)
SELECT 'K6' AS check_id, city_code, 'pension' AS subject, '' AS finding_key,
       figure, 1.0 AS threshold, NULL::DOUBLE AS reference, cases,
       upload_id, row_no, month, NULL AS id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM pension
UNION ALL
SELECT 'K6', city_code, 'ledger', strftime(month, '%Y-%m'), figure, t.ledger_gap, reference, 1,
       upload_id, NULL, month, NULL, NULL, NULL, NULL
FROM ledger, t
UNION ALL
SELECT 'K6', city_code, 'allocation', strftime(month, '%Y-%m'), figure, t.allocation_gap, reference, 1,
       upload_id, row_no, month, NULL, NULL, NULL, NULL
FROM allocation, t
UNION ALL
SELECT 'K6', o.city_code, 'funds', '', o.figure, t.fund_factor, o.fund_fen / 100.0, p.months,
       sv.upload_id, sv.row_no, sv.month, NULL, NULL, NULL, NULL
FROM overspent o, t, p, sv
WHERE sv.city_code = o.city_code
