-- 0011: public status badges. A badge shows the health of every job, or of the jobs whose
-- name matches job_pattern or that have a tag matching tag_pattern (path.Match globs; both ''
-- is every job), to anyone holding its token.
-- Only the SHA-256 of the token (hex) is stored: the URL is shown once, when the badge is made.
CREATE TABLE IF NOT EXISTS badges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash TEXT NOT NULL,
  label TEXT NOT NULL,
  job_pattern TEXT NOT NULL DEFAULT '',
  tag_pattern TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at TEXT,
  revoked_by TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_badges_token_hash ON badges(token_hash);
