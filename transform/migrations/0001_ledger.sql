-- The upload ledger: every version of every city's extract, accepted ones only.
CREATE TABLE uploads (
    upload_id    BIGINT PRIMARY KEY,
    city_code    VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    month        DATE NOT NULL,          -- first day of the extract's month
    version      INTEGER NOT NULL,
    sha256       VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL,
    format       VARCHAR NOT NULL,
    uploader     VARCHAR NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,   -- the instant
    received_zone VARCHAR NOT NULL,      -- the zone it was received in, e.g. Asia/Shanghai or +08:00
    rows         INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    extra_columns VARCHAR NOT NULL,      -- file columns outside the contract, comma-separated
    UNIQUE (city_code, kind, month, version)
);

-- The version of each city × kind × month that counts: the newest.
CREATE VIEW current_uploads AS
SELECT * FROM uploads
QUALIFY row_number() OVER (PARTITION BY city_code, kind, month ORDER BY version DESC) = 1;

-- Rejected rows, per upload, IDs masked.
CREATE TABLE rejects (
    upload_id   BIGINT NOT NULL,
    row_no      INTEGER NOT NULL,
    column_name VARCHAR NOT NULL,
    value       VARCHAR NOT NULL,
    reason_code VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL
);
