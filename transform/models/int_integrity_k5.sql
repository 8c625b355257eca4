-- K5 period-end bunching: over the share (default 0.4) of a quarter's
-- 灵活就业登记 applied in its last days (default 10), for each quarter of the
-- period whose last month is due and for which the city sent all three
-- months' registrations (a missing month would inflate the share). Evidence:
-- the rows of those last days.
WITH p AS (SELECT * FROM scratch.params),
t AS (SELECT * FROM scratch.integrity_params),
flex AS (
    SELECT r.city_code, r.upload_id, r.row_no, r.id_masked, r.applied_on,
           date_trunc('quarter', r.applied_on)::DATE AS quarter
    FROM scratch.stg_registrations r, p
    WHERE r.reg_type = '灵活就业登记' AND r.applied_on BETWEEN p.period_start AND p.period_end
),
marked AS (
    SELECT f.*, f.applied_on > (f.quarter + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE - t.bunching_days AS late
    FROM flex f, t
),
shares AS (
    SELECT city_code, quarter, avg(late::INTEGER) AS share, count(*) FILTER (late) AS n
    FROM marked GROUP BY ALL
),
complete AS (
    SELECT city_code, date_trunc('quarter', month)::DATE AS quarter FROM scratch.int_counting_versions
    WHERE kind = 'registrations' GROUP BY ALL HAVING count(DISTINCT month) = 3
)
SELECT 'K5' AS check_id, s.city_code, 'registrations' AS subject,
       strftime(s.quarter, '%Y') || 'Q' || quarter(s.quarter) AS finding_key,
       s.share AS figure, t.bunching_share AS threshold, t.bunching_days::DOUBLE AS reference, s.n AS cases,
       m.upload_id, m.row_no, NULL::DATE AS month, m.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM shares s, t, p, marked m
WHERE s.share > t.bunching_share
  AND (s.city_code, s.quarter) IN (SELECT (city_code, quarter) FROM complete)
  AND (s.quarter + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE <= p.period_end
  AND m.city_code = s.city_code AND m.quarter = s.quarter AND m.late
