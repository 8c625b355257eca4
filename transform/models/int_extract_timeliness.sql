-- Each city × kind × month of the period: when its first accepted upload was
-- received, and whether that was before the month's deadline (the end of the
-- 10th of the next month in Asia/Shanghai, computed once by Month.Deadline
-- and loaded as scratch.ref_months).
WITH slots AS (
    SELECT c.code AS city_code, k.kind, m.month, m.deadline
    FROM scratch.ref_cities c
    CROSS JOIN scratch.ref_kinds k
    CROSS JOIN scratch.ref_months m
)
SELECT s.city_code, s.kind, s.month, r.first_received,
       s.deadline,
       coalesce(r.first_received < s.deadline, false) AS on_time
FROM slots s
LEFT JOIN scratch.src_upload_receipts r USING (city_code, kind, month)
