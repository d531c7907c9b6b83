-- 0006: no query reads events by run id; the reference's index on it only slowed every insert.
DROP INDEX IF EXISTS idx_events_run;
