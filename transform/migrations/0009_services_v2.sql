-- Contract version 2 of services (in force from 2025-01): nine columns so
-- that every measure has an indicator. NULL in extracts of earlier months
-- that did not carry them.
ALTER TABLE services ADD COLUMN flex_registered BIGINT;
ALTER TABLE services ADD COLUMN hr_agencies_flex BIGINT;
ALTER TABLE services ADD COLUMN hr_served_flex BIGINT;
ALTER TABLE services ADD COLUMN title_applied_flex BIGINT;
ALTER TABLE services ADD COLUMN title_passed_flex BIGINT;
ALTER TABLE services ADD COLUMN parttime_checked BIGINT;
ALTER TABLE services ADD COLUMN parttime_written BIGINT;
ALTER TABLE services ADD COLUMN publicity_events BIGINT;
ALTER TABLE services ADD COLUMN fund_allocated_fen BIGINT;
