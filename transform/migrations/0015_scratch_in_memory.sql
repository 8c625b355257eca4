-- The models' tables moved to a database of their own in memory, attached
-- as scratch by transform.Build: the copies earlier builds left in the
-- file's work schema go.
DROP SCHEMA IF EXISTS work CASCADE;
