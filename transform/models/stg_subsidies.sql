-- Subsidy payments of the current upload versions only.
SELECT s.*
FROM subsidies s
JOIN current_uploads u USING (upload_id)
