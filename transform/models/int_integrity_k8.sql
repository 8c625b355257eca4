-- K8 completion-time shift: the city's share of 失业登记 completed within 1
-- working day (of all applied in the period, pending ones included) is more
-- than the rise (default 0.3) above its share over the previous four periods
-- of the same length taken together, with at least the cases needed
-- (default 30) in the period and in each of those four. Moving completion
-- dates to the next day lifts I4 without tripping K3's same-day test; this
-- sees it. Reference: the earlier share. Evidence: the quick rows.
WITH p AS (SELECT * FROM scratch.params),
t AS (SELECT * FROM scratch.integrity_params),
cases AS (
    SELECT r.city_code, r.upload_id, r.row_no, r.id_masked,
           coalesce(cc.workday_no - ca.workday_no <= 1, false) AS quick,
           CASE WHEN r.applied_on >= p.period_start THEN 0
                ELSE (datediff('month', date_trunc('month', r.applied_on), p.period_start) + p.period_months - 1) // p.period_months
           END AS back
    FROM scratch.src_registrations r
    JOIN scratch.int_counting_versions u USING (upload_id)
    CROSS JOIN p
    JOIN scratch.int_calendar ca ON ca.day = r.applied_on
    LEFT JOIN scratch.int_calendar cc ON cc.day = r.completed_on
    WHERE u.month BETWEEN getvariable('shift_start') AND getvariable('period_end')
      AND r.applied_on BETWEEN getvariable('shift_start') AND getvariable('period_end')
      AND r.reg_type = '失业登记'
),
periods AS (
    SELECT city_code, back, count(*) AS n, count(*) FILTER (quick) AS quick FROM cases GROUP BY ALL
),
shares AS (
    SELECT city_code,
           sum(quick) FILTER (back = 0) / sum(n) FILTER (back = 0) AS share,
           sum(quick) FILTER (back > 0) / sum(n) FILTER (back > 0) AS before,
           sum(quick) FILTER (back = 0) AS quick
    FROM periods, t
    GROUP BY city_code
    HAVING count(*) FILTER (n >= t.shift_cases AND back BETWEEN 0 AND 4) = 5
)
SELECT 'K8' AS check_id, s.city_code, 'registrations' AS subject, '' AS finding_key,
       s.share - s.before AS figure, t.shift_rise AS threshold, s.before AS reference, s.quick AS cases,
       c.upload_id, c.row_no, NULL::DATE AS month, c.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM shares s, t, cases c
WHERE s.share - s.before > t.shift_rise AND c.city_code = s.city_code AND c.back = 0 AND c.quick
