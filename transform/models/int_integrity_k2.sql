-- K2 repeats within a city: persons with more than one 灵活就业登记 in the
-- same city in the period. Figure: the share of the city's registered
-- persons registered more than once. Evidence: every row of theirs.
-- The persons are counted once, with their registrations, in
-- int_flexible_registrants; only the repeated persons' rows are read again.
WITH p AS (SELECT * FROM scratch.params),
repeated AS (SELECT city_code, person_id FROM scratch.int_flexible_registrants WHERE registrations > 1),
flex AS (
    SELECT r.city_code, r.person_id, r.upload_id, r.row_no, r.id_masked
    FROM scratch.stg_registrations r SEMI JOIN repeated USING (city_code, person_id), p
    WHERE r.reg_type = '灵活就业登记' AND r.applied_on BETWEEN p.period_start AND p.period_end
),
persons AS (SELECT city_code, count(*) AS n FROM scratch.int_flexible_registrants GROUP BY city_code),
counts AS (SELECT city_code, count(*) AS n FROM repeated GROUP BY city_code)
SELECT 'K2' AS check_id, f.city_code, 'registrations' AS subject, '' AS finding_key,
       c.n / ps.n AS figure, 0.0 AS threshold, ps.n::DOUBLE AS reference, c.n AS cases,
       f.upload_id, f.row_no, NULL::DATE AS month, f.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM flex f JOIN counts c USING (city_code) JOIN persons ps USING (city_code)
