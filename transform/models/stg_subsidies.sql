-- Subsidy payments of the versions that count (int_counting_versions) of the months due in the
-- period. Every row lies in its upload's month (paid_on), so no other month
-- is read: the bounds are the connection's variables, constants to DuckDB,
-- so the filter on paid_on skips whole row groups and the cost follows the
-- period, not the history.
SELECT s.*
FROM scratch.src_subsidies s
JOIN scratch.int_counting_versions u USING (upload_id)
WHERE u.month BETWEEN getvariable('period_start') AND getvariable('period_end')
  AND s.paid_on BETWEEN getvariable('period_start') AND getvariable('period_end')
