-- 0012: several users with roles, and an audit log of every change made through the dashboard
-- or the API. The role and the sign-in bookkeeping are extra columns of Better Auth's "user"
-- table (Better Auth ignores columns it does not know), so the copy to PostgreSQL keeps
-- working over the one model. A new user is a viewer; every user that exists at upgrade was
-- able to do everything before, so they all become admins and nobody is locked out.
ALTER TABLE "user" ADD COLUMN "role" TEXT NOT NULL DEFAULT 'viewer';
ALTER TABLE "user" ADD COLUMN "disabledAt" TEXT;
ALTER TABLE "user" ADD COLUMN "lastSignInAt" TEXT;
UPDATE "user" SET "role" = 'admin';
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
-- Newest first is id order; the filters of the audit page are by actor and by action.
CREATE INDEX IF NOT EXISTS idx_audit_log_actor ON audit_log(actor, id);
CREATE INDEX IF NOT EXISTS idx_audit_log_action ON audit_log(action, id);
