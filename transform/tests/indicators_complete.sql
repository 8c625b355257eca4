-- Every city has every declared indicator.
SELECT city_code, count(*) AS n FROM scratch.mart_indicators GROUP BY city_code
HAVING count(*) <> (SELECT count(*) FROM scratch.ref_indicators)
