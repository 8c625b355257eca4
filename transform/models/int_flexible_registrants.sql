-- The distinct persons of each city with a 灵活就业登记 applied for in the
-- period, with whether they belong to a group 社会保险补贴 is for, and their
-- area code: that of their latest registration in the period (the greater
-- code on the same day), so each person counts in one county; and how many
-- such registrations they have in the city (K2's repeats).
SELECT r.city_code, r.person_id, count(*) AS registrations,
       bool_or(r.person_group IN ('就业困难人员', '高校毕业生')) AS si_eligible,
       arg_max(r.area_code, (r.applied_on - DATE '2000-01-01') * 1000000 + r.area_code::INTEGER) AS area_code
FROM scratch.stg_registrations r
CROSS JOIN scratch.params p
WHERE r.reg_type = '灵活就业登记' AND r.applied_on BETWEEN p.period_start AND p.period_end
GROUP BY r.city_code, r.person_id
