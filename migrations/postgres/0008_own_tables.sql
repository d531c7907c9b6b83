-- 0008: the running counters, hourly counts, Chief presence and leases move out of
-- service_config into tables of their own; service_config keeps settings only. The hourly
-- counts and the presence are rebuilt from the events by the store after this file.
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS hourly_counts (
  hour_ms BIGINT NOT NULL,
  level TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (hour_ms, level)
);
CREATE TABLE IF NOT EXISTS presence (
  source TEXT PRIMARY KEY,
  event_at TEXT NOT NULL,
  event_at_ms BIGINT NOT NULL,
  ping_interval_seconds BIGINT,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_ms BIGINT NOT NULL,
  updated_at TEXT NOT NULL
);
INSERT INTO counters (name, value) SELECT 'events_total', COUNT(*) FROM telemetry_events;
DELETE FROM service_config WHERE key LIKE 'stats:%' OR key LIKE 'presence:%' OR key LIKE 'lease:%';
