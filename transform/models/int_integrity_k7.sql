-- K7 changed after the deadline: for a due month of the period, a version
-- received after the deadline (by the as-of date) and after the version
-- that counts, which differs from it — person kinds in more than the share
-- (default 0.1) of its rows added, removed or changed, compared as whole
-- rows; services in any count by more than that share, up or down — or a
-- placeholder (an empty extract, a row of zeros) replaced after the
-- deadline by the real extract, which then counts as a late one. A later
-- version never replaces one that counts, on time or late
-- (int_counting_versions): the finding shows the reviewer what the city
-- tried to change. Figure: the largest change (1 for a replaced
-- placeholder); reference: the rows of the version that counts. Evidence:
-- the later version and the version that counts. A correction admitted
-- through an objection (经异议采纳) is no finding.
WITH t AS (SELECT * FROM scratch.integrity_params),
counting AS (
    SELECT v.* FROM scratch.int_counting_versions v JOIN scratch.ref_months USING (month) WHERE NOT v.admitted
),
-- Versions received after the deadline and by the as-of date that came
-- after the version that counts: old_id counts, new_id is what the city
-- tried.
late AS (
    SELECT c.upload_id AS old_id, u.upload_id AS new_id, c.city_code, c.kind, c.month
    FROM scratch.src_uploads u
    JOIN counting c ON c.city_code = u.city_code AND c.kind = u.kind AND c.month = u.month
    WHERE u.received_at >= c.deadline AND u.received_at < getvariable('as_of_end') AND u.upload_id <= getvariable('last_upload')
      AND NOT c.placeholder AND u.version > c.version
),
-- A placeholder sent on time and replaced late: the version that counts is
-- the late real one.
placeholders AS (
    SELECT c.city_code, c.kind, c.month, c.upload_id AS new_id, o.upload_id AS old_id, 1.0 AS figure, 0.0 AS reference
    FROM counting c
    JOIN scratch.src_uploads o ON o.city_code = c.city_code AND o.kind = c.kind AND o.month = c.month AND o.version = c.on_time_version
    WHERE NOT c.on_time AND c.on_time_version IS NOT NULL AND NOT c.placeholder
),
involved AS (SELECT new_id AS upload_id FROM late UNION SELECT old_id FROM late),
-- Each person row of the versions involved as one hash of all its fields.
person_rows AS (
    SELECT upload_id, hash(*COLUMNS(* EXCLUDE (upload_id, row_no, id_masked))) AS h FROM scratch.src_registrations SEMI JOIN involved USING (upload_id)
    UNION ALL
    SELECT upload_id, hash(*COLUMNS(* EXCLUDE (upload_id, row_no, id_masked))) FROM scratch.src_subsidies SEMI JOIN involved USING (upload_id)
    UNION ALL
    SELECT upload_id, hash(*COLUMNS(* EXCLUDE (upload_id, row_no, id_masked))) FROM scratch.src_trainings SEMI JOIN involved USING (upload_id)
),
tally AS (SELECT upload_id, h, count(*) AS n FROM person_rows GROUP BY ALL),
sizes AS (SELECT upload_id, sum(n) AS n FROM tally GROUP BY upload_id),
-- Rows added, removed or changed: a changed row is one removed and one
-- added, counted once, so the difference is the larger version's rows less
-- those both share.
person_changes AS (
    SELECT l.city_code, l.kind, l.month, l.old_id, l.new_id,
           (greatest(coalesce(so.n, 0), coalesce(sn.n, 0))
            - coalesce((SELECT sum(least(a.n, b.n)) FROM tally a JOIN tally b ON a.h = b.h WHERE a.upload_id = l.old_id AND b.upload_id = l.new_id), 0))
           / nullif(coalesce(so.n, 0), 0) AS figure,
           so.n::DOUBLE AS reference
    FROM late l LEFT JOIN sizes so ON so.upload_id = l.old_id LEFT JOIN sizes sn ON sn.upload_id = l.new_id
    WHERE l.kind <> 'services'
),
service_counts AS (
    UNPIVOT (
        SELECT s.upload_id, s.gig_markets, s.gig_postings, s.gig_matches, s.loans_applied, s.loans_online, s.pension_enrolled,
               s.complaints_received, s.complaints_closed, s.flex_registered, s.hr_agencies_flex, s.hr_served_flex,
               s.title_applied_flex, s.title_passed_flex, s.parttime_checked, s.parttime_written, s.publicity_events, s.fund_allocated_fen
        FROM scratch.src_services s SEMI JOIN involved USING (upload_id)
    ) ON COLUMNS(* EXCLUDE (upload_id)) INTO NAME count_name VALUE n
),
service_changes AS (
    SELECT l.city_code, l.kind, l.month, l.old_id, l.new_id,
           max(CASE WHEN o.n = 0 THEN (CASE WHEN n.n > 0 THEN 1.0 ELSE 0.0 END) ELSE abs(n.n / o.n - 1) END) AS figure,
           NULL::DOUBLE AS reference
    FROM late l
    JOIN service_counts o ON o.upload_id = l.old_id
    JOIN service_counts n ON n.upload_id = l.new_id AND n.count_name = o.count_name
    WHERE l.kind = 'services'
    GROUP BY ALL
),
changes AS (
    SELECT * FROM person_changes UNION ALL SELECT * FROM service_changes
),
-- Of several late versions (and a replaced placeholder), the one that
-- changed most: one finding a month.
found AS (
    SELECT * FROM (
        SELECT city_code, kind, month, old_id, new_id, figure, reference FROM changes, t WHERE figure > t.late_change
        UNION ALL
        SELECT city_code, kind, month, old_id, new_id, figure, reference FROM placeholders
    )
    QUALIFY row_number() OVER (PARTITION BY city_code, kind, month ORDER BY figure DESC, new_id DESC) = 1
)
SELECT 'K7' AS check_id, f.city_code, f.kind AS subject, f.kind || ' ' || strftime(f.month, '%Y-%m') AS finding_key,
       f.figure, t.late_change AS threshold, f.reference, 1 AS cases,
       f.new_id AS upload_id, NULL::INTEGER AS row_no, f.month, NULL AS id_masked,
       NULL AS other_city, f.old_id AS other_upload, NULL::INTEGER AS other_row
FROM found f, t
