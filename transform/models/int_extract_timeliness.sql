-- Each city × kind × due month of the period: the version that counts
-- (int_counting_versions), when it was received, and whether that was by
-- the month's deadline (the end of the 10th of the next month in
-- Asia/Shanghai, computed once by Month.Deadline and loaded as
-- scratch.ref_months). A month with no version known by the as-of date is
-- late; so is one whose on-time placeholder was followed by the real extract.
WITH slots AS (
    SELECT c.code AS city_code, k.kind, m.month, m.deadline
    FROM scratch.ref_cities c
    CROSS JOIN scratch.ref_kinds k
    CROSS JOIN scratch.ref_months m
)
SELECT s.city_code, s.kind, s.month, v.received_at, s.deadline, v.upload_id,
       coalesce(v.on_time, false) AS on_time, v.upload_id IS NOT NULL AS sent
FROM slots s
LEFT JOIN scratch.int_counting_versions v USING (city_code, kind, month)
