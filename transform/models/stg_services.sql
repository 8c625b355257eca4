-- Monthly service statistics of the current upload versions of the months due in the
-- period. Every row lies in its upload's month (month), so no other month
-- is read, and the filter on month lets DuckDB skip whole row groups: the
-- cost follows the period, not the history.
SELECT s.*
FROM scratch.src_services s
JOIN scratch.src_current_uploads u USING (upload_id)
CROSS JOIN scratch.params p
WHERE u.month BETWEEN p.period_start AND p.period_end
  AND s.month BETWEEN p.period_start AND p.period_end
