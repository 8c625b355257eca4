-- Each county's figures (SPEC "Counties"): for every county of every city in
-- the county table, and the city's 市本级/未分区县 when rows fall there, the
-- indicators of person rows (ref_indicators.by_county) with numerator,
-- denominator and value from the same counts as the city's
-- (int_indicator_counts). I1's denominator is the county's population when
-- the table gives one; without it I1 has no value. Counties are never ranked
-- and never enter the index: no model after this reads it.
WITH units AS (
    SELECT code AS county_code, city_code, name AS county_name, population FROM scratch.ref_counties
    UNION ALL
    SELECT DISTINCT city_code, city_code, '市本级/未分区县', NULL::BIGINT
    FROM scratch.int_row_counties WHERE county_code = city_code
)
SELECT u.city_code, u.county_code, u.county_name, i.indicator, i.ordinal, i.title,
       coalesce(k.numerator, 0) AS numerator,
       CASE WHEN i.unit = 'per_capita' THEN u.population::DOUBLE ELSE coalesce(k.denominator, 0) END AS denominator,
       CASE
           WHEN i.unit = 'per_capita' AND coalesce(u.population, 0) = 0 THEN NULL
           WHEN i.unit = 'per_capita' THEN coalesce(k.numerator, 0) / u.population * i.scale
           WHEN coalesce(k.denominator, 0) = 0 THEN NULL
           WHEN i.cap IS NOT NULL THEN least(i.cap, k.numerator / k.denominator * i.scale)
           ELSE k.numerator / k.denominator * i.scale
       END AS value
FROM units u
CROSS JOIN scratch.ref_indicators i
LEFT JOIN scratch.int_indicator_counts k ON k.indicator = i.indicator AND k.city_code = u.city_code AND k.county_code = u.county_code
WHERE i.by_county
ORDER BY u.city_code, u.county_code = u.city_code, u.county_code, i.ordinal
