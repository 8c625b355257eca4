-- The counts behind every indicator: numerator and denominator per city,
-- and for the indicators of person rows (ref_indicators.by_county) per
-- county of the city (int_row_counties; the city's own code is 市本级/未分区县),
-- so a city's counts are its counties' summed (mart_indicators) and the
-- county figures (mart_county_indicators) come from the same counts. A
-- person counted once (I1, I8, I18) counts in one county: that of their
-- latest row (the greater area code on the same day). county_code is NULL
-- for the indicators counted per city only.
WITH p AS (SELECT * FROM scratch.params),
reg AS (
    SELECT r.* FROM scratch.stg_registrations r, p WHERE r.applied_on BETWEEN p.period_start AND p.period_end
),
-- One pass over the period's registrations for I2, I3 and I5 (a group
-- without flexible registrations is none of I2 or I3), one over its
-- trainings for I9 and I10.
reg_counts AS (
    SELECT city_code, area_code,
           count(*) FILTER (reg_type = '灵活就业登记') AS flexible,
           count(*) FILTER (reg_type = '灵活就业登记' AND employment_form = '新就业形态') AS new_forms,
           count(*) FILTER (reg_type = '灵活就业登记' AND person_group IN ('高校毕业生', '农民工', '就业困难人员', '脱贫人口')) AS key_groups,
           count(*) FILTER (channel = '线上') AS online,
           count(*) AS registrations
    FROM reg GROUP BY ALL
),
-- Trainings of flexible workers only (measure 5 is about them).
trainings AS (SELECT * FROM scratch.stg_trainings WHERE flexible_worker),
tr AS (SELECT t.* FROM trainings t, p WHERE t.ended_on BETWEEN p.period_start AND p.period_end),
-- I11's cases: flexible workers' completed trainings that ended in the
-- window of the period's length ending six months before its end, when the
-- window counts (int_lag_window).
tr_lagged AS (
    SELECT t.* FROM trainings t, p, scratch.int_lag_window w
    WHERE w.known AND t.completed AND t.ended_on BETWEEN p.lag_start AND p.lag_end
),
allocated AS (
    SELECT f.city_code, sum(f.allocated_fen)::DOUBLE AS fen
    FROM scratch.ref_funds f JOIN scratch.ref_months m USING (month) GROUP BY f.city_code
),
sv AS (
    SELECT s.* FROM scratch.stg_services s, p WHERE s.month BETWEEN p.period_start AND p.period_end
),
sv_last AS (
    SELECT sv.* FROM sv, p WHERE sv.month = p.last_month
),
paid AS (
    SELECT s.* FROM scratch.stg_subsidies s, p WHERE s.paid_on BETWEEN p.period_start AND p.period_end
),
si_paid AS (SELECT DISTINCT person_id FROM paid WHERE subsidy_type = '社会保险补贴'),
training_paid AS (SELECT DISTINCT person_id FROM paid WHERE subsidy_type = '职业培训补贴'),
tr_counts AS (
    SELECT city_code, area_code,
           count(*) FILTER (certified) AS certified,
           count(*) FILTER (training_type = '新职业培训') AS new_occupations,
           count(*) AS trainings
    FROM tr GROUP BY ALL
),
trained AS (
    SELECT city_code, person_id, arg_max(area_code, (ended_on - DATE '2000-01-01') * 1000000 + area_code::INTEGER) AS area_code
    FROM tr WHERE completed GROUP BY ALL
),
ruled AS (
    SELECT upload_id, row_no, city_code, area_code FROM paid
    WHERE subsidy_type IN ('社会保险补贴', '创业场地补贴', '公益性岗位补贴')
),
-- Counted per area code: the few area codes map to their counties after.
counts AS (
SELECT 'I1' AS indicator, city_code, area_code, count(*)::DOUBLE AS numerator, NULL::DOUBLE AS denominator FROM scratch.int_flexible_registrants GROUP BY ALL
UNION ALL SELECT 'I2', city_code, area_code, new_forms, flexible FROM reg_counts WHERE flexible > 0
UNION ALL SELECT 'I3', city_code, area_code, key_groups, flexible FROM reg_counts WHERE flexible > 0
UNION ALL SELECT 'I4', city_code, area_code, count(*) FILTER (status = 'on_time'), count(*) FILTER (status IN ('on_time', 'late')) FROM scratch.int_unemployment_timeliness GROUP BY ALL
UNION ALL SELECT 'I5', city_code, area_code, online, registrations FROM reg_counts
UNION ALL SELECT 'I6', city_code, NULL, sum(gig_matches), sum(gig_postings) FROM sv GROUP BY ALL
UNION ALL SELECT 'I7', city_code, NULL, sum(gig_markets), NULL FROM sv_last GROUP BY ALL
UNION ALL SELECT 'I17', city_code, NULL, sum(hr_served_flex), NULL FROM sv GROUP BY ALL
UNION ALL SELECT 'I8', f.city_code, f.area_code, count(*) FILTER (si.person_id IS NOT NULL), count(*)
          FROM scratch.int_flexible_registrants f LEFT JOIN si_paid si USING (person_id) WHERE f.si_eligible GROUP BY ALL
UNION ALL SELECT 'I9', city_code, area_code, certified, trainings FROM tr_counts
UNION ALL SELECT 'I10', city_code, area_code, new_occupations, trainings FROM tr_counts
UNION ALL SELECT 'I11', city_code, area_code, count(*) FILTER (employed_6m = '是'), count(*) FROM tr_lagged GROUP BY ALL
UNION ALL SELECT 'I12', city_code, NULL, sum(loans_online), sum(loans_applied) FROM sv GROUP BY ALL
UNION ALL SELECT 'I18', t.city_code, t.area_code, count(*) FILTER (tp.person_id IS NOT NULL), count(*)
          FROM trained t LEFT JOIN training_paid tp USING (person_id) GROUP BY ALL
UNION ALL SELECT 'I19', city_code, NULL, sum(title_passed_flex), sum(title_applied_flex) FROM sv GROUP BY ALL
UNION ALL SELECT 'I20', f.city_code, NULL, coalesce(a.amount_fen, 0), f.fen
          FROM allocated f
          LEFT JOIN (SELECT city_code, sum(amount_fen)::DOUBLE AS amount_fen FROM paid GROUP BY city_code) a USING (city_code)
UNION ALL SELECT 'I13', city_code, NULL, sum(pension_enrolled), sum(flex_registered) FROM sv_last GROUP BY ALL
UNION ALL SELECT 'I14', city_code, NULL, sum(complaints_closed), sum(complaints_received) FROM sv GROUP BY ALL
UNION ALL SELECT 'I21', city_code, NULL, sum(parttime_written), sum(parttime_checked) FROM sv GROUP BY ALL
UNION ALL SELECT 'I15', r.city_code, r.area_code, count(*) FILTER (b.upload_id IS NULL), count(*)
          FROM ruled r LEFT JOIN (SELECT DISTINCT upload_id, row_no FROM scratch.int_subsidy_breaches) b USING (upload_id, row_no) GROUP BY ALL
UNION ALL SELECT 'I16', city_code, NULL, count(*) FILTER (on_time), count(*) FROM scratch.int_extract_timeliness GROUP BY ALL
UNION ALL SELECT 'I22', city_code, NULL, sum(publicity_events), NULL FROM sv GROUP BY ALL
)
SELECT c.indicator, c.city_code, a.county_code, sum(c.numerator) AS numerator, sum(c.denominator) AS denominator
FROM counts c
LEFT JOIN scratch.int_row_counties a USING (city_code, area_code)
GROUP BY ALL
