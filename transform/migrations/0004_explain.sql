-- What explain and the reports show beside the numbers: each indicator's
-- title, and when a breaching payment was made and to which group.
ALTER TABLE indicator_values ADD COLUMN title VARCHAR;
ALTER TABLE subsidy_breaches ADD COLUMN paid_on DATE;
ALTER TABLE subsidy_breaches ADD COLUMN person_group VARCHAR;
