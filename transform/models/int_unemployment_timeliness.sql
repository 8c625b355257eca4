-- Each 失业登记 applied for in the period and whether it was handled within 7
-- working days: on time, late, or left out (pending and still inside its
-- limit at the cut-off: the earlier of the period's end and the as-of date).
SELECT r.upload_id, r.row_no, r.city_code, r.area_code, r.applied_on, r.completed_on,
       cc.workday_no - ca.workday_no AS workdays_taken,
       deadline.day AS deadline,
       CASE
           WHEN r.completed_on IS NOT NULL THEN
               CASE WHEN cc.workday_no - ca.workday_no <= 7 THEN 'on_time' ELSE 'late' END
           WHEN deadline.day < p.cutoff THEN 'late'
           ELSE 'left_out'
       END AS status
FROM scratch.stg_registrations r
CROSS JOIN scratch.params p
JOIN scratch.int_calendar ca ON ca.day = r.applied_on
LEFT JOIN scratch.int_calendar cc ON cc.day = r.completed_on
LEFT JOIN scratch.int_calendar deadline ON deadline.is_workday AND deadline.workday_no = ca.workday_no + 7
WHERE r.reg_type = '失业登记'
  AND r.applied_on BETWEEN p.period_start AND p.period_end
