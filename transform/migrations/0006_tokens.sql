-- Access tokens: a city's (uploads and reads its own city) or a reviewer's
-- (reads everything, uploads nothing). Only a SHA-256 of each token is kept;
-- the token itself is printed once when it is made.
CREATE TABLE tokens (
    token_id   BIGINT PRIMARY KEY,
    hash       VARCHAR NOT NULL UNIQUE,
    role       VARCHAR NOT NULL,      -- city | reviewer
    city_code  VARCHAR,               -- for a city token
    reviewer   VARCHAR,               -- for a reviewer token: who it is for
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
