-- The assessment indicators: one row per city × declared indicator with its
-- numerator, denominator and value (numerator ÷ denominator × scale, at most
-- the declared cap; NULL when the denominator is 0 or the data is missing),
-- so every figure traces back to counts. Dimension, title, scale and cap come
-- from the one declaration (work.ref_indicators).
WITH p AS (SELECT * FROM work.params),
reg AS (
    SELECT r.* FROM work.stg_registrations r, p WHERE r.applied_on BETWEEN p.period_start AND p.period_end
),
flex AS (SELECT * FROM reg WHERE reg_type = '灵活就业登记'),
tr AS (
    SELECT t.* FROM work.stg_trainings t, p WHERE t.ended_on BETWEEN p.period_start AND p.period_end
),
sv AS (
    SELECT s.* FROM work.stg_services s, p WHERE s.month BETWEEN p.period_start AND p.period_end
),
sv_last AS (
    SELECT sv.* FROM sv, p WHERE sv.month = p.last_month
),
si_paid AS (
    SELECT DISTINCT s.person_id FROM work.stg_subsidies s, p
    WHERE s.subsidy_type = '社会保险补贴' AND s.paid_on BETWEEN p.period_start AND p.period_end
),
ruled AS (
    SELECT s.upload_id, s.row_no, s.city_code FROM work.stg_subsidies s, p
    WHERE s.paid_on BETWEEN p.period_start AND p.period_end
      AND s.subsidy_type IN ('社会保险补贴', '创业场地补贴', '公益性岗位补贴')
),
counts AS (
    SELECT 'I1' AS indicator, city_code, count(DISTINCT person_id)::DOUBLE AS numerator, NULL::DOUBLE AS denominator FROM flex GROUP BY city_code
    UNION ALL SELECT 'I2', city_code, count(*) FILTER (employment_form = '新就业形态'), count(*) FROM flex GROUP BY city_code
    UNION ALL SELECT 'I3', city_code, count(*) FILTER (person_group IN ('高校毕业生', '农民工', '就业困难人员', '脱贫人口')), count(*) FROM flex GROUP BY city_code
    UNION ALL SELECT 'I4', city_code, count(*) FILTER (status = 'on_time'), count(*) FILTER (status IN ('on_time', 'late')) FROM work.int_unemployment_timeliness GROUP BY city_code
    UNION ALL SELECT 'I5', city_code, count(*) FILTER (channel = '线上'), count(*) FROM reg GROUP BY city_code
    UNION ALL SELECT 'I6', city_code, sum(gig_matches), sum(gig_postings) FROM sv GROUP BY city_code
    UNION ALL SELECT 'I7', city_code, sum(gig_markets), NULL FROM sv_last GROUP BY city_code
    UNION ALL SELECT 'I8', f.city_code, count(*) FILTER (si.person_id IS NOT NULL), count(*)
              FROM work.int_flexible_registrants f LEFT JOIN si_paid si USING (person_id) WHERE f.si_eligible GROUP BY f.city_code
    UNION ALL SELECT 'I9', city_code, count(*) FILTER (certified), count(*) FROM tr GROUP BY city_code
    UNION ALL SELECT 'I10', city_code, count(*) FILTER (training_type = '新职业培训'), count(*) FROM tr GROUP BY city_code
    UNION ALL SELECT 'I11', city_code, count(*) FILTER (completed AND employed_6m = '是'), count(*) FILTER (completed AND employed_6m IN ('是', '否')) FROM tr GROUP BY city_code
    UNION ALL SELECT 'I12', city_code, sum(loans_online), sum(loans_applied) FROM sv GROUP BY city_code
    UNION ALL SELECT 'I13', s.city_code, sum(s.pension_enrolled), NULL FROM sv_last s GROUP BY s.city_code
    UNION ALL SELECT 'I14', city_code, sum(complaints_closed), sum(complaints_received) FROM sv GROUP BY city_code
    UNION ALL SELECT 'I15', r.city_code, count(*) FILTER (b.upload_id IS NULL), count(*)
              FROM ruled r LEFT JOIN (SELECT DISTINCT upload_id, row_no FROM work.int_subsidy_breaches) b USING (upload_id, row_no) GROUP BY r.city_code
    UNION ALL SELECT 'I16', city_code, count(*) FILTER (on_time), count(*) FROM work.int_extract_timeliness GROUP BY city_code
),
filled AS (
    -- Denominators that are not counts of the same rows: population for I1
    -- and I7, I1's distinct persons for I13.
    SELECT i.indicator, i.ordinal, i.dimension, i.title, i.scale, i.cap, c.code AS city_code,
           coalesce(k.numerator, CASE WHEN i.indicator IN ('I1', 'I16') THEN 0 END) AS numerator,
           CASE i.indicator
               WHEN 'I1' THEN c.population
               WHEN 'I7' THEN CASE WHEN k.numerator IS NOT NULL THEN c.population END
               WHEN 'I13' THEN (SELECT k1.numerator FROM counts k1 WHERE k1.indicator = 'I1' AND k1.city_code = c.code)
               ELSE k.denominator
           END AS denominator
    FROM work.ref_indicators i
    CROSS JOIN work.ref_cities c
    LEFT JOIN counts k ON k.indicator = i.indicator AND k.city_code = c.code
)
SELECT city_code, indicator, ordinal, dimension, title, numerator, denominator,
       CASE
           WHEN numerator IS NULL OR denominator IS NULL OR denominator = 0 THEN NULL
           WHEN cap IS NOT NULL THEN least(cap, numerator / denominator * scale)
           ELSE numerator / denominator * scale
       END AS value
FROM filled
ORDER BY city_code, ordinal
