-- K9 empty months (空报): a due month of the period whose version that
-- counts is empty — an extract with a header and no row, or a services row
-- of zeros — while the city's median over its previous 12 months (months
-- sent, of the versions that count) is at least empty_median (default 20)
-- rows, or, for services, a count of at least that: a month left empty to
-- keep weak rows out of a rate. Subject: the kind. Figure: that median;
-- reference: the months of history. Evidence: the month and its upload.
WITH t AS (SELECT * FROM scratch.integrity_params),
versions AS (
    SELECT * FROM scratch.int_counting_versions WHERE month BETWEEN getvariable('spike_start') AND getvariable('period_end')
),
-- A month's size: a person kind's accepted rows; services, the largest
-- count of the row.
sizes AS (
    SELECT v.city_code, v.kind, v.month, v.upload_id, v.placeholder,
           CASE WHEN v.kind = 'services' THEN coalesce(s.n, 0) ELSE v.accepted END AS n
    FROM versions v
    LEFT JOIN (
        SELECT upload_id, max(greatest(*COLUMNS(* EXCLUDE (upload_id, row_no, city_code, area_code, month, fund_allocated_fen)))) AS n
        FROM scratch.src_services SEMI JOIN versions USING (upload_id) GROUP BY upload_id
    ) s USING (upload_id)
),
empty AS (
    SELECT e.*,
           (SELECT median(h.n) FROM sizes h WHERE h.city_code = e.city_code AND h.kind = e.kind
                AND h.month >= e.month - INTERVAL 12 MONTH AND h.month < e.month) AS median,
           (SELECT count(*) FROM sizes h WHERE h.city_code = e.city_code AND h.kind = e.kind
                AND h.month >= e.month - INTERVAL 12 MONTH AND h.month < e.month) AS months
    FROM sizes e JOIN scratch.ref_months USING (month)
    WHERE e.placeholder
)
SELECT 'K9' AS check_id, e.city_code, e.kind AS subject, strftime(e.month, '%Y-%m') AS finding_key,
       e.median AS figure, t.empty_median AS threshold, e.months::DOUBLE AS reference, 0 AS cases,
       e.upload_id, NULL::INTEGER AS row_no, e.month, NULL AS id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM empty e, t
WHERE e.median >= t.empty_median
