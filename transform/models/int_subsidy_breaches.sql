-- One row per payment in the period that breaks a subsidy rule: which rule,
-- its limit and the payment's value (money in fen, exact). 公益性岗位补贴 is
-- held to work_hours × the city's hourly minimum wage in force on paid_on:
-- amount_fen × 100 ≤ work_hours_centi × hourly_fen, all integers (a payment
-- before the city's first minimum-wage row stops the assessment: see
-- guards/). 就业困难人员 have no 36-month cap when less than 5 years remain
-- to retirement (不足5年: retire_on − paid_on < 5 years, so exactly 5 years
-- left is still capped); nobody gets 社会保险补贴 on or after retirement.
WITH pay AS (
    SELECT s.*, c.graduate_extension,
           (SELECT w.hourly_fen FROM scratch.ref_min_wage w
            WHERE w.city_code = s.city_code AND w.valid_from <= s.paid_on
            ORDER BY w.valid_from DESC LIMIT 1) AS hourly_fen
    FROM scratch.stg_subsidies s
    CROSS JOIN scratch.params p
    JOIN scratch.ref_cities c ON c.code = s.city_code
    WHERE s.paid_on BETWEEN p.period_start AND p.period_end
), breaches AS (
    SELECT upload_id, row_no, city_code, subsidy_type, person_group, paid_on,
           'si_group' AS rule, '就业困难人员或高校毕业生' AS limit_text, person_group AS value_text,
           NULL::BIGINT AS limit_num, NULL::BIGINT AS value_num
    FROM pay WHERE subsidy_type = '社会保险补贴' AND person_group NOT IN ('就业困难人员', '高校毕业生')
    UNION ALL
    SELECT upload_id, row_no, city_code, subsidy_type, person_group, paid_on,
           'si_two_thirds', NULL, NULL, contribution_fen * 2 // 3, amount_fen
    FROM pay WHERE subsidy_type = '社会保险补贴' AND amount_fen * 3 > contribution_fen * 2
    UNION ALL
    SELECT upload_id, row_no, city_code, subsidy_type, person_group, paid_on,
           'si_months_hard_to_employ', NULL, NULL, 36, months_received
    FROM pay WHERE subsidy_type = '社会保险补贴' AND person_group = '就业困难人员' AND months_received > 36
                   AND paid_on <= retire_on - INTERVAL 5 YEAR
    UNION ALL
    SELECT upload_id, row_no, city_code, subsidy_type, person_group, paid_on,
           'si_after_retirement', strftime(retire_on, '%Y-%m-%d') || '前', strftime(paid_on, '%Y-%m-%d'), NULL, NULL
    FROM pay WHERE subsidy_type = '社会保险补贴' AND paid_on >= retire_on
    UNION ALL
    SELECT upload_id, row_no, city_code, subsidy_type, person_group, paid_on,
           'si_months_graduate', NULL, NULL, 24 + graduate_extension, months_received
    FROM pay WHERE subsidy_type = '社会保险补贴' AND person_group = '高校毕业生' AND months_received > 24 + graduate_extension
    UNION ALL
    SELECT upload_id, row_no, city_code, subsidy_type, person_group, paid_on,
           'venue_months', NULL, NULL, 24, months_received
    FROM pay WHERE subsidy_type = '创业场地补贴' AND months_received > 24
    UNION ALL
    SELECT upload_id, row_no, city_code, subsidy_type, person_group, paid_on,
           'public_post_wage', NULL, NULL, work_hours_centi * hourly_fen // 100, amount_fen
    FROM pay WHERE subsidy_type = '公益性岗位补贴' AND amount_fen * 100 > work_hours_centi * hourly_fen
)
SELECT * FROM breaches
