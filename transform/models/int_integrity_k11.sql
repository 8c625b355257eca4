-- K11 re-registration: the share of the city's 灵活就业登记 persons of the
-- period who already had one in the city in the previous period of the
-- same length is more than registered_again (default 0.2) above the
-- province's median city share: last period's persons registered again to
-- swell I1. Figure: the rise above the median; reference: that median;
-- cases: the persons; evidence: their rows of the period.
WITH p AS (SELECT * FROM scratch.params),
t AS (SELECT * FROM scratch.integrity_params),
previous AS (
    SELECT DISTINCT r.city_code, r.person_id
    FROM scratch.src_registrations r
    JOIN scratch.int_counting_versions u USING (upload_id), p
    WHERE r.reg_type = '灵活就业登记'
      AND u.month BETWEEN (getvariable('period_start') - to_months(p.period_months))::DATE AND getvariable('period_start') - 1
      AND r.applied_on BETWEEN (getvariable('period_start') - to_months(p.period_months))::DATE AND getvariable('period_start') - 1
),
persons AS (
    SELECT f.city_code, f.person_id, pr.person_id IS NOT NULL AS again
    FROM scratch.int_flexible_registrants f LEFT JOIN previous pr USING (city_code, person_id)
),
shares AS (
    SELECT city_code, avg(again::INTEGER) AS share, count(*) FILTER (again) AS n FROM persons GROUP BY city_code
),
province AS (SELECT median(share) AS median FROM shares)
SELECT 'K11' AS check_id, s.city_code, 'registrations' AS subject, '' AS finding_key,
       round(s.share - province.median, 12) AS figure, t.registered_again AS threshold, province.median AS reference, s.n AS cases,
       r.upload_id, r.row_no, NULL::DATE AS month, r.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM shares s, province, t, scratch.stg_registrations r
SEMI JOIN persons a ON a.city_code = r.city_code AND a.person_id = r.person_id AND a.again
WHERE round(s.share - province.median, 12) > t.registered_again AND r.city_code = s.city_code AND r.reg_type = '灵活就业登记'
