-- Issuing a ranking (草稿 → 公示 → 异议 → 定稿). Each assessment run records
-- the ledger's last upload (a later upload received before its as-of date
-- makes it stale) and, when it computed an issued ranking, the publication;
-- each configuration it ran with is kept once, so an issued ranking can be
-- recomputed after flexemp.toml changes.
ALTER TABLE assessment_runs ADD COLUMN last_upload BIGINT;
ALTER TABLE assessment_runs ADD COLUMN publication_id BIGINT;

CREATE TABLE assessment_configs (
    config_hash VARCHAR PRIMARY KEY,
    config      VARCHAR NOT NULL   -- JSON (metrics.AssessOptions.Config)
);

-- A period's publications (公示), each frozen from a draft: first edition 1,
-- a revision after 定稿 the next. Withdrawn ones stay, with who, when and why.
CREATE TABLE publications (
    publication_id  BIGINT PRIMARY KEY,
    period          VARCHAR NOT NULL,
    edition         INTEGER NOT NULL,
    revision_reason VARCHAR NOT NULL,   -- '' for edition 1
    run_id          BIGINT NOT NULL,    -- the draft frozen
    as_of           DATE NOT NULL,
    config_hash     VARCHAR NOT NULL,
    seed            BIGINT NOT NULL,
    last_upload     BIGINT NOT NULL,    -- the ledger as published
    published_at    TIMESTAMPTZ NOT NULL,
    published_by    VARCHAR NOT NULL,
    window_end      TIMESTAMPTZ NOT NULL,
    withdrawn_at    TIMESTAMPTZ,
    withdrawn_by    VARCHAR,
    withdraw_reason VARCHAR
);

-- A publication's final (定稿), computed over its versions and the admitted
-- corrections.
CREATE TABLE finals (
    publication_id BIGINT PRIMARY KEY,
    run_id         BIGINT NOT NULL,
    finalised_at   TIMESTAMPTZ NOT NULL,
    finalised_by   VARCHAR NOT NULL,
    corrections    VARCHAR NOT NULL,   -- JSON: [{upload, corrects}]
    accepted_zeros VARCHAR NOT NULL    -- JSON: [{city, indicator}]
);

-- The bytes an issued ranking shows, with their SHA-256: stage published or
-- final; name rank.json, report.html, ranking.xlsx, report.pdf.
CREATE TABLE issued_files (
    publication_id BIGINT NOT NULL,
    stage          VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    content        BLOB NOT NULL,
    PRIMARY KEY (publication_id, stage, name)
);

-- The upload version of every city × kind × due month an issued ranking read.
CREATE TABLE issued_versions (
    publication_id BIGINT NOT NULL,
    stage          VARCHAR NOT NULL,
    city_code      VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    month          DATE NOT NULL,
    upload_id      BIGINT NOT NULL,
    on_time        BOOLEAN NOT NULL,
    PRIMARY KEY (publication_id, stage, city_code, kind, month)
);

-- Objections (异议) to a publication, and the reviewer's decision.
CREATE TABLE objections (
    objection_id   BIGINT PRIMARY KEY,
    publication_id BIGINT NOT NULL,
    city_code      VARCHAR NOT NULL,
    subjects       VARCHAR NOT NULL,   -- comma-separated: I4, K7, 其他
    statement      VARCHAR NOT NULL,
    upload_id      BIGINT,             -- the corrected extract, evidence
    kind           VARCHAR,
    month          DATE,
    filed_at       TIMESTAMPTZ NOT NULL,
    filed_by       VARCHAR NOT NULL,
    decision       VARCHAR,            -- 采纳, 不予采纳
    reason         VARCHAR,
    decided_at     TIMESTAMPTZ,
    decided_by     VARCHAR
);

CREATE TABLE objection_documents (
    objection_id BIGINT NOT NULL,
    n            INTEGER NOT NULL,
    name         VARCHAR NOT NULL,
    media_type   VARCHAR NOT NULL,
    size         BIGINT NOT NULL,
    sha256       VARCHAR NOT NULL,
    content      BLOB NOT NULL,
    PRIMARY KEY (objection_id, n)
);
