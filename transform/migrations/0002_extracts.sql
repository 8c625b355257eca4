-- Accepted rows of each kind, pseudonymised: person_id is HMAC-SHA256 of the
-- resident ID under the provincial key; the raw ID and name are never stored.
-- Money is integer fen, hours integer hundredths. Columns follow the data
-- contract (flexemp.Contracts) in order; a test holds the two together.
CREATE TABLE registrations (
    upload_id       BIGINT NOT NULL,
    row_no          INTEGER NOT NULL,
    person_id       VARCHAR NOT NULL,
    birth_date      DATE NOT NULL,
    sex             VARCHAR NOT NULL,
    retire_on       DATE NOT NULL,
    city_code       VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,
    reg_type        VARCHAR NOT NULL,
    employment_form VARCHAR,
    person_group    VARCHAR NOT NULL,
    applied_on      DATE NOT NULL,
    completed_on    DATE,
    channel         VARCHAR NOT NULL
);

CREATE TABLE subsidies (
    upload_id          BIGINT NOT NULL,
    row_no             INTEGER NOT NULL,
    person_id          VARCHAR NOT NULL,
    birth_date         DATE NOT NULL,
    sex                VARCHAR NOT NULL,
    retire_on          DATE NOT NULL,
    city_code          VARCHAR NOT NULL,
    area_code          VARCHAR NOT NULL,
    subsidy_type       VARCHAR NOT NULL,
    person_group       VARCHAR NOT NULL,
    amount_fen         BIGINT NOT NULL,
    contribution_fen   BIGINT,
    months_received    BIGINT NOT NULL,
    work_hours_centi   BIGINT,
    paid_on            DATE NOT NULL
);

CREATE TABLE trainings (
    upload_id       BIGINT NOT NULL,
    row_no          INTEGER NOT NULL,
    person_id       VARCHAR NOT NULL,
    birth_date      DATE NOT NULL,
    sex             VARCHAR NOT NULL,
    retire_on       DATE NOT NULL,
    city_code       VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,
    training_type   VARCHAR NOT NULL,
    mode            VARCHAR NOT NULL,
    flexible_worker BOOLEAN NOT NULL,
    started_on      DATE NOT NULL,
    ended_on        DATE NOT NULL,
    completed       BOOLEAN NOT NULL,
    certified       BOOLEAN NOT NULL,
    employed_6m     VARCHAR NOT NULL
);

CREATE TABLE services (
    upload_id           BIGINT NOT NULL,
    row_no              INTEGER NOT NULL,
    city_code           VARCHAR NOT NULL,
    area_code           VARCHAR NOT NULL,
    month               DATE NOT NULL,
    gig_markets         BIGINT NOT NULL,
    gig_postings        BIGINT NOT NULL,
    gig_matches         BIGINT NOT NULL,
    loans_applied       BIGINT NOT NULL,
    loans_online        BIGINT NOT NULL,
    pension_enrolled    BIGINT NOT NULL,
    complaints_received BIGINT NOT NULL,
    complaints_closed   BIGINT NOT NULL
);
