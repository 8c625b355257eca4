-- The integrity findings (数据核查) of the period, one row per evidence row:
-- every check's model, numbered by finding (city, check, subject, key) and
-- capped at 200 evidence rows a finding. Findings never change the index.
WITH found AS (
    SELECT * FROM scratch.int_integrity_k1
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k2
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k3
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k4
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k5
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k6
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k7
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k8
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k9
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k10
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k11
    UNION ALL BY NAME SELECT * FROM scratch.int_integrity_k12
)
SELECT dense_rank() OVER (ORDER BY city_code, check_id, subject, finding_key) AS finding_id, *
FROM found
QUALIFY row_number() OVER (PARTITION BY city_code, check_id, subject, finding_key ORDER BY upload_id, row_no, month, other_city) <= 200
