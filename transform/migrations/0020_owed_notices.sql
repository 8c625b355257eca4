-- The mail an issuing step owes (publish, decide, withdraw, finalise),
-- recorded in the step's own transaction: a crash after the commit leaves
-- it owed, and whoever runs next (serve at start, the inbox job, the next
-- step) sends what is still owed. Each delivery is recorded in
-- mail_deliveries, so a recipient reached is never mailed again.
CREATE TABLE owed_notices (
    notice_id      BIGINT PRIMARY KEY,
    step           VARCHAR NOT NULL,   -- published, decided, withdrawn, finalised
    publication_id BIGINT NOT NULL,
    objection_id   BIGINT,             -- a decision's
    created_at     TIMESTAMPTZ NOT NULL,
    done_at        TIMESTAMPTZ         -- every recipient reached
);
