-- Every evidence row names an upload or a month.
SELECT * FROM scratch.mart_integrity WHERE upload_id IS NULL AND month IS NULL
