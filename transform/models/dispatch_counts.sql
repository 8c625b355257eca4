-- Dispatch (SPEC "Dispatch"): each task's count per city, county and month,
-- over the year and the year before it (the city's seasonal profile), from
-- the versions that count (int_counting_versions: the assessment's rule, as
-- of the same date). A task of distinct persons counts a person once a year,
-- in the month of their first row of that year (T1 a 灵活就业登记 applied
-- for, I1's numerator; T3 a 社会保险补贴 paid), so the months' counts add up
-- to the distinct persons through any month. T2 counts flexible workers'
-- trainings by the month they ended (I9's denominator); T4–T6 sum the
-- services counts (T5 and T6 exist in contract version 2 months only). A
-- person row counts in the county its area code names, else under the city's
-- own code (市本级/未分区县); services are the city's.
WITH v AS (
    SELECT upload_id FROM scratch.int_counting_versions
    WHERE month BETWEEN getvariable('previous_start') AND getvariable('period_end')
),
-- The persons' rows of the two person tasks: T1 a 灵活就业登记 applied for,
-- T3 a 社会保险补贴 paid; each person counted once a year, at their first.
person_rows AS (
    SELECT 'T1' AS task, r.city_code, r.person_id, r.area_code, r.applied_on AS day
    FROM scratch.src_registrations r JOIN v USING (upload_id)
    WHERE r.reg_type = '灵活就业登记' AND r.applied_on BETWEEN getvariable('previous_start') AND getvariable('period_end')
    UNION ALL
    SELECT 'T3', s.city_code, s.person_id, s.area_code, s.paid_on
    FROM scratch.src_subsidies s JOIN v USING (upload_id)
    WHERE s.subsidy_type = '社会保险补贴' AND s.paid_on BETWEEN getvariable('previous_start') AND getvariable('period_end')
),
persons AS (
    SELECT task, city_code, person_id,
           arg_min(area_code, (day - DATE '2000-01-01') * 1000000 + area_code::INTEGER) AS area_code,
           date_trunc('month', min(day))::DATE AS month
    FROM person_rows
    GROUP BY task, city_code, year(day), person_id
),
trained AS (
    SELECT t.city_code, t.area_code, date_trunc('month', t.ended_on)::DATE AS month, count(*) AS n
    FROM scratch.src_trainings t JOIN v USING (upload_id)
    WHERE t.flexible_worker AND t.ended_on BETWEEN getvariable('previous_start') AND getvariable('period_end')
    GROUP BY ALL
),
served AS (
    SELECT s.city_code, s.month, sum(s.gig_matches) AS t4, sum(s.loans_applied) AS t5, sum(s.publicity_events) AS t6
    FROM scratch.src_services s JOIN v USING (upload_id)
    WHERE s.month BETWEEN getvariable('previous_start') AND getvariable('period_end')
    GROUP BY ALL
),
counts AS (
    SELECT task, city_code, area_code, month, count(*) AS n FROM persons GROUP BY ALL
    UNION ALL SELECT 'T2', city_code, area_code, month, n FROM trained
    UNION ALL SELECT 'T4', city_code, city_code, month, t4 FROM served WHERE t4 IS NOT NULL
    UNION ALL SELECT 'T5', city_code, city_code, month, t5 FROM served WHERE t5 IS NOT NULL
    UNION ALL SELECT 'T6', city_code, city_code, month, t6 FROM served WHERE t6 IS NOT NULL
)
SELECT c.task, c.city_code, coalesce(k.code, c.city_code) AS county_code, c.month, sum(c.n)::BIGINT AS n
FROM counts c
LEFT JOIN scratch.ref_counties k ON k.code = c.area_code AND k.city_code = c.city_code
GROUP BY ALL
