-- K12 selective labelling: among the city's trainings that ended in the
-- period, the share marked flexible_worker 是 is higher among certified
-- than among uncertified trainings by more than label_gap (default 0.3)
-- while the province's median city's difference is below label_median
-- (default 0.1), with at least label_cases (default 30) trainings in each
-- group: weak trainees relabelled out of I9–I11's population. Figure: the
-- difference; reference: the province's median difference; cases: the
-- uncertified trainings marked 否; evidence: their rows.
WITH t AS (SELECT * FROM scratch.integrity_params),
trainings AS (
    SELECT r.city_code, r.upload_id, r.row_no, r.id_masked, r.flexible_worker, r.certified
    FROM scratch.src_trainings r
    JOIN scratch.int_counting_versions u USING (upload_id)
    WHERE u.month BETWEEN getvariable('period_start') AND getvariable('period_end')
      AND r.ended_on BETWEEN getvariable('period_start') AND getvariable('period_end')
),
groups AS (
    SELECT city_code,
           -- rounded, so that 0.8 − 0.5 is 0.3 and not above it
           round(avg(flexible_worker::INTEGER) FILTER (certified) - avg(flexible_worker::INTEGER) FILTER (NOT certified), 12) AS gap,
           count(*) FILTER (certified) AS certified, count(*) FILTER (NOT certified) AS uncertified,
           count(*) FILTER (NOT certified AND NOT flexible_worker) AS n
    FROM trainings GROUP BY city_code
),
province AS (SELECT median(g.gap) AS median FROM groups g, t WHERE g.certified >= t.label_cases AND g.uncertified >= t.label_cases)
SELECT 'K12' AS check_id, g.city_code, 'trainings' AS subject, '' AS finding_key,
       g.gap AS figure, t.label_gap AS threshold, province.median AS reference, g.n AS cases,
       r.upload_id, r.row_no, NULL::DATE AS month, r.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM groups g, province, t, trainings r
WHERE g.certified >= t.label_cases AND g.uncertified >= t.label_cases AND g.gap > t.label_gap AND province.median < t.label_median
  AND r.city_code = g.city_code AND NOT r.certified AND NOT r.flexible_worker
