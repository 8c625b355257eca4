-- K4 spikes: a due month's 灵活就业登记 rows, subsidy payments or any count of
-- its services row (the money, fund_allocated, is K6's) above the factor (default 3) × the city's median of the
-- previous 12 months, when at least the history needed (default 6 of those
-- months) has data. Subject: registrations, subsidies, or the services
-- column. Reference: that median. Evidence: the month and its upload.
WITH p AS (SELECT * FROM scratch.params),
t AS (SELECT * FROM scratch.integrity_params),
-- The counts of the period's months and the 12 before them, from the
-- versions that count (the staging models hold the period only).
versions AS (
    SELECT * FROM scratch.int_counting_versions WHERE month BETWEEN getvariable('spike_start') AND getvariable('period_end')
),
monthly AS (
    SELECT r.city_code, 'registrations' AS subject, u.month, max(r.upload_id) AS upload_id, count(*) AS n
    FROM scratch.src_registrations r JOIN versions u USING (upload_id)
    WHERE r.reg_type = '灵活就业登记' AND r.applied_on BETWEEN getvariable('spike_start') AND getvariable('period_end')
    GROUP BY ALL
    UNION ALL
    SELECT s.city_code, 'subsidies', u.month, max(s.upload_id), count(*)
    FROM scratch.src_subsidies s JOIN versions u USING (upload_id)
    WHERE s.paid_on BETWEEN getvariable('spike_start') AND getvariable('period_end')
    GROUP BY ALL
    UNION ALL
    SELECT city_code, subject, month, upload_id, n FROM (
        UNPIVOT (
            SELECT s.city_code, u.month, s.upload_id,
                   s.gig_markets, s.gig_postings, s.gig_matches, s.loans_applied, s.loans_online, s.pension_enrolled,
                   s.complaints_received, s.complaints_closed, s.flex_registered, s.hr_agencies_flex, s.hr_served_flex,
                   s.title_applied_flex, s.title_passed_flex, s.parttime_checked, s.parttime_written, s.publicity_events
            FROM scratch.src_services s JOIN versions u USING (upload_id)
            WHERE s.month BETWEEN getvariable('spike_start') AND getvariable('period_end')
        ) ON COLUMNS(* EXCLUDE (city_code, month, upload_id)) INTO NAME subject VALUE n
    )
),
history AS (
    SELECT m.*,
           (SELECT median(h.n) FROM monthly h WHERE h.city_code = m.city_code AND h.subject = m.subject
                AND h.month >= m.month - INTERVAL 12 MONTH AND h.month < m.month) AS median,
           (SELECT count(*) FROM monthly h WHERE h.city_code = m.city_code AND h.subject = m.subject
                AND h.month >= m.month - INTERVAL 12 MONTH AND h.month < m.month) AS months
    FROM monthly m, p
    WHERE m.month BETWEEN p.period_start AND p.period_end
)
SELECT 'K4' AS check_id, h.city_code, h.subject, strftime(h.month, '%Y-%m') AS finding_key,
       h.n / h.median AS figure, t.spike_factor AS threshold, h.median AS reference, h.n AS cases,
       h.upload_id, NULL::INTEGER AS row_no, h.month, NULL AS id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM history h, t
WHERE h.months >= t.spike_history AND h.median > 0 AND h.n > t.spike_factor * h.median
