-- 0004: the job page reads a job's runs and heartbeats by type and time.
CREATE INDEX IF NOT EXISTS idx_events_job_type_ms ON telemetry_events(job_name, event_type, event_at_ms);
