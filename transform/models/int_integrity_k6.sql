-- K6 aggregates against records: a month whose pension_enrolled exceeds
-- flex_registered (figure: the largest ratio, threshold 1); or the period's
-- subsidy payments above fund_allocated × the factor (default 1.2), judged
-- only for a city that reported its funds for every due month. Evidence: the
-- months and their services uploads.
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
    SELECT city_code, sum(fund_allocated_fen) AS fund_fen, count(fund_allocated_fen) AS months
    FROM sv GROUP BY city_code
),
paid AS (
    SELECT s.city_code, sum(s.amount_fen) AS paid_fen FROM scratch.stg_subsidies s, p
    WHERE s.paid_on BETWEEN p.period_start AND p.period_end GROUP BY s.city_code
),
overspent AS (
    SELECT f.city_code, paid.paid_fen / f.fund_fen AS figure, f.fund_fen
    FROM funds f JOIN paid USING (city_code), p, t
    WHERE f.months = p.months AND f.fund_fen > 0 AND paid.paid_fen > t.fund_factor * f.fund_fen
)
SELECT 'K6' AS check_id, city_code, 'pension' AS subject, '' AS finding_key,
       figure, 1.0 AS threshold, NULL::DOUBLE AS reference, cases,
       upload_id, row_no, month, NULL AS id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM pension
UNION ALL
SELECT 'K6', o.city_code, 'funds', '', o.figure, t.fund_factor, o.fund_fen / 100.0, p.months,
       sv.upload_id, sv.row_no, sv.month, NULL, NULL, NULL, NULL
FROM overspent o, t, p, sv
WHERE sv.city_code = o.city_code
