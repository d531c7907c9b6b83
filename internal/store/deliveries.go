package store

import (
	"context"
	"database/sql"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The alert_deliveries table is the notifier's outbox: a row is queued in the transaction that
// opened its alert, then claimed, sent and finished by whichever notifier holds the lease.

// deliveryKeyConflict makes queueing idempotent: one row per delivery key.
var deliveryKeyConflict = clause.OnConflict{
	Columns:     []clause.Column{{Name: "delivery_key"}},
	TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "delivery_key IS NOT NULL"}}},
	DoNothing:   true,
}

// InsertDelivery records one delivery row of the original's kind (no outbox columns).
func (t *Tx) InsertDelivery(d *models.AlertDelivery) error {
	return wrap("insert delivery", t.db.Create(d).Error)
}

// QueueDelivery inserts a delivery row with its outbox columns and sets its ID. A row whose
// DeliveryKey is already stored is not inserted again; inserted reports which.
func (t *Tx) QueueDelivery(d *models.AlertDelivery) (inserted bool, err error) {
	d.ID = 0
	res := t.db.Clauses(deliveryKeyConflict).Create(d)
	return res.RowsAffected == 1, wrap("queue delivery", res.Error)
}

// countedStatuses are the statuses of a message that was queued to be sent: suppressed ones
// and retry records do not count towards a cooldown.
var countedStatuses = []string{models.DeliveryPending, models.DeliverySent, models.DeliveryFailed}

// RecentDelivery reports whether a message for the job and alert type was queued on the
// channel and target at or after sinceMs.
func (t *Tx) RecentDelivery(job string, typ models.AlertType, channel, target string, sinceMs int64) (bool, error) {
	var n int64
	err := t.db.Table("alert_deliveries AS d").Joins("JOIN alerts AS a ON a.id = d.alert_id").
		Where("d.channel = ? AND d.target = ? AND d.queued_at_ms >= ? AND d.delivery_key IS NOT NULL", channel, target, sinceMs).
		Where("d.status IN ? AND a.job_name = ? AND a.alert_type = ?", countedStatuses, job, string(typ)).
		Count(&n).Error
	return n > 0, wrap("recent delivery", err)
}

// dueAt selects the PENDING rows due at nowMs.
func dueAt(q *gorm.DB, nowMs int64) *gorm.DB {
	return q.Where("status = ? AND next_attempt_at_ms <= ?", models.DeliveryPending, nowMs)
}

// DueDeliveries lists the ids of at most limit PENDING rows due at nowMs whose claim, if any,
// has expired, oldest due first.
func (t *Tx) DueDeliveries(nowMs int64, limit int) ([]int64, error) {
	var ids []int64
	err := dueAt(t.db.Model(&models.AlertDelivery{}), nowMs).
		Where("claimed_until_ms IS NULL OR claimed_until_ms <= ?", nowMs).
		Order("next_attempt_at_ms, id").Limit(limit).Pluck("id", &ids).Error
	return ids, wrap("due deliveries", err)
}

// ClaimDelivery takes a due row for token until untilMs and counts one more attempt. It
// reports false when another notifier claimed or finished the row first.
func (t *Tx) ClaimDelivery(id int64, token string, nowMs, untilMs int64) (bool, error) {
	res := t.db.Model(&models.AlertDelivery{}).
		Where("id = ? AND status = ? AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?)", id, models.DeliveryPending, nowMs).
		Updates(map[string]any{"claim_token": token, "claimed_until_ms": untilMs, "attempt": gorm.Expr("attempt + 1")})
	return res.RowsAffected == 1, wrap("claim delivery", res.Error)
}

// ReleaseDelivery gives back a row the token claimed but did not send (shutdown): it is due
// again at once for the next notifier, and the attempt counted by the claim is taken back.
func (t *Tx) ReleaseDelivery(id int64, token string) error {
	err := t.db.Model(&models.AlertDelivery{}).Where("id = ? AND claim_token = ?", id, token).
		Updates(map[string]any{"claim_token": nil, "claimed_until_ms": nil, "attempt": gorm.Expr("attempt - 1")}).Error
	return wrap("release delivery", err)
}

