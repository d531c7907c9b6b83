-- 0007: the job page reads only a job's job.started, job.completed and job.failed events by
-- type and time. Index only those rows, so worker messages and script events (most of the
-- table) no longer pay for an index entry they never use.
DROP INDEX IF EXISTS idx_events_job_type_ms;
CREATE INDEX IF NOT EXISTS idx_events_job_runs_ms ON telemetry_events(job_name, event_type, event_at_ms)
    WHERE event_type IN ('job.started', 'job.completed', 'job.failed');
