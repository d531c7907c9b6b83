-- 0005: lists order by (event_at_ms DESC, id DESC). SQLite's indexes carry the rowid already;
-- PostgreSQL needs id in the index for an index-only backward scan (offset 10,000 at 10 million
-- events: 16 ms → 2 ms). It supersedes the single-column index.
CREATE INDEX IF NOT EXISTS idx_events_at_ms_id ON telemetry_events(event_at_ms, id);
DROP INDEX IF EXISTS idx_events_at_ms;
