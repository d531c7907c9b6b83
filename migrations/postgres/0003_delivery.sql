-- 0003: alert_deliveries becomes a transactional outbox (issue 5). Additive only: the reference
-- columns keep their meaning (channel, attempted_at = time of the latest attempt, status,
-- response_code, error_text); the new ones are internal bookkeeping of the notifier.
--   delivery_key        alert id, channel and target: one queued message, unique when set
--   target              the channel instance (e-mail provider, webhook or Slack channel name)
--   attempt             attempts made so far (counted when claimed)
--   queued_at_ms        when the message was queued (cooldown window)
--   next_attempt_at_ms  when a PENDING row is due
--   claimed_until_ms    a notifier owns the row until then; afterwards it may be claimed again
--   claim_token         the token of the claim that owns the row
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS delivery_key TEXT;
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS target TEXT;
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS attempt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS queued_at_ms BIGINT;
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS next_attempt_at_ms BIGINT;
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS claimed_until_ms BIGINT;
ALTER TABLE alert_deliveries ADD COLUMN IF NOT EXISTS claim_token TEXT;

CREATE UNIQUE INDEX IF NOT EXISTS ux_deliveries_key ON alert_deliveries(delivery_key) WHERE delivery_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_deliveries_due ON alert_deliveries(status, next_attempt_at_ms);
CREATE INDEX IF NOT EXISTS idx_deliveries_cooldown ON alert_deliveries(channel, target, queued_at_ms);