// ClaimedDeliveries loads the rows a claim token owns.
func (t *Tx) ClaimedDeliveries(token string) ([]models.AlertDelivery, error) {
	var out []models.AlertDelivery
	err := t.db.Where("claim_token = ?", token).Order("id").Find(&out).Error
	return out, wrap("claimed deliveries", err)
}

// Outcome is the result of one attempt, written by FinishDelivery.
type Outcome struct {
	// Status is the row's new status: SENT, FAILED, or PENDING for a retry.
	Status       string
	AttemptedAt  string
	ResponseCode *int64
	ErrorText    *string
	// NextAttemptAtMs is when a PENDING row is due again.
	NextAttemptAtMs *int64
}

// FinishDelivery records an attempt on a row the token still owns and releases the claim. A
// retry also leaves a RETRY history row. It reports false when the claim was lost (expired and
// taken by another notifier), and then writes nothing.
func (t *Tx) FinishDelivery(d models.AlertDelivery, token string, o Outcome) (bool, error) {
	res := t.db.Model(&models.AlertDelivery{}).Where("id = ? AND claim_token = ?", d.ID, token).
		Updates(map[string]any{"status": o.Status, "attempted_at": o.AttemptedAt, "response_code": o.ResponseCode,
			"error_text": o.ErrorText, "next_attempt_at_ms": o.NextAttemptAtMs, "claim_token": nil, "claimed_until_ms": nil})
	if res.Error != nil || res.RowsAffected != 1 {
		return false, wrap("finish delivery", res.Error)
	}
	if o.Status != models.DeliveryPending {
		return true, nil
	}
	h := models.AlertDelivery{AlertID: d.AlertID, Channel: d.Channel, AttemptedAt: o.AttemptedAt,
		Status: models.DeliveryRetry, ResponseCode: o.ResponseCode, ErrorText: o.ErrorText, Target: d.Target,
		Attempt: d.Attempt, QueuedAtMs: d.QueuedAtMs}
	return true, t.InsertDelivery(&h)
}

// Deliveries lists the delivery rows of the given alerts, oldest first.
func (s *Store) Deliveries(ctx context.Context, alertIDs ...int64) ([]models.AlertDelivery, error) {
	out := []models.AlertDelivery{}
	if len(alertIDs) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Where("alert_id IN ?", alertIDs).Order("id").Find(&out).Error
	return out, wrap("deliveries", err)
}

// AnyDue reports whether a PENDING row is due at nowMs (its claim, if any, may be live). It
// reads the reader pool, so an idle notifier pass costs no write.
func (s *Store) AnyDue(ctx context.Context, nowMs int64) (bool, error) {
	var ids []int64
	err := dueAt(s.db.WithContext(ctx).Model(&models.AlertDelivery{}), nowMs).Limit(1).Pluck("id", &ids).Error
	return len(ids) > 0, wrap("due deliveries", err)
}

// DeliveryStats is what the notifier's health needs from the table.
type DeliveryStats struct {
	// OverdueSinceMs is the due time of the oldest PENDING row, or 0 when none is pending.
	OverdueSinceMs int64
	// Pending counts PENDING rows.
	Pending int64
	// Recent lists the final statuses (SENT or FAILED) of the latest sends, newest first.
	Recent []string
}

// DeliveryStats counts pending rows and reads the outcome of the last n sends.
func (s *Store) DeliveryStats(ctx context.Context, n int) (DeliveryStats, error) {
	var st DeliveryStats
	var oldest sql.NullInt64
	err := s.db.WithContext(ctx).Model(&models.AlertDelivery{}).Select("COUNT(*), MIN(next_attempt_at_ms)").
		Where("status = ?", models.DeliveryPending).Row().Scan(&st.Pending, &oldest)
	if err != nil {
		return st, wrap("delivery stats", err)
	}
	st.OverdueSinceMs = oldest.Int64
	err = s.db.WithContext(ctx).Model(&models.AlertDelivery{}).
		Where("delivery_key IS NOT NULL AND status IN ?", []string{models.DeliverySent, models.DeliveryFailed}).
		Order("attempted_at DESC, id DESC").Limit(n).Pluck("status", &st.Recent).Error
	return st, wrap("delivery stats", err)
}
