-- Every day of the holiday table's years with whether it is a working day:
-- Monday to Friday, minus public holidays, plus make-up working Saturdays and
-- Sundays. workday_no counts the working days up to and including the day,
-- so the working days after a day a up to and including a day b are
-- workday_no(b) - workday_no(a). Days outside the table's years are not
-- here: weekends alone are never assumed (guards/holiday_years.sql).
WITH years AS (
    SELECT min(year(day)) AS first, max(year(day)) AS last FROM scratch.ref_holidays
), days AS (
    SELECT CAST(d AS DATE) AS day
    FROM years, generate_series(make_date(years.first, 1, 1), make_date(years.last, 12, 31), INTERVAL 1 DAY) AS t(d)
), flagged AS (
    SELECT days.day,
           CASE h.kind WHEN 'holiday' THEN false WHEN 'workday' THEN true ELSE isodow(days.day) <= 5 END AS is_workday
    FROM days
    LEFT JOIN scratch.ref_holidays h ON h.day = days.day
)
SELECT day, is_workday, sum(CAST(is_workday AS INTEGER)) OVER (ORDER BY day) AS workday_no
FROM flagged
