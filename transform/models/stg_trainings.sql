-- Trainings of the versions that count (int_counting_versions) of the
-- months due in the period, and of the earlier months of I11's window (the
-- period's length ending six months before its end). Every row lies in its
-- upload's month (ended_on), so no other month is read: the bounds are the
-- connection's variables, constants to DuckDB, so the filter on ended_on
-- skips whole row groups and the cost follows the period, not the history.
SELECT t.*
FROM scratch.src_trainings t
JOIN scratch.int_counting_versions u USING (upload_id)
WHERE u.month BETWEEN getvariable('lag_start') AND getvariable('period_end')
  AND t.ended_on BETWEEN getvariable('lag_start') AND getvariable('period_end')
