-- Every city has an hourly minimum wage for the 公益性岗位补贴 rule.
SELECT c.code FROM scratch.ref_cities c LEFT JOIN scratch.ref_min_wage w ON w.city_code = c.code WHERE w.city_code IS NULL
