-- Every day with whether it is a working day: Monday to Friday, minus public
-- holidays, plus make-up working Saturdays and Sundays. workday_no counts the
-- working days up to and including the day, so the working days after a day
-- a up to and including a day b are workday_no(b) - workday_no(a).
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM generate_series(DATE '2020-01-01', DATE '2030-12-31', INTERVAL 1 DAY) AS t(d)
), flagged AS (
    SELECT days.day,
           CASE h.kind WHEN 'holiday' THEN false WHEN 'workday' THEN true ELSE isodow(days.day) <= 5 END AS is_workday
    FROM days
    LEFT JOIN work.ref_holidays h ON h.day = days.day
)
SELECT day, is_workday, sum(CAST(is_workday AS INTEGER)) OVER (ORDER BY day) AS workday_no
FROM flagged
