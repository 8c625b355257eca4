-- Assessment v2: every assessment is made as of a date (only the months due
-- by then count), leaves out the indicators no city can compute in the
-- period, and scores an indicator whose source extracts a city never sent
-- as 未报送 (withheld).
ALTER TABLE assessment_runs ADD COLUMN as_of DATE;
ALTER TABLE assessment_runs ADD COLUMN left_out VARCHAR;  -- indicator IDs, comma-separated
ALTER TABLE indicator_values ADD COLUMN withheld BOOLEAN;
