-- K4 spikes and drops, two-sided and relative to the province, from the
-- first month. A due month's 灵活就业登记 rows, subsidy payments, or any count
-- of its services row (the money, fund_allocated, is K6's):
--   - with at least the history needed (default 3 of the previous 12 months
--     sent): above the factor (default 1.5) or below the drop factor
--     (default ⅔) × the city's median of those months, while the
--     province's median city moved less than half as much (its median
--     ratio to its own history moved by less than spike_province × the
--     city's move, in the same direction);
--   - with less history: per head, above spike_above (default 2.5) or below
--     spike_below (default 0.4) × the province's median city's count per
--     head that month (finding_key "2025-01 全省").
-- A month whose count and reference are both under spike_minimum (20) is
-- never a finding, nor one within counting noise: a count differing from
-- its reference by no more than spike_noise (default 4) × √reference, the
-- spread a count of that size has by chance (at scale 1 a city's counts
-- are in the thousands and this guard is far inside the factors; at tens
-- it keeps honest noise out). Months counted are the versions that count, a month
-- sent empty counting 0. Subject: registrations, subsidies, or the services
-- column. Figure: the ratio; reference: the median (or the count the
-- province's median per head gives the city). Evidence: the month and its
-- upload.
WITH p AS (SELECT * FROM scratch.params),
t AS (SELECT * FROM scratch.integrity_params),
versions AS (
    SELECT * FROM scratch.int_counting_versions WHERE month BETWEEN getvariable('spike_start') AND getvariable('period_end')
),
person_counts AS (
    SELECT r.upload_id, 'registrations' AS subject, count(*) AS n
    FROM scratch.src_registrations r SEMI JOIN versions u USING (upload_id)
    WHERE r.reg_type = '灵活就业登记' AND r.applied_on BETWEEN getvariable('spike_start') AND getvariable('period_end')
    GROUP BY ALL
    UNION ALL
    SELECT s.upload_id, 'subsidies', count(*)
    FROM scratch.src_subsidies s SEMI JOIN versions u USING (upload_id)
    WHERE s.paid_on BETWEEN getvariable('spike_start') AND getvariable('period_end')
    GROUP BY ALL
),
monthly AS (
    -- A person kind's version that counts, with its rows (0 when empty).
    SELECT u.city_code, s.subject, u.month, u.upload_id, coalesce(c.n, 0) AS n
    FROM versions u
    JOIN (VALUES ('registrations', 'registrations'), ('subsidies', 'subsidies')) s(kind, subject) USING (kind)
    LEFT JOIN person_counts c ON c.upload_id = u.upload_id AND c.subject = s.subject
    UNION ALL
    SELECT city_code, subject, month, upload_id, n FROM (
        UNPIVOT (
            SELECT u.city_code, u.month, u.upload_id,
                   s.gig_markets, s.gig_postings, s.gig_matches, s.loans_applied, s.loans_online, s.pension_enrolled,
                   s.complaints_received, s.complaints_closed, s.flex_registered, s.hr_agencies_flex, s.hr_served_flex,
                   s.title_applied_flex, s.title_passed_flex, s.parttime_checked, s.parttime_written, s.publicity_events
            FROM scratch.src_services s JOIN versions u USING (upload_id)
            WHERE s.month BETWEEN getvariable('spike_start') AND getvariable('period_end')
        ) ON COLUMNS(* EXCLUDE (city_code, month, upload_id)) INTO NAME subject VALUE n
    )
),
history AS (
    SELECT m.*, c.population,
           (SELECT median(h.n) FROM monthly h WHERE h.city_code = m.city_code AND h.subject = m.subject
                AND h.month >= m.month - INTERVAL 12 MONTH AND h.month < m.month) AS median,
           (SELECT count(*) FROM monthly h WHERE h.city_code = m.city_code AND h.subject = m.subject
                AND h.month >= m.month - INTERVAL 12 MONTH AND h.month < m.month) AS months
    FROM monthly m JOIN scratch.ref_cities c ON c.code = m.city_code, p
    WHERE m.month BETWEEN p.period_start AND p.period_end
),
-- Each subject × month: the province's median city's ratio to its own
-- history, and its median count per head.
province AS (
    SELECT h.subject, h.month,
           median(h.n / h.median) FILTER (h.months >= t.spike_history AND h.median > 0) AS ratio,
           median(h.n / h.population) AS per_head
    FROM history h, t
    GROUP BY ALL
),
judged AS (
    SELECT h.*, pr.ratio AS province_ratio,
           h.months >= t.spike_history AS own,
           CASE WHEN h.months >= t.spike_history THEN h.n / nullif(h.median, 0) ELSE h.n / h.population / nullif(pr.per_head, 0) END AS figure,
           CASE WHEN h.months >= t.spike_history THEN h.median ELSE pr.per_head * h.population END AS reference
    FROM history h JOIN province pr USING (subject, month), t
),
found AS (
    SELECT j.*, CASE WHEN j.figure > 1 THEN (CASE WHEN j.own THEN t.spike_factor ELSE t.spike_above END)
                     ELSE (CASE WHEN j.own THEN t.drop_factor ELSE t.spike_below END) END AS threshold
    FROM judged j, t
    WHERE greatest(j.n, j.reference) >= t.spike_minimum AND abs(j.n - j.reference) > t.spike_noise * sqrt(j.reference) AND (
        j.own AND j.figure > t.spike_factor AND coalesce(j.province_ratio, 1) - 1 < t.spike_province * (j.figure - 1)
        OR j.own AND j.figure < t.drop_factor AND 1 - coalesce(j.province_ratio, 1) < t.spike_province * (1 - j.figure)
        OR NOT j.own AND (j.figure > t.spike_above OR j.figure < t.spike_below))
)
SELECT 'K4' AS check_id, f.city_code, f.subject, strftime(f.month, '%Y-%m') || CASE WHEN f.own THEN '' ELSE ' 全省' END AS finding_key,
       f.figure, f.threshold, f.reference, f.n AS cases,
       f.upload_id, NULL::INTEGER AS row_no, f.month, NULL AS id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM found f
