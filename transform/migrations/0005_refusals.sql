-- Files refused whole: none of their rows is stored, only that a city tried,
-- when, and why, so the data status can tell "refused" from "never sent".
CREATE TABLE refusals (
    refusal_id  BIGINT PRIMARY KEY,
    city_code   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    month       DATE,                -- NULL when the file did not say and its rows could not
    file_name   VARCHAR NOT NULL,    -- the base name only
    sha256      VARCHAR,             -- NULL when the file could not be read
    uploader    VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    received_zone VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL     -- the user's message, in Chinese
);
