-- K8 completion-time shift: the city's share of 失业登记 completed within 1
-- working day (of all applied in a window, pending ones included) is more
-- than the rise (default 0.3) above its share over the four windows of the
-- same length before it taken together, with at least the cases needed
-- (default 30) in the window and in each of those four. The window is the
-- period (finding_key ''), and for a year also each of its quarters that is
-- wholly due (finding_key 2025Q3): a year is held against four earlier
-- years, which a young database does not have, so a shift within the year
-- shows through its quarter. Moving completion dates to the next day lifts
-- I4 without tripping K3's same-day test; this sees it. Reference: the
-- earlier share. Evidence: the quick rows.
-- And (subject "limit") the share completed on the 5th, 6th or 7th working
-- day more than shift_limit (default 2) × its share over the four windows
-- before, with at least the cases needed in the window and in those four
-- together: deadlines met by moving completion dates to the limit. Figure:
-- the share at the limit; threshold: shift_limit × the share before, the
-- reference; evidence: the rows at the limit.
WITH p AS (SELECT * FROM scratch.params),
t AS (SELECT * FROM scratch.integrity_params),
windows AS (
    SELECT '' AS win, p.period_start AS start, p.period_end AS stop, p.period_months AS len FROM p
    UNION ALL
    SELECT strftime(q, '%Y') || 'Q' || quarter(q), q::DATE, (q + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE, 3
    FROM p, generate_series(p.period_start::TIMESTAMP, p.period_end::TIMESTAMP, INTERVAL 3 MONTH) g(q)
    WHERE p.period_months = 12 AND (q + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE <= p.period_end
),
cases AS (
    SELECT r.city_code, r.upload_id, r.row_no, r.id_masked, r.applied_on,
           coalesce(cc.workday_no - ca.workday_no <= 1, false) AS quick,
           coalesce(cc.workday_no - ca.workday_no BETWEEN 5 AND 7, false) AS at_limit
    FROM scratch.src_registrations r
    JOIN scratch.int_counting_versions u USING (upload_id)
    JOIN scratch.int_calendar ca ON ca.day = r.applied_on
    LEFT JOIN scratch.int_calendar cc ON cc.day = r.completed_on
    WHERE u.month BETWEEN getvariable('shift_start') AND getvariable('period_end')
      AND r.applied_on BETWEEN getvariable('shift_start') AND getvariable('period_end')
      AND r.reg_type = '失业登记'
),
-- Counted by city and month once, then placed: each month in a window
-- (back 0) or in one of the four before it (1–4).
monthly AS (
    SELECT city_code, date_trunc('month', applied_on)::DATE AS month, count(*) AS n, count(*) FILTER (quick) AS quick,
           count(*) FILTER (at_limit) AS at_limit
    FROM cases GROUP BY ALL
),
periods AS (
    SELECT w.win, w.start, w.stop, m.city_code,
           CASE WHEN m.month >= w.start THEN 0 ELSE (datediff('month', m.month, w.start) + w.len - 1) // w.len END AS back,
           sum(m.n) AS n, sum(m.quick) AS quick, sum(m.at_limit) AS at_limit
    FROM windows w JOIN monthly m ON m.month BETWEEN (w.start - to_months(4 * w.len))::DATE AND w.stop
    GROUP BY ALL
),
shares AS (
    SELECT win, start, stop, city_code,
           sum(quick) FILTER (back = 0) / sum(n) FILTER (back = 0) AS share,
           sum(quick) FILTER (back > 0) / sum(n) FILTER (back > 0) AS before,
           sum(quick) FILTER (back = 0) AS quick,
           sum(at_limit) FILTER (back = 0) / sum(n) FILTER (back = 0) AS limit_share,
           sum(at_limit) FILTER (back > 0) / sum(n) FILTER (back > 0) AS limit_before,
           sum(at_limit) FILTER (back = 0) AS at_limit,
           count(*) FILTER (n >= t.shift_cases) = 5 AS every_window,
           coalesce(sum(n) FILTER (back = 0), 0) >= t.shift_cases AND coalesce(sum(n) FILTER (back > 0), 0) >= t.shift_cases AS enough
    FROM periods, t
    GROUP BY win, start, stop, city_code, t.shift_cases
),
found AS (
    SELECT s.*, 'registrations' AS subject, s.share - s.before AS figure, t.shift_rise AS threshold, s.before AS reference, s.quick AS cases
    FROM shares s, t WHERE s.every_window AND s.share - s.before > t.shift_rise
    UNION ALL
    SELECT s.*, 'limit', s.limit_share, t.shift_limit * s.limit_before, s.limit_before, s.at_limit
    FROM shares s, t WHERE s.enough AND s.limit_share > t.shift_limit * s.limit_before
)
SELECT 'K8' AS check_id, f.city_code, f.subject, f.win AS finding_key,
       f.figure, f.threshold, f.reference, f.cases,
       c.upload_id, c.row_no, NULL::DATE AS month, c.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM found f JOIN cases c ON c.city_code = f.city_code AND c.applied_on BETWEEN f.start AND f.stop
WHERE CASE f.subject WHEN 'limit' THEN c.at_limit ELSE c.quick END
