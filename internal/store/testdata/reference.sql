CREATE TABLE telemetry_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at TEXT NOT NULL,
  event_at TEXT NOT NULL,
  source_type TEXT NOT NULL,
  event_type TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  job_name TEXT,
  script_path TEXT,
  run_id TEXT,
  scheduled_for TEXT,
  success INTEGER,
  return_code INTEGER,
  duration_ms INTEGER,
  metadata_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_events_job_event_at ON telemetry_events(job_name, event_at);
CREATE INDEX idx_events_level_event_at ON telemetry_events(level, event_at);
CREATE INDEX idx_events_run ON telemetry_events(run_id);

CREATE TABLE check_states (
  job_name TEXT PRIMARY KEY,
  enabled INTEGER NOT NULL DEFAULT 1,
  alert_on_failure INTEGER NOT NULL DEFAULT 1,
  alert_on_miss INTEGER NOT NULL DEFAULT 1,
  grace_seconds INTEGER NOT NULL DEFAULT 120,
  status TEXT NOT NULL DEFAULT 'UP',
  last_heartbeat_at TEXT,
  expected_next_at TEXT,
  last_success_at TEXT,
  last_failure_at TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);
CREATE INDEX idx_checks_status_updated ON check_states(status, updated_at);

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_name TEXT NOT NULL,
  alert_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  closed_at TEXT,
  dedupe_key TEXT NOT NULL,
  title TEXT NOT NULL,
  details_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_alerts_status_opened ON alerts(status, opened_at);
CREATE INDEX idx_alerts_job_status ON alerts(job_name, status);
CREATE INDEX idx_alerts_dedupe_status ON alerts(dedupe_key, status);

CREATE TABLE alert_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id INTEGER NOT NULL REFERENCES alerts(id),
  channel TEXT NOT NULL,
  attempted_at TEXT NOT NULL,
  status TEXT NOT NULL,
  response_code INTEGER,
  error_text TEXT
);

CREATE TABLE service_config (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE "user" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "name" TEXT NOT NULL,
  "email" TEXT NOT NULL UNIQUE,
  "emailVerified" INTEGER NOT NULL,
  "image" TEXT,
  "createdAt" DATE NOT NULL,
  "updatedAt" DATE NOT NULL
);
CREATE TABLE "session" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "expiresAt" DATE NOT NULL,
  "token" TEXT NOT NULL UNIQUE,
  "createdAt" DATE NOT NULL,
  "updatedAt" DATE NOT NULL,
  "ipAddress" TEXT,
  "userAgent" TEXT,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE
);
CREATE TABLE "account" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "accountId" TEXT NOT NULL,
  "providerId" TEXT NOT NULL,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE,
  "accessToken" TEXT,
  "refreshToken" TEXT,
  "idToken" TEXT,
  "accessTokenExpiresAt" DATE,
  "refreshTokenExpiresAt" DATE,
  "scope" TEXT,
  "password" TEXT,
  "createdAt" DATE NOT NULL,
  "updatedAt" DATE NOT NULL
);
CREATE TABLE "verification" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "identifier" TEXT NOT NULL,
  "value" TEXT NOT NULL,
  "expiresAt" DATE NOT NULL,
  "createdAt" DATE NOT NULL,
  "updatedAt" DATE NOT NULL
);
CREATE INDEX "session_userId_idx" ON "session"("userId");
CREATE INDEX "account_userId_idx" ON "account"("userId");
CREATE INDEX "verification_identifier_idx" ON "verification"("identifier");
INSERT INTO telemetry_events (received_at, event_at, source_type, event_type, level, message, job_name, script_path, run_id, scheduled_for, success, return_code, duration_ms, metadata_json) VALUES
 ('2026-03-04T09:15:02.420Z', '2026-03-04T09:15:01.902311+00:00', 'chief', 'job.completed', 'INFO', 'Job invoice-sync completed.', 'invoice-sync', NULL, 'invoice-sync:1', NULL, 1, NULL, 456000, '{"grace_seconds":300}'),
 ('2026-03-04T09:15:02.420Z', '2026-03-04T09:15:02.010442+00:00', 'chief', 'job.next_scheduled', 'INFO', 'Next run', 'invoice-sync', NULL, 'invoice-sync:1', NULL, NULL, NULL, NULL, '{"next_run_at":"2026-03-04T10:14:30+00:00"}'),
 ('2026-03-04T09:19:58.500Z', '2026-03-04T09:19:58.441907+00:00', 'chief', 'chief.heartbeat', 'INFO', 'Chief heartbeat (daemon).', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{"ping_interval_seconds":15,"mode":"daemon","pid":4412}'),
 ('2026-03-04T09:20:00.000Z', 'not a date', 'worker', 'worker.message', 'WARN', 'odd timestamp', 'invoice-sync', 'w.py', NULL, NULL, NULL, NULL, NULL, '{}');
INSERT INTO check_states (job_name, enabled, alert_on_failure, alert_on_miss, grace_seconds, status, last_heartbeat_at, expected_next_at, last_success_at, last_failure_at, consecutive_failures, updated_at) VALUES
 ('invoice-sync', 1, 1, 1, 300, 'UP', '2026-03-04T09:15:01.902311+00:00', '2026-03-04T10:14:30+00:00', '2026-03-04T09:15:01.902311+00:00', NULL, 0, '2026-03-04T09:15:02.420Z');
INSERT INTO alerts (job_name, alert_type, severity, status, opened_at, closed_at, dedupe_key, title, details_json) VALUES
 ('invoice-sync', 'FAILURE', 'ERROR', 'OPEN', '2026-03-04T08:00:00.000Z', NULL, 'invoice-sync:FAILURE', 'Job invoice-sync failed', '{}'),
 ('invoice-sync', 'FAILURE', 'ERROR', 'OPEN', '2026-03-04T08:30:00.000Z', NULL, 'invoice-sync:FAILURE', 'Job invoice-sync failed', '{}'),
 ('invoice-sync', 'MISSED', 'WARN', 'CLOSED', '2026-03-03T08:00:00.000Z', '2026-03-03T08:05:00.000Z', 'invoice-sync:MISSED', 'Job invoice-sync missed expected heartbeat', '{}');
INSERT INTO alert_deliveries (alert_id, channel, attempted_at, status, response_code, error_text) VALUES
 (1, 'webhook', '2026-03-04T08:00:00.000Z', 'STUB', NULL, 'Webhook integration not configured in v1.');
INSERT INTO service_config (key, value_json, updated_at) VALUES
 ('alert_email_settings', '{"recipients":["ops@example.org"],"enabledAlertTypes":["FAILURE"]}', '2026-03-01T00:00:00.000Z');
INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") VALUES
 ('a8Fz01aaaaaaaaaaaaaaaaaaaaaaaaaa', 'admin', 'admin@example.org', 0, NULL, '2026-03-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z');
