-- The version of each city × kind × month that counts (以截止时报送数据为准),
-- for every month the models read: the period's due months and the history
-- K4, K8 and I11 look back on. Only uploads received by the end of the as-of
-- date are known, so an assessment is a snapshot: made again later as of the
-- same date, it reads the same versions.
--
-- The version that counts is the latest received by the month's deadline;
-- when none was, the first received after it (by the as-of date), and the
-- month is late. A version received after the deadline never replaces one
-- that counts, whether that came on time or late itself: a month missed by
-- 30 seconds is not open to rewriting until the assessment; a correction
-- enters only through an accepted objection (scratch.corrections). Later
-- versions stay in the ledger, and K7 shows them. A placeholder — an empty
-- extract, or a services row of zeros — is the month's data unless a
-- non-empty version follows it by the as-of date: then the first non-empty
-- version after the deadline counts, and the month is late (a placeholder
-- earns nothing). ingest.CountingVersion says the same to a city at upload.
WITH known AS (
    SELECT u.upload_id, u.city_code, u.kind, u.month, u.version, u.received_at, u.accepted, d.deadline
    FROM scratch.src_uploads u JOIN scratch.ref_deadlines d USING (month)
    WHERE u.received_at < getvariable('as_of_end') AND u.upload_id <= getvariable('last_upload')
),
-- Services versions whose row is all zeros: every count is ≥ 0, so the
-- greatest is 0 (greatest passes over the version-2 counts a version-1
-- row leaves empty). ingest.CountingVersion asks the same.
zero_services AS (
    SELECT s.upload_id
    FROM scratch.src_services s SEMI JOIN known k ON k.upload_id = s.upload_id
    WHERE s.month BETWEEN getvariable('history_start') AND getvariable('period_end')
      AND greatest(*COLUMNS(* EXCLUDE (upload_id, row_no, city_code, area_code, month))) = 0
),
marked AS (
    SELECT k.*, k.received_at < k.deadline AS on_time,
           k.accepted = 0 OR k.upload_id IN (SELECT upload_id FROM zero_services) AS placeholder
    FROM known k
),
slots AS (
    SELECT city_code, kind, month,
           max(version) FILTER (on_time) AS on_time_version,
           min(version) FILTER (NOT on_time) AS first_late_version,
           min(version) FILTER (NOT on_time AND NOT placeholder) AS first_late_real_version,
           count(*) AS versions
    FROM marked GROUP BY ALL
),
chosen AS (
    SELECT s.*,
           CASE
               WHEN s.on_time_version IS NOT NULL AND NOT m.placeholder THEN s.on_time_version
               WHEN s.first_late_real_version IS NOT NULL THEN s.first_late_real_version
               ELSE coalesce(s.on_time_version, s.first_late_version)
           END AS version
    FROM slots s
    LEFT JOIN marked m ON m.city_code = s.city_code AND m.kind = s.kind AND m.month = s.month AND m.version = s.on_time_version
),
counted AS (
    SELECT m.city_code, m.kind, m.month, m.upload_id, m.version, m.received_at, m.deadline, m.accepted,
           m.on_time, m.placeholder, c.versions, c.on_time_version
    FROM chosen c JOIN marked m USING (city_code, kind, month, version)
),
admitted AS (
    SELECT u.upload_id, u.city_code, u.kind, u.month, u.version, u.received_at, d.deadline, u.accepted
    FROM scratch.corrections x JOIN scratch.src_uploads u USING (upload_id) JOIN scratch.ref_deadlines d USING (month)
    -- Two admitted for one month: the later counts.
    QUALIFY row_number() OVER (PARTITION BY u.city_code, u.kind, u.month ORDER BY u.upload_id DESC) = 1
)
SELECT c.*, false AS admitted
FROM counted c ANTI JOIN admitted a USING (city_code, kind, month)
UNION ALL
SELECT a.city_code, a.kind, a.month, a.upload_id, a.version, a.received_at, a.deadline, a.accepted,
       coalesce(c.on_time, false), a.accepted = 0, coalesce(c.versions, 0) + 1, c.on_time_version, true
FROM admitted a LEFT JOIN counted c USING (city_code, kind, month)
