-- Registrations of the current upload versions of the months due in the
-- period. Every row lies in its upload's month (applied_on), so no other month
-- is read, and the filter on applied_on lets DuckDB skip whole row groups: the
-- cost follows the period, not the history.
SELECT r.*
FROM scratch.src_registrations r
JOIN scratch.src_current_uploads u USING (upload_id)
CROSS JOIN scratch.params p
WHERE u.month BETWEEN p.period_start AND p.period_end
  AND r.applied_on BETWEEN p.period_start AND p.period_end
