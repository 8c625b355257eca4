-- What an assessment computed for a period, kept so a ranking can be
-- reproduced and explained later. A new assessment of a period replaces the
-- previous one's rows; the runs table keeps every run.
CREATE TABLE assessment_runs (
    run_id       BIGINT PRIMARY KEY,
    period       VARCHAR NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    config_hash  VARCHAR NOT NULL,   -- SHA-256 of the settings used
    upload_ids   VARCHAR NOT NULL,   -- the current upload versions it read, comma-separated
    seed         BIGINT NOT NULL,
    draws        INTEGER NOT NULL
);

CREATE TABLE indicator_values (
    period      VARCHAR NOT NULL,
    city_code   VARCHAR NOT NULL,
    indicator   VARCHAR NOT NULL,
    dimension   VARCHAR NOT NULL,
    numerator   DOUBLE,
    denominator DOUBLE,
    value       DOUBLE,             -- raw
    treated     DOUBLE,             -- after winsorisation
    normalised  DOUBLE,
    contribution DOUBLE,
    PRIMARY KEY (period, city_code, indicator)
);

CREATE TABLE city_results (
    period      VARCHAR NOT NULL,
    city_code   VARCHAR NOT NULL,
    ranked      BOOLEAN NOT NULL,
    index_value DOUBLE,
    rank        INTEGER,
    median_rank INTEGER,
    rank_p5     INTEGER,
    rank_p95    INTEGER,
    out_top     DOUBLE,
    grade       VARCHAR NOT NULL,
    priority    BOOLEAN NOT NULL,
    dimensions  VARCHAR NOT NULL,   -- JSON: dimension → score
    flags       VARCHAR NOT NULL,   -- JSON array
    PRIMARY KEY (period, city_code)
);

CREATE TABLE subsidy_breaches (
    period       VARCHAR NOT NULL,
    upload_id    BIGINT NOT NULL,
    row_no       INTEGER NOT NULL,
    city_code    VARCHAR NOT NULL,
    subsidy_type VARCHAR NOT NULL,
    rule         VARCHAR NOT NULL,
    limit_num    BIGINT,
    value_num    BIGINT,
    limit_text   VARCHAR,
    value_text   VARCHAR
);
