-- K10 subsidy histories: the same person's payments of one subsidy type in
-- the city, in the order paid over the period and the 12 months before it,
-- disagree with themselves — months_received not rising, contribution
-- changing by more than history_change (default 0.2) of the earlier one,
-- or the person's group changing — or a payment of another type carries
-- the personal contribution only a 社会保险补贴 has (a row relabelled out of
-- the rules). Subject "history"; figure: the share of the period's payments
-- with an earlier one that disagree; reference: those payments; evidence:
-- each payment and (other_upload, other_row) the one before it.
-- And a type without rules (not 社会保险补贴, 创业场地补贴 or 公益性岗位补贴)
-- whose share of the city's payment amount rose by more than unruled_rise
-- (default 0.2) against the four periods of the same length before (with
-- payments in them), with at least unruled_cases (default 20) payments of
-- the type in the period. Subject: the type; reference: the share before;
-- evidence: the period's months and their uploads.
WITH t AS (SELECT * FROM scratch.integrity_params),
versions AS (
    SELECT upload_id, month FROM scratch.int_counting_versions
    WHERE kind = 'subsidies' AND month BETWEEN getvariable('history_start') AND getvariable('period_end')
),
recent AS (
    SELECT s.city_code, s.person_id, s.subsidy_type, s.person_group, s.contribution_fen, s.months_received, s.paid_on,
           s.upload_id, s.row_no, s.id_masked
    FROM scratch.src_subsidies s SEMI JOIN versions USING (upload_id)
    WHERE s.paid_on BETWEEN getvariable('spike_start') AND getvariable('period_end')
),
ordered AS (
    SELECT r.*, lag(months_received) OVER w AS prev_months, lag(contribution_fen) OVER w AS prev_contribution,
           lag(person_group) OVER w AS prev_group, lag(upload_id) OVER w AS prev_upload, lag(row_no) OVER w AS prev_row
    FROM recent r
    WINDOW w AS (PARTITION BY city_code, person_id, subsidy_type ORDER BY paid_on, months_received, upload_id, row_no)
),
judged AS (
    SELECT *, prev_months IS NOT NULL AND (months_received <= prev_months
               OR abs(contribution_fen - prev_contribution) > history_change * prev_contribution
               OR person_group <> prev_group)
           OR relabelled AS broken
    FROM (
        SELECT o.*, t.history_change, o.subsidy_type <> '社会保险补贴' AND o.contribution_fen IS NOT NULL AS relabelled
        FROM ordered o, t
        WHERE o.paid_on BETWEEN getvariable('period_start') AND getvariable('period_end')
    )
),
histories AS (
    SELECT city_code, count(*) FILTER (broken) AS n, count(*) FILTER (prev_months IS NOT NULL OR relabelled) AS base
    FROM judged GROUP BY city_code HAVING count(*) FILTER (broken) > 0
),
-- The amount of each type, in the period (back 0) and the four periods
-- before it (back 1).
amounts AS (
    SELECT s.city_code, s.subsidy_type, CASE WHEN s.paid_on >= getvariable('period_start') THEN 0 ELSE 1 END AS back, sum(s.amount_fen) AS fen,
           count(*) AS n
    FROM scratch.src_subsidies s SEMI JOIN versions USING (upload_id)
    WHERE s.paid_on BETWEEN getvariable('shift_start') AND getvariable('period_end')
    GROUP BY ALL
),
totals AS (
    SELECT city_code, sum(fen) FILTER (back = 0) AS now, sum(fen) FILTER (back = 1) AS before FROM amounts GROUP BY city_code
),
shares AS (
    SELECT a.city_code, a.subsidy_type,
           coalesce(sum(a.fen) FILTER (a.back = 0), 0) / any_value(t.now) AS share,
           coalesce(sum(a.fen) FILTER (a.back = 1), 0) / any_value(t.before) AS before,
           coalesce(sum(a.n) FILTER (a.back = 0), 0) AS n
    FROM amounts a JOIN totals t USING (city_code)
    GROUP BY a.city_code, a.subsidy_type
),
risen AS (
    SELECT s.* FROM shares s, t
    WHERE s.subsidy_type NOT IN ('社会保险补贴', '创业场地补贴', '公益性岗位补贴') AND s.share - s.before > t.unruled_rise AND s.n >= t.unruled_cases
)
SELECT 'K10' AS check_id, j.city_code, 'history' AS subject, '' AS finding_key,
       h.n / h.base AS figure, 0.0 AS threshold, h.base::DOUBLE AS reference, h.n AS cases,
       j.upload_id, j.row_no, NULL::DATE AS month, j.id_masked,
       NULL AS other_city, j.prev_upload AS other_upload, j.prev_row AS other_row
FROM judged j JOIN histories h USING (city_code)
WHERE j.broken
UNION ALL
SELECT 'K10', r.city_code, r.subsidy_type, '', r.share - r.before, t.unruled_rise, r.before, 0,
       v.upload_id, NULL, v.month, NULL, NULL, NULL, NULL
FROM risen r
JOIN scratch.int_counting_versions v ON v.city_code = r.city_code AND v.kind = 'subsidies'
JOIN scratch.ref_months USING (month)
CROSS JOIN t
