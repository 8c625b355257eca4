-- Dispatch (SPEC "Dispatch"): each 调度通报 as it was made and sent, its
-- files kept byte for byte, and the statuses it circulated (JSON: city →
-- task → {rate, status}), which a city's page and the API show.
CREATE TABLE bulletins (
    bulletin_id BIGINT PRIMARY KEY,
    year        INTEGER NOT NULL,
    through     DATE NOT NULL,         -- the latest due month it counts
    as_of       DATE NOT NULL,
    made_at     TIMESTAMPTZ NOT NULL,
    title       VARCHAR NOT NULL,
    statuses    VARCHAR NOT NULL,
    html        BLOB NOT NULL,
    pdf         BLOB,                  -- NULL when chromium could not print it
    UNIQUE (year, through, as_of)
);

-- Group-robot webhook posts (企业微信, 钉钉), recorded before and after
-- sending like mail: a post recorded as sent is never sent again, nor one a
-- crash caught on its way (posting). The webhook's address carries its key,
-- so only its SHA-256 and its host are kept.
CREATE TABLE webhook_posts (
    post_id    BIGINT PRIMARY KEY,
    post_key   VARCHAR NOT NULL,       -- what is posted, e.g. bulletin:2025-06
    url_sha256 VARCHAR NOT NULL,
    host       VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,       -- pending (recorded), posting (on its way), sent, failed
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error VARCHAR NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ,
    UNIQUE (post_key, url_sha256)
);
