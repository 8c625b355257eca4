-- The pseudonym key's fingerprint (an HMAC of a fixed label under the key),
-- stored at the first ingest: an ingest under another key is refused, since
-- a changed key would silently split every person in two.
CREATE TABLE key_fingerprint (
    fingerprint VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
