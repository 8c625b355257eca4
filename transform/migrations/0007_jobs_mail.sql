-- Every run of a scheduled job, and every mail delivery recorded before and
-- after it is sent.
CREATE TABLE job_runs (
    run_id     BIGINT PRIMARY KEY,
    job        VARCHAR NOT NULL,
    planned_at TIMESTAMPTZ NOT NULL,   -- the schedule's time this run is for
    started_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ,
    outcome    VARCHAR NOT NULL,       -- running, ok, warning, failed, skipped
    error      VARCHAR NOT NULL DEFAULT '',
    detail     VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE mail_deliveries (
    delivery_id BIGINT PRIMARY KEY,
    mail_key    VARCHAR NOT NULL,      -- what is sent, e.g. report:2024-03
    recipient   VARCHAR NOT NULL,
    message_id  VARCHAR NOT NULL UNIQUE,
    subject     VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,      -- pending (recorded, not known sent), sent, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  VARCHAR NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ,
    UNIQUE (mail_key, recipient)
);
