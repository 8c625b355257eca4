-- Monthly service statistics of the current upload versions only.
SELECT s.*
FROM services s
JOIN current_uploads u USING (upload_id)
