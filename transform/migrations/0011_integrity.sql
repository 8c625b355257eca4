-- Integrity checks (数据核查): the masked ID of every person row, so a
-- reviewer can see which row a finding names (never the pseudonym, never
-- the ID); and the findings of each assessed period with their evidence.
ALTER TABLE registrations ADD COLUMN id_masked VARCHAR;
ALTER TABLE subsidies ADD COLUMN id_masked VARCHAR;
ALTER TABLE trainings ADD COLUMN id_masked VARCHAR;

CREATE TABLE integrity_findings (
    period      VARCHAR NOT NULL,
    finding_id  INTEGER NOT NULL,   -- within the period
    city_code   VARCHAR NOT NULL,
    check_id    VARCHAR NOT NULL,   -- K1 … K7
    subject     VARCHAR NOT NULL,   -- what was checked: a kind, pension or funds
    finding_key VARCHAR NOT NULL,   -- which month, quarter or extract; '' for the period
    figure      DOUBLE NOT NULL,    -- the city's figure the threshold is held against
    threshold   DOUBLE NOT NULL,
    reference   DOUBLE,             -- what the figure is set against: a median, a count before
    cases       INTEGER NOT NULL,   -- persons, rows, months or extracts behind it
    PRIMARY KEY (period, finding_id)
);

CREATE TABLE integrity_evidence (
    period       VARCHAR NOT NULL,
    finding_id   INTEGER NOT NULL,
    upload_id    BIGINT,            -- an upload, with a row number where a row is named
    row_no       INTEGER,
    month        DATE,              -- a month involved
    id_masked    VARCHAR,           -- where a person's row is named
    other_city   VARCHAR,           -- K1: the other city of the pair
    other_upload BIGINT,            -- K1: its row's upload; K7: the version current at the deadline
    other_row    INTEGER
);
