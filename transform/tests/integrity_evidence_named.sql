-- Every evidence row names an upload or a month.
SELECT * FROM work.mart_integrity WHERE upload_id IS NULL AND month IS NULL
