-- Every city has all 16 indicators.
SELECT city_code, count(*) AS n FROM work.mart_indicators GROUP BY city_code HAVING count(*) <> 16
