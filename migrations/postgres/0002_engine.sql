-- 0002: columns and indexes of the Go service. Additive only: every column the reference
-- returns keeps its value; the new ones are internal.

-- A3: the parsed, UTC epoch-ms instant of event_at (received_at when it does not parse), used
-- for ordering, ranges, presence and retention. event_id: the client's optional idempotency key.
ALTER TABLE telemetry_events ADD COLUMN IF NOT EXISTS event_at_ms BIGINT;
ALTER TABLE telemetry_events ADD COLUMN IF NOT EXISTS event_id TEXT;

-- A1, A3, A4, E3: parsed instants, the expectation a heartbeat satisfied, the latest event.
ALTER TABLE check_states ADD COLUMN IF NOT EXISTS expected_next_ms BIGINT;
ALTER TABLE check_states ADD COLUMN IF NOT EXISTS satisfied_expected_at TEXT;
ALTER TABLE check_states ADD COLUMN IF NOT EXISTS last_heartbeat_ms BIGINT;
ALTER TABLE check_states ADD COLUMN IF NOT EXISTS last_success_ms BIGINT;
ALTER TABLE check_states ADD COLUMN IF NOT EXISTS last_failure_ms BIGINT;
ALTER TABLE check_states ADD COLUMN IF NOT EXISTS latest_event_id BIGINT;
ALTER TABLE check_states ADD COLUMN IF NOT EXISTS latest_event_ms BIGINT;

-- A7, A8: who closed an alert and why; how often an open alert was seen again.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS closed_reason TEXT;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS closed_by TEXT;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS last_seen_at TEXT;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS occurrences BIGINT NOT NULL DEFAULT 1;

-- A9, B1: at most one OPEN alert per job and dedupe key. Close older duplicates first.
UPDATE alerts SET status = 'CLOSED',
  closed_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  closed_reason = 'auto:duplicate'
WHERE status = 'OPEN' AND id NOT IN (
  SELECT MAX(id) FROM alerts WHERE status = 'OPEN' GROUP BY job_name, dedupe_key
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_alerts_open_dedupe ON alerts(job_name, dedupe_key) WHERE status = 'OPEN';

-- E5, E6: indexes for every list order and filter.
CREATE INDEX IF NOT EXISTS idx_events_at_ms ON telemetry_events(event_at_ms);
CREATE INDEX IF NOT EXISTS idx_events_job_ms ON telemetry_events(job_name, event_at_ms);
CREATE INDEX IF NOT EXISTS idx_events_level_ms ON telemetry_events(level, event_at_ms);
CREATE INDEX IF NOT EXISTS idx_events_type_ms ON telemetry_events(event_type, event_at_ms);
CREATE INDEX IF NOT EXISTS idx_events_script_ms ON telemetry_events(script_path, event_at_ms);
CREATE UNIQUE INDEX IF NOT EXISTS ux_events_event_id ON telemetry_events(event_id) WHERE event_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_alerts_type_status_opened ON alerts(alert_type, status, opened_at);
CREATE INDEX IF NOT EXISTS idx_alerts_opened ON alerts(opened_at);
CREATE INDEX IF NOT EXISTS idx_deliveries_alert ON alert_deliveries(alert_id);
CREATE INDEX IF NOT EXISTS idx_checks_eval ON check_states(enabled, expected_next_ms);

-- The text-ordered indexes of the reference are superseded by the epoch-ms ones above.
DROP INDEX IF EXISTS idx_events_job_event_at;
DROP INDEX IF EXISTS idx_events_level_event_at;
