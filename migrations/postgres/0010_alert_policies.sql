-- 0010: alert policies. A job's tags and its alert policy come with its check metadata; an
-- admin pauses a job or plans maintenance windows; an alert opened while either applies is
-- recorded as suppressed instead of delivered; an open alert reminds at its interval.
ALTER TABLE check_states ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE check_states ADD COLUMN failure_threshold BIGINT;
ALTER TABLE check_states ADD COLUMN recovery_threshold BIGINT;
ALTER TABLE check_states ADD COLUMN realert_minutes BIGINT;
ALTER TABLE check_states ADD COLUMN max_duration_seconds BIGINT;
ALTER TABLE check_states ADD COLUMN slow_factor DOUBLE PRECISION;
ALTER TABLE check_states ADD COLUMN consecutive_successes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN suppressed_reason TEXT;
ALTER TABLE alerts ADD COLUMN reminders BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN last_notified_at TEXT;
ALTER TABLE alert_deliveries ADD COLUMN reminder BIGINT NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS job_pauses (
  job_name TEXT PRIMARY KEY,
  paused_at TEXT NOT NULL,
  paused_by TEXT NOT NULL,
  until_at TEXT,
  until_ms BIGINT,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS maintenance_windows (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  jobs_json TEXT NOT NULL DEFAULT '[]',
  tags_json TEXT NOT NULL DEFAULT '[]',
  starts_at TEXT,
  ends_at TEXT,
  cron TEXT NOT NULL DEFAULT '',
  duration_minutes BIGINT NOT NULL DEFAULT 0,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
-- A job's duration baseline reads its newest succeeded runs that have a duration; this index
-- holds exactly those, so a job with many other runs costs no scan.
CREATE INDEX IF NOT EXISTS idx_runs_job_durations ON runs(job_name, sort_ms) WHERE status = 'succeeded' AND duration_ms IS NOT NULL;
