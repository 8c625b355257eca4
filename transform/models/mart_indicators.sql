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
WITH counts AS (
    -- A city's counts are its counties' summed (int_indicator_counts).
    SELECT indicator, city_code, sum(numerator) AS numerator, sum(denominator) AS denominator
    FROM scratch.int_indicator_counts GROUP BY ALL
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
               AND (i.indicator <> 'I11' OR (SELECT known FROM scratch.int_lag_window))
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
