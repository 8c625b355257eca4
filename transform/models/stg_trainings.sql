-- Trainings of the current upload versions only.
SELECT t.*
FROM trainings t
JOIN current_uploads u USING (upload_id)
