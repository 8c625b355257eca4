-- Assessment v3: an indicator whose denominator is 0 from the city's own
-- data is scored lowest (无数据·计最低), not left out; the stored steps say
-- which.
ALTER TABLE indicator_values ADD COLUMN zero_floor BOOLEAN;

-- The version of each city × kind × due month an assessment counted
-- (以截止时报送数据为准) and whether it came by the deadline: what I16 and
-- the report's data status say, and what a ranking issued later must
-- record. A new assessment of a period replaces its rows.
CREATE TABLE assessment_versions (
    period      VARCHAR NOT NULL,
    city_code   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    month       DATE NOT NULL,
    upload_id   BIGINT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    on_time     BOOLEAN NOT NULL,
    PRIMARY KEY (period, city_code, kind, month)
);
