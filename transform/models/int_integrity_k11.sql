-- K11 re-registration: the share of the city's 灵活就业登记 persons of the
-- period who already had one in the city in the previous period of the
-- same length is more than registered_again (default 0.2) above the
-- province's median city share: last period's persons registered again to
-- swell I1. Figure: the rise above the median; reference: that median;
-- cases: the persons; evidence: their rows of the period.
WITH t AS (SELECT * FROM scratch.integrity_params),
previous AS (
    SELECT DISTINCT r.city_code, r.person_id
    FROM scratch.src_registrations r
    JOIN scratch.int_counting_versions u USING (upload_id)
    WHERE r.reg_type = '灵活就业登记'
      AND u.month BETWEEN getvariable('previous_start') AND getvariable('period_start') - 1
      AND r.applied_on BETWEEN getvariable('previous_start') AND getvariable('period_start') - 1
),
-- The persons registered again: those of the period (int_flexible_registrants)
-- in last period's list, which is the smaller side.
again AS (
    SELECT city_code, person_id FROM previous SEMI JOIN scratch.int_flexible_registrants USING (city_code, person_id)
),
shares AS (
    SELECT f.city_code, coalesce(a.n, 0) / f.n AS share, coalesce(a.n, 0) AS n
    FROM (SELECT city_code, count(*) AS n FROM scratch.int_flexible_registrants GROUP BY city_code) f
    LEFT JOIN (SELECT city_code, count(*) AS n FROM again GROUP BY city_code) a USING (city_code)
),
province AS (SELECT median(share) AS median FROM shares),
found AS (
    SELECT s.*, round(s.share - province.median, 12) AS figure, province.median
    FROM shares s, province, t WHERE round(s.share - province.median, 12) > t.registered_again
)
-- Evidence only for the cities found: their rows of the persons registered again.
SELECT 'K11' AS check_id, f.city_code, 'registrations' AS subject, '' AS finding_key,
       f.figure, t.registered_again AS threshold, f.median AS reference, f.n AS cases,
       r.upload_id, r.row_no, NULL::DATE AS month, r.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM found f JOIN scratch.stg_registrations r USING (city_code) CROSS JOIN t
SEMI JOIN again a ON a.city_code = r.city_code AND a.person_id = r.person_id
WHERE r.reg_type = '灵活就业登记'
