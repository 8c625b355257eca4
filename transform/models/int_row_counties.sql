-- Where a city's area codes put its rows (SPEC "Counties"): each area code
-- the period's person rows carry (registrations, trainings — I11's earlier
-- window included — and subsidy payments) with the county it names, when it
-- is one of the row's city's counties in the county table; else the city's
-- own code, 市本级/未分区县. A code that is neither a county of the city nor
-- the city's own is unknown, and its rows are counted for the city's data
-- notes. One small table the counting models join on (city_code, area_code).
WITH p AS (SELECT * FROM scratch.params),
areas AS (
    SELECT city_code, area_code, count(*) AS rows_in_period FROM scratch.stg_registrations, p
    WHERE applied_on BETWEEN p.period_start AND p.period_end GROUP BY ALL
    UNION ALL
    SELECT city_code, area_code, count(*) FILTER (ended_on BETWEEN p.period_start AND p.period_end) FROM scratch.stg_trainings, p
    GROUP BY ALL
    UNION ALL
    SELECT city_code, area_code, count(*) FROM scratch.stg_subsidies, p
    WHERE paid_on BETWEEN p.period_start AND p.period_end GROUP BY ALL
)
SELECT a.city_code, a.area_code, coalesce(k.code, a.city_code) AS county_code,
       k.code IS NULL AND a.area_code <> a.city_code AS unknown,
       sum(a.rows_in_period) AS rows_in_period
FROM areas a
LEFT JOIN scratch.ref_counties k ON k.code = a.area_code AND k.city_code = a.city_code
GROUP BY ALL
