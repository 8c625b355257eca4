-- K12 selective labelling: among the city's trainings that ended in the
-- period, the share marked flexible_worker 是 is higher among certified
-- than among uncertified trainings by more than label_gap (default 0.3)
-- while the rest of the province's difference is below label_median
-- (default 0.1), with at least label_cases (default 30) trainings in each
-- group: weak trainees relabelled out of I9–I11's population. The province
-- is its other cities' trainings taken together, not its median city's
-- difference: at tens of trainings a city, each city's difference is noise
-- of ±0.2, and their median wanders across 0.1. Figure: the difference;
-- reference: the province's; cases: the uncertified trainings marked 否;
-- evidence: their rows.
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
           count(*) FILTER (certified AND flexible_worker) AS cert_flex, count(*) FILTER (certified) AS certified,
           count(*) FILTER (NOT certified AND flexible_worker) AS uncert_flex, count(*) FILTER (NOT certified) AS uncertified
    FROM trainings GROUP BY city_code
),
-- Each city's difference, and the rest of the province's (its other
-- cities' trainings together), rounded so that 0.8 − 0.5 is 0.3 and not
-- above it.
gaps AS (
    SELECT g.*,
           round(g.cert_flex / nullif(g.certified, 0) - g.uncert_flex / nullif(g.uncertified, 0), 12) AS gap,
           round((sum(g.cert_flex) OVER () - g.cert_flex) / nullif(sum(g.certified) OVER () - g.certified, 0)
                 - (sum(g.uncert_flex) OVER () - g.uncert_flex) / nullif(sum(g.uncertified) OVER () - g.uncertified, 0), 12) AS others,
           g.uncertified - g.uncert_flex AS n
    FROM groups g
)
SELECT 'K12' AS check_id, g.city_code, 'trainings' AS subject, '' AS finding_key,
       g.gap AS figure, t.label_gap AS threshold, g.others AS reference, g.n AS cases,
       r.upload_id, r.row_no, NULL::DATE AS month, r.id_masked,
       NULL AS other_city, NULL::BIGINT AS other_upload, NULL::INTEGER AS other_row
FROM gaps g, t, trainings r
WHERE g.certified >= t.label_cases AND g.uncertified >= t.label_cases AND g.gap > t.label_gap AND g.others < t.label_median
  AND r.city_code = g.city_code AND NOT r.certified AND NOT r.flexible_worker
