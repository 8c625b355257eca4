-- Trainings of the current upload versions of the months due in the
-- period. Every row lies in its upload's month (ended_on), so no other month
-- is read: the bounds are the connection's variables, constants to DuckDB,
-- so the filter on ended_on skips whole row groups and the cost follows the
-- period, not the history.
SELECT t.*
FROM scratch.src_trainings t
JOIN scratch.src_current_uploads u USING (upload_id)
WHERE u.month BETWEEN getvariable('period_start') AND getvariable('period_end')
  AND t.ended_on BETWEEN getvariable('period_start') AND getvariable('period_end')
