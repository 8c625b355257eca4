-- Each city × kind × month of the period: when its first accepted upload was
-- received, and whether that was by the end of the 10th of the next month in
-- Asia/Shanghai (UTC+8 all year: China has kept no daylight saving since
-- 1991, so the deadline instant is that local midnight minus 8 hours).
WITH months AS (
    SELECT CAST(m AS DATE) AS month
    FROM work.params p, generate_series(p.period_start, p.period_end, INTERVAL 1 MONTH) AS t(m)
), slots AS (
    SELECT c.code AS city_code, k.kind, months.month
    FROM work.ref_cities c
    CROSS JOIN (VALUES ('registrations'), ('subsidies'), ('trainings'), ('services')) AS k(kind)
    CROSS JOIN months
), first_upload AS (
    SELECT city_code, kind, month, min(received_at) AS first_received
    FROM uploads
    GROUP BY ALL
)
SELECT s.city_code, s.kind, s.month, f.first_received,
       epoch(CAST(s.month + INTERVAL 1 MONTH + INTERVAL 10 DAY AS TIMESTAMP)) - 8 * 3600 AS deadline_epoch,
       coalesce(epoch(f.first_received) < epoch(CAST(s.month + INTERVAL 1 MONTH + INTERVAL 10 DAY AS TIMESTAMP)) - 8 * 3600, false) AS on_time
FROM slots s
LEFT JOIN first_upload f USING (city_code, kind, month)
