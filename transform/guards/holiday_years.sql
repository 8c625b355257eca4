-- Working days are counted from the holiday table only: a 失业登记 whose
-- dates (or whose 7-working-day limit before the cut-off) fall in a year the
-- table lacks fails the assessment, naming the year. Weekends alone are never
-- assumed.
WITH p AS (SELECT * FROM scratch.params),
years AS (SELECT DISTINCT year(day) AS y FROM scratch.ref_holidays),
cases AS (
    SELECT r.applied_on, r.completed_on FROM scratch.stg_registrations r, p
    WHERE r.reg_type = '失业登记' AND r.applied_on BETWEEN p.period_start AND p.period_end
),
needed AS (
    SELECT year(applied_on) AS y FROM cases
    UNION SELECT year(completed_on) FROM cases WHERE completed_on IS NOT NULL
    UNION SELECT year(least(p.cutoff, c.applied_on + INTERVAL 31 DAY)) FROM cases c, p WHERE c.completed_on IS NULL
)
SELECT format('节假日表中没有 {} 年：无法按工作日计算失业登记办结时限（I4）。请在节假日表（reference/cn-holidays.csv，或配置 [reference] holidays）中补充 {} 年后重新考核', n.y, n.y) AS message
FROM needed n
WHERE n.y NOT IN (SELECT y FROM years)
ORDER BY n.y
