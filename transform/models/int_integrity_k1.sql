-- K1 cross-city duplicates: persons with a 灵活就业登记 in two or more cities
-- in the period. A finding for every city involved; its figure is the share
-- of the city's registered persons (I1's) that are registered elsewhere too.
-- Evidence: each such row with the other city's row.
WITH p AS (SELECT * FROM scratch.params),
-- Persons registered in more than one city, from the distinct city × person
-- table I8 uses; only their rows are paired.
multi AS (
    SELECT person_id FROM scratch.int_flexible_registrants GROUP BY person_id HAVING count(*) > 1
),
flex AS (
    SELECT r.city_code, r.person_id, r.upload_id, r.row_no, r.id_masked
    FROM scratch.stg_registrations r SEMI JOIN multi USING (person_id), p
    WHERE r.reg_type = '灵活就业登记' AND r.applied_on BETWEEN p.period_start AND p.period_end
),
pairs AS (
    SELECT a.city_code, a.person_id, a.upload_id, a.row_no, a.id_masked,
           b.city_code AS other_city, b.upload_id AS other_upload, b.row_no AS other_row
    FROM flex a JOIN flex b ON a.person_id = b.person_id AND a.city_code <> b.city_code
),
persons AS (SELECT city_code, count(*) AS n FROM scratch.int_flexible_registrants GROUP BY city_code),
dups AS (SELECT city_code, count(DISTINCT person_id) AS n FROM pairs GROUP BY city_code)
SELECT 'K1' AS check_id, x.city_code, 'registrations' AS subject, '' AS finding_key,
       d.n / ps.n AS figure, 0.0 AS threshold, ps.n::DOUBLE AS reference, d.n AS cases,
       x.upload_id, x.row_no, NULL::DATE AS month, x.id_masked, x.other_city, x.other_upload, x.other_row
FROM pairs x JOIN dups d USING (city_code) JOIN persons ps USING (city_code)
