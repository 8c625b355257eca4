-- A 公益性岗位补贴 is held to work_hours × the city's hourly minimum wage in
-- force on paid_on. One paid before the city's first minimum-wage row cannot
-- be checked: the assessment fails, naming the city and the date, rather than
-- pass it unchecked.
WITH p AS (SELECT * FROM scratch.params),
firsts AS (SELECT city_code, min(valid_from) AS first FROM scratch.ref_min_wage GROUP BY city_code)
SELECT format('{}：{} 发放的公益性岗位补贴早于该市最低工资标准表的第一条（{}），无法核验是否超过工时×小时最低工资。请在最低工资标准表（reference/min-wage.csv，或配置 [reference] min_wage）中补充后重新考核',
              c.name, strftime(min(s.paid_on), '%Y-%m-%d'), coalesce(strftime(f.first, '%Y-%m-%d'), '无')) AS message
FROM scratch.stg_subsidies s
CROSS JOIN p
JOIN scratch.ref_cities c ON c.code = s.city_code
LEFT JOIN firsts f ON f.city_code = s.city_code
WHERE s.subsidy_type = '公益性岗位补贴' AND s.paid_on BETWEEN p.period_start AND p.period_end
  AND (f.first IS NULL OR s.paid_on < f.first)
GROUP BY c.name, f.first
ORDER BY c.name
