-- The assessment indicators: one row per city × declared indicator with its
-- numerator, denominator and value (numerator ÷ denominator × scale, at most
-- the declared cap; NULL when the denominator is 0 or the data is missing),
-- so every figure traces back to counts. Dimension, title, scale, cap and
-- source kinds come from the one declaration (scratch.ref_indicators). Only the
-- months due as of the assessment's date count (scratch.params), each with
-- its version that counts (int_counting_versions).
--
-- Missing or zero data is never an advantage:
--   withheld   未报送: the city has no version that counts of a source kind
--              for one or more due months (judged month by month); scored
--              lowest, never left out.
--   zero_floor 无数据·计最低: the denominator is 0 from the city's own data
--              (an empty extract, a zero it reported); scored lowest too,
--              unless a reviewer accepted the zero (scratch.accepted_zeros).
--   otherwise a NULL value is 无数据 and left out: a zero from the province's
--   own tables (no fund allocation for I20), an accepted zero, or a
--   version-2 column before 2025.
WITH p AS (SELECT * FROM scratch.params),
reg AS (
    SELECT r.* FROM scratch.stg_registrations r, p WHERE r.applied_on BETWEEN p.period_start AND p.period_end
),
flex AS (SELECT * FROM reg WHERE reg_type = '灵活就业登记'),
-- Trainings of flexible workers only (measure 5 is about them).
tr AS (
    SELECT t.* FROM scratch.stg_trainings t, p WHERE t.flexible_worker AND t.ended_on BETWEEN p.period_start AND p.period_end
),
-- I11's cases: flexible workers' completed trainings that ended in the
-- window of the period's length ending six months before its end. The
-- window counts only once every city could have sent it: not when it starts
-- before the first month anyone uploaded.
lag AS (
    SELECT coalesce(any_value(p.lag_start) >= min(v.month), false) AS known FROM p, scratch.int_counting_versions v
),
tr_lagged AS (
    SELECT t.* FROM scratch.stg_trainings t, p, lag
    WHERE lag.known AND t.flexible_worker AND t.completed AND t.ended_on BETWEEN p.lag_start AND p.lag_end
),
allocated AS (
    SELECT f.city_code, sum(f.allocated_fen)::DOUBLE AS fen
    FROM scratch.ref_funds f JOIN scratch.ref_months m USING (month) GROUP BY f.city_code
),
sv AS (
    SELECT s.* FROM scratch.stg_services s, p WHERE s.month BETWEEN p.period_start AND p.period_end
),
sv_last AS (
    SELECT sv.* FROM sv, p WHERE sv.month = p.last_month
),
paid AS (
    SELECT s.* FROM scratch.stg_subsidies s, p WHERE s.paid_on BETWEEN p.period_start AND p.period_end
),
si_paid AS (SELECT DISTINCT person_id FROM paid WHERE subsidy_type = '社会保险补贴'),
training_paid AS (SELECT DISTINCT person_id FROM paid WHERE subsidy_type = '职业培训补贴'),
trained AS (SELECT DISTINCT city_code, person_id FROM tr WHERE completed),
ruled AS (
    SELECT upload_id, row_no, city_code FROM paid
    WHERE subsidy_type IN ('社会保险补贴', '创业场地补贴', '公益性岗位补贴')
),
counts AS (
    SELECT 'I1' AS indicator, city_code, count(DISTINCT person_id)::DOUBLE AS numerator, NULL::DOUBLE AS denominator FROM flex GROUP BY city_code
    UNION ALL SELECT 'I2', city_code, count(*) FILTER (employment_form = '新就业形态'), count(*) FROM flex GROUP BY city_code
    UNION ALL SELECT 'I3', city_code, count(*) FILTER (person_group IN ('高校毕业生', '农民工', '就业困难人员', '脱贫人口')), count(*) FROM flex GROUP BY city_code
    UNION ALL SELECT 'I4', city_code, count(*) FILTER (status = 'on_time'), count(*) FILTER (status IN ('on_time', 'late')) FROM scratch.int_unemployment_timeliness GROUP BY city_code
    UNION ALL SELECT 'I5', city_code, count(*) FILTER (channel = '线上'), count(*) FROM reg GROUP BY city_code
    UNION ALL SELECT 'I6', city_code, sum(gig_matches), sum(gig_postings) FROM sv GROUP BY city_code
    UNION ALL SELECT 'I7', city_code, sum(gig_markets), NULL FROM sv_last GROUP BY city_code
    UNION ALL SELECT 'I17', city_code, sum(hr_served_flex), NULL FROM sv GROUP BY city_code
    UNION ALL SELECT 'I8', f.city_code, count(*) FILTER (si.person_id IS NOT NULL), count(*)
              FROM scratch.int_flexible_registrants f LEFT JOIN si_paid si USING (person_id) WHERE f.si_eligible GROUP BY f.city_code
    UNION ALL SELECT 'I9', city_code, count(*) FILTER (certified), count(*) FROM tr GROUP BY city_code
    UNION ALL SELECT 'I10', city_code, count(*) FILTER (training_type = '新职业培训'), count(*) FROM tr GROUP BY city_code
    UNION ALL SELECT 'I11', city_code, count(*) FILTER (employed_6m = '是'), count(*) FROM tr_lagged GROUP BY city_code
    UNION ALL SELECT 'I12', city_code, sum(loans_online), sum(loans_applied) FROM sv GROUP BY city_code
    UNION ALL SELECT 'I18', t.city_code, count(*) FILTER (tp.person_id IS NOT NULL), count(*)
              FROM trained t LEFT JOIN training_paid tp USING (person_id) GROUP BY t.city_code
    UNION ALL SELECT 'I19', city_code, sum(title_passed_flex), sum(title_applied_flex) FROM sv GROUP BY city_code
    UNION ALL SELECT 'I20', f.city_code, coalesce(a.amount_fen, 0), f.fen
              FROM allocated f
              LEFT JOIN (SELECT city_code, sum(amount_fen)::DOUBLE AS amount_fen FROM paid GROUP BY city_code) a USING (city_code)
    UNION ALL SELECT 'I13', city_code, sum(pension_enrolled), sum(flex_registered) FROM sv_last GROUP BY city_code
    UNION ALL SELECT 'I14', city_code, sum(complaints_closed), sum(complaints_received) FROM sv GROUP BY city_code
    UNION ALL SELECT 'I21', city_code, sum(parttime_written), sum(parttime_checked) FROM sv GROUP BY city_code
    UNION ALL SELECT 'I15', r.city_code, count(*) FILTER (b.upload_id IS NULL), count(*)
              FROM ruled r LEFT JOIN (SELECT DISTINCT upload_id, row_no FROM scratch.int_subsidy_breaches) b USING (upload_id, row_no) GROUP BY r.city_code
    UNION ALL SELECT 'I16', city_code, count(*) FILTER (on_time), count(*) FROM scratch.int_extract_timeliness GROUP BY city_code
    UNION ALL SELECT 'I22', city_code, sum(publicity_events), NULL FROM sv GROUP BY city_code
),
-- Each city × kind: whether it has a version that counts for every due
-- month of the period.
sent AS (
    SELECT city_code, kind, bool_and(sent) AS sent FROM scratch.int_extract_timeliness GROUP BY ALL
),
withheld AS (
    SELECT s.indicator, sent.city_code, bool_or(NOT sent.sent) AS withheld
    FROM scratch.ref_indicator_sources s JOIN sent USING (kind)
    GROUP BY ALL
),
filled AS (
    -- Denominators that are not counts of the same rows: population for the
    -- per-capita rates, when the numerator exists.
    -- I1 and I16 count persons and extracts: none is a count of 0.
    SELECT i.indicator, i.ordinal, i.dimension, i.title, i.scale, i.cap, c.code AS city_code,
           coalesce(k.numerator, CASE WHEN i.indicator IN ('I1', 'I16') THEN 0 END) AS numerator,
           CASE
               WHEN i.unit = 'per_capita' AND (k.numerator IS NOT NULL OR i.indicator = 'I1') THEN c.population
               WHEN i.unit = 'per_capita' THEN NULL
               ELSE k.denominator
           END AS denominator,
           coalesce(w.withheld, false) AS withheld,
           -- A ratio of the city's own counts with nothing to divide by: no
           -- rows (no group in counts) or a reported zero. A NULL sum (a
           -- version-2 column an earlier month lacks) is not a zero. I20's
           -- denominator is the province's, never the city's.
           i.unit <> 'per_capita' AND i.indicator NOT IN ('I16', 'I20')
               AND (k.city_code IS NULL OR coalesce(k.denominator = 0, false))
               AND (i.indicator <> 'I11' OR (SELECT known FROM lag))
               AS zero_denominator,
           (c.code, i.indicator) IN (SELECT (city_code, indicator) FROM scratch.accepted_zeros) AS accepted_zero
    FROM scratch.ref_indicators i
    CROSS JOIN scratch.ref_cities c
    LEFT JOIN counts k ON k.indicator = i.indicator AND k.city_code = c.code
    LEFT JOIN withheld w ON w.indicator = i.indicator AND w.city_code = c.code
)
SELECT city_code, indicator, ordinal, dimension, title, numerator, denominator,
       CASE
           WHEN withheld OR numerator IS NULL OR denominator IS NULL OR denominator = 0 THEN NULL
           WHEN cap IS NOT NULL THEN least(cap, numerator / denominator * scale)
           ELSE numerator / denominator * scale
       END AS value,
       withheld,
       zero_denominator AND NOT withheld AND NOT accepted_zero AS zero_floor
FROM filled
ORDER BY city_code, ordinal
