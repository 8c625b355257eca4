-- The findings never carry a pseudonym: no model of them has person_id.
SELECT table_name FROM information_schema.columns
WHERE table_catalog = 'scratch' AND (table_name LIKE 'int_integrity_%' OR table_name = 'mart_integrity') AND column_name = 'person_id'
