-- The whole rejected row beside its first reject (a JSON array of
-- [header, value] pairs, IDs masked), so the rejects workbook can show the
-- row with its bad cells marked. NULL for rejects stored before.
ALTER TABLE rejects ADD COLUMN row_cells VARCHAR;
ALTER TABLE refusal_rejects ADD COLUMN row_cells VARCHAR;
