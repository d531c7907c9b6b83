-- 0009: what the monitor knows of Chief itself: its runners (one per host and config file),
-- the job specs each runner declares, and every run of every job, kept at ingest.
CREATE TABLE IF NOT EXISTS runners (
  runner_id TEXT PRIMARY KEY,
  host TEXT NOT NULL DEFAULT '',
  pid BIGINT,
  version TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL DEFAULT '',
  config_path TEXT NOT NULL DEFAULT '',
  config_hash TEXT NOT NULL DEFAULT '',
  poll_interval_seconds BIGINT,
  heartbeat_seconds BIGINT,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  last_seen_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_specs (
  job_name TEXT NOT NULL,
  runner_id TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (job_name, runner_id)
);
CREATE INDEX IF NOT EXISTS idx_job_specs_runner ON job_specs(runner_id);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  job_name TEXT NOT NULL,
  runner_id TEXT,
  trigger TEXT,
  attempt BIGINT,
  max_attempts BIGINT,
  scheduled_for TEXT,
  started_at TEXT,
  started_ms BIGINT,
  finished_at TEXT,
  finished_ms BIGINT,
  duration_ms BIGINT,
  status TEXT NOT NULL,
  failing_script TEXT,
  exit_code BIGINT,
  error_line TEXT,
  stderr_tail TEXT,
  stdout_tail TEXT,
  scripts_json TEXT NOT NULL DEFAULT '[]',
  sort_ms BIGINT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_runs_job_sort ON runs(job_name, sort_ms);
CREATE INDEX IF NOT EXISTS idx_runs_sort ON runs(sort_ms);
CREATE INDEX IF NOT EXISTS idx_runs_status_sort ON runs(status, sort_ms);
CREATE INDEX IF NOT EXISTS idx_runs_runner_sort ON runs(runner_id, sort_ms);
-- A check whose job left every runner's configuration is retired: shown, never expected.
ALTER TABLE check_states ADD COLUMN retired_at TEXT;
ALTER TABLE check_states ADD COLUMN retired_reason TEXT;
-- The job's newest run, kept at ingest like its latest event, so the jobs list joins one row.
ALTER TABLE check_states ADD COLUMN last_run_id TEXT;
ALTER TABLE check_states ADD COLUMN last_run_ms BIGINT;
