-- K3 instant completion: a city's share of 失业登记 completed on the day
-- applied above the threshold (default 0.9) while the province's median
-- city share is below another (default 0.5). Reference: that median.
-- Evidence: the rows completed the day applied.
WITH p AS (SELECT * FROM scratch.params),
t AS (SELECT * FROM scratch.integrity_params),
cases AS (
    SELECT r.city_code, r.upload_id, r.row_no, r.id_masked, coalesce(r.completed_on = r.applied_on, false) AS instant
    FROM scratch.stg_registrations r, p
    WHERE r.reg_type = '失业登记' AND r.applied_on BETWEEN p.period_start AND p.period_end
),
shares AS (
    SELECT city_code, avg(instant::INTEGER) AS share, count(*) FILTER (instant) AS n FROM cases GROUP BY city_code
),
province AS (SELECT median(share) AS median FROM shares)
SELECT 'K3' AS check_id, s.city_code, 'registrations' AS subject, '' AS finding_key,
       s.share AS figure, t.instant_share AS threshold, province.median AS reference, s.n AS cases,
       c.upload_id, c.row_no, NULL::DATE AS month, c.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM shares s, province, t, cases c
WHERE s.share > t.instant_share AND province.median < t.instant_median
  AND c.city_code = s.city_code AND c.instant
