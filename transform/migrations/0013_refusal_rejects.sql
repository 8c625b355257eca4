-- The rejected rows of a file refused whole, so the city can fix it in one
-- go from the full list: the same masked values and reasons as rejects.
CREATE TABLE refusal_rejects (
    refusal_id  BIGINT NOT NULL,
    row_no      INTEGER NOT NULL,
    column_name VARCHAR NOT NULL,
    value       VARCHAR NOT NULL,
    reason_code VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL
);
