-- Every 失业登记 is on time, late or left out; a completed one has its working days.
SELECT * FROM scratch.int_unemployment_timeliness
WHERE status NOT IN ('on_time', 'late', 'left_out') OR (completed_on IS NOT NULL AND workdays_taken IS NULL)
