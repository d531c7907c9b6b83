package models

// Delivery statuses. STUB, SENT and FAILED are the original's; the others belong to the outbox.
const (
	// DeliveryPending is a queued message not yet delivered (it may have failed attempts).
	DeliveryPending = "PENDING"
	// DeliverySent is a message the provider accepted.
	DeliverySent = "SENT"
	// DeliveryFailed is a message given up on, or the original's EMAIL_NOT_CONFIGURED row.
	DeliveryFailed = "FAILED"
	// DeliverySuppressed is a message not sent because of the per-job cooldown.
	DeliverySuppressed = "SUPPRESSED"
	// DeliveryRetry records one failed attempt that will be retried.
	DeliveryRetry = "RETRY"
	// DeliveryStub is the original's webhook placeholder.
	DeliveryStub = "STUB"
)

// AlertDelivery is one row of alert_deliveries: one notification of an alert on one channel.
// The original wrote only the first seven columns; the rest make the table an outbox that the
// notifier claims, sends and retries.
type AlertDelivery struct {
	ID           int64   `gorm:"column:id;primaryKey"`
	AlertID      int64   `gorm:"column:alert_id"`
	Channel      string  `gorm:"column:channel"`
	AttemptedAt  string  `gorm:"column:attempted_at"`
	Status       string  `gorm:"column:status"`
	ResponseCode *int64  `gorm:"column:response_code"`
	ErrorText    *string `gorm:"column:error_text"`
	// DeliveryKey makes queueing idempotent: one message per alert, channel and target.
	DeliveryKey *string `gorm:"column:delivery_key"`
	Target      *string `gorm:"column:target"`
	Attempt     int64   `gorm:"column:attempt"`
	QueuedAtMs  *int64  `gorm:"column:queued_at_ms"`
	// NextAttemptAtMs is when a PENDING row is due.
	NextAttemptAtMs *int64 `gorm:"column:next_attempt_at_ms"`
	// ClaimedUntilMs and ClaimToken hold a notifier's claim while it sends.
	ClaimedUntilMs *int64  `gorm:"column:claimed_until_ms"`
	ClaimToken     *string `gorm:"column:claim_token"`
	// Reminder is 0 for an alert's first message and n for its n-th reminder.
	Reminder int64 `gorm:"column:reminder"`
}

// TableName maps the struct to the original table name.
func (AlertDelivery) TableName() string { return "alert_deliveries" }
