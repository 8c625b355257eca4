-- One row per city × indicator.
SELECT city_code, indicator, count(*) AS n FROM scratch.mart_indicators GROUP BY ALL HAVING count(*) <> 1
