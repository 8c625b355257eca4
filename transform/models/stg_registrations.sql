-- Registrations of the current upload versions only.
SELECT r.*
FROM registrations r
JOIN current_uploads u USING (upload_id)
