-- The audit trail (审计日志): who did what, when, from where, with what
-- outcome. Append-only and tamper-evident: each record's hash is SHA-256 of
-- the previous record's hash and the record's canonical JSON (store/audit.go);
-- nothing in flexemp updates or deletes a record. Never a token, key, raw ID,
-- pseudonym or file content.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    recorded_at TIMESTAMPTZ NOT NULL, -- when it was recorded
    stated_at  TIMESTAMPTZ,           -- an operator's --at, for steps taken on paper
    actor      VARCHAR NOT NULL,      -- token:<id> <name>, cli:<OS user>, scheduler
    role       VARCHAR NOT NULL,      -- city, reviewer, operator, scheduler
    city       VARCHAR NOT NULL,      -- the actor's city, or ''
    action     VARCHAR NOT NULL,      -- login, upload, assess, token.add, …
    object     VARCHAR NOT NULL,      -- what it acted on: a period, an upload id, …
    outcome    VARCHAR NOT NULL,      -- ok, refused, error
    code       VARCHAR NOT NULL,      -- the error's code, or ''
    remote     VARCHAR NOT NULL,      -- the client's address, or ''
    request_id VARCHAR NOT NULL,
    prev_hash  VARCHAR NOT NULL,
    hash       VARCHAR NOT NULL
);
