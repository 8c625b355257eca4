-- K7 improvement after the deadline: an extract of a due month replaced
-- after its deadline, whose current version has over the share (default
-- 0.1) more accepted rows (person kinds), or a count that much higher
-- (services), than the version current at the deadline. Reads the version
-- ledger. Figure: the largest increase; reference: the earlier figure.
-- Evidence: both uploads and the month.
WITH t AS (SELECT * FROM scratch.integrity_params),
slots AS (
    SELECT c.code AS city_code, k.kind, m.month, m.deadline
    FROM scratch.ref_cities c CROSS JOIN scratch.ref_kinds k CROSS JOIN scratch.ref_months m
),
versions AS (
    SELECT s.*,
           (SELECT u.upload_id FROM scratch.src_uploads u WHERE u.city_code = s.city_code AND u.kind = s.kind AND u.month = s.month
                AND u.received_at < s.deadline ORDER BY u.version DESC LIMIT 1) AS old_id,
           (SELECT u.upload_id FROM scratch.src_current_uploads u WHERE u.city_code = s.city_code AND u.kind = s.kind AND u.month = s.month) AS new_id
    FROM slots s
),
replaced AS (SELECT * FROM versions WHERE old_id IS NOT NULL AND new_id <> old_id),
rows AS (
    SELECT r.city_code, r.kind, r.month, r.old_id, r.new_id, o.accepted AS before, n.accepted AS after
    FROM replaced r JOIN scratch.src_uploads o ON o.upload_id = r.old_id JOIN scratch.src_uploads n ON n.upload_id = r.new_id
    WHERE r.kind <> 'services'
),
counts AS (
    SELECT r.city_code, r.kind, r.month, r.old_id, r.new_id,
           greatest(n.gig_markets / nullif(o.gig_markets, 0), n.gig_postings / nullif(o.gig_postings, 0),
                    n.gig_matches / nullif(o.gig_matches, 0), n.loans_applied / nullif(o.loans_applied, 0),
                    n.loans_online / nullif(o.loans_online, 0), n.pension_enrolled / nullif(o.pension_enrolled, 0),
                    n.complaints_received / nullif(o.complaints_received, 0), n.complaints_closed / nullif(o.complaints_closed, 0),
                    n.flex_registered / nullif(o.flex_registered, 0), n.hr_agencies_flex / nullif(o.hr_agencies_flex, 0),
                    n.hr_served_flex / nullif(o.hr_served_flex, 0), n.title_applied_flex / nullif(o.title_applied_flex, 0),
                    n.title_passed_flex / nullif(o.title_passed_flex, 0), n.parttime_checked / nullif(o.parttime_checked, 0),
                    n.parttime_written / nullif(o.parttime_written, 0), n.publicity_events / nullif(o.publicity_events, 0),
                    n.fund_allocated_fen / nullif(o.fund_allocated_fen, 0)) - 1 AS increase
    FROM replaced r JOIN scratch.src_services o ON o.upload_id = r.old_id JOIN scratch.src_services n ON n.upload_id = r.new_id
    WHERE r.kind = 'services'
),
found AS (
    SELECT city_code, kind, month, old_id, new_id, after / before - 1 AS figure, before::DOUBLE AS reference
    FROM rows, t WHERE before > 0 AND after > (1 + t.late_increase) * before
    UNION ALL
    SELECT city_code, kind, month, old_id, new_id, increase, NULL FROM counts, t WHERE increase > t.late_increase
)
SELECT 'K7' AS check_id, f.city_code, f.kind AS subject, f.kind || ' ' || strftime(f.month, '%Y-%m') AS finding_key,
       f.figure, t.late_increase AS threshold, f.reference, 1 AS cases,
       f.new_id AS upload_id, NULL::INTEGER AS row_no, f.month, NULL AS id_masked,
       NULL AS other_city, f.old_id AS other_upload, NULL::INTEGER AS other_row
FROM found f, t
