-- Each city × kind × month that has an accepted upload: when the first came
-- and how many versions there are. The data status, the reminder and the
-- timeliness model (I16) all read the ledger through this view.
CREATE VIEW upload_receipts AS
SELECT city_code, kind, month, min(received_at) AS first_received, count(*) AS versions
FROM uploads
GROUP BY city_code, kind, month;
