-- Assessment v3: an indicator whose denominator is 0 from the city's own
-- data is scored lowest (无数据·计最低), not left out; the stored steps say
-- which.
ALTER TABLE indicator_values ADD COLUMN zero_floor BOOLEAN;
