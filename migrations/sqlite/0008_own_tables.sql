-- 0008: the running counters, hourly counts, Chief presence and leases move out of
-- service_config into tables of their own; service_config keeps settings only. The hourly
-- counts and the presence are rebuilt from the events by the store after this file.
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS hourly_counts (
  hour_ms INTEGER NOT NULL,
  level TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (hour_ms, level)
);
CREATE TABLE IF NOT EXISTS presence (
  source TEXT PRIMARY KEY,
  event_at TEXT NOT NULL,
  event_at_ms INTEGER NOT NULL,
  ping_interval_seconds INTEGER,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
INSERT INTO counters (name, value) SELECT 'events_total', COUNT(*) FROM telemetry_events;
DELETE FROM service_config WHERE key LIKE 'stats:%' OR key LIKE 'presence:%' OR key LIKE 'lease:%';
