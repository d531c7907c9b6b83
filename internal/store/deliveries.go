package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gulag/chief-monitor/models"
)

// Delivery statuses. STUB, SENT and FAILED are the reference's; the others are the outbox's.
const (
	// DeliveryPending is a queued message not yet delivered (it may have failed attempts).
	DeliveryPending = "PENDING"
	// DeliverySent is a message the provider accepted.
	DeliverySent = "SENT"
	// DeliveryFailed is a message given up on, or the reference's EMAIL_NOT_CONFIGURED row.
	DeliveryFailed = "FAILED"
	// DeliverySuppressed is a message not sent because of the per-job cooldown.
	DeliverySuppressed = "SUPPRESSED"
	// DeliveryRetry records one failed attempt that will be retried.
	DeliveryRetry = "RETRY"
	// DeliveryStub is the reference's webhook placeholder.
	DeliveryStub = "STUB"
)

// Delivery is one alert_deliveries row with the outbox columns of migration 0003.
type Delivery struct {
	models.AlertDelivery
	DeliveryKey     *string
	Target          *string
	Attempt         int64
	QueuedAtMs      *int64
	NextAttemptAtMs *int64
	ClaimedUntilMs  *int64
	ClaimToken      *string
}

const deliveryColumns = `id, alert_id, channel, attempted_at, status, response_code, error_text, delivery_key, target,
	attempt, queued_at_ms, next_attempt_at_ms, claimed_until_ms, claim_token`

func scanDelivery(sc interface{ Scan(...any) error }, d *Delivery) error {
	return sc.Scan(&d.ID, &d.AlertID, &d.Channel, &d.AttemptedAt, &d.Status, &d.ResponseCode, &d.ErrorText,
		&d.DeliveryKey, &d.Target, &d.Attempt, &d.QueuedAtMs, &d.NextAttemptAtMs, &d.ClaimedUntilMs, &d.ClaimToken)
}

// QueueDelivery inserts a delivery row with its outbox columns and sets its ID. A row whose
// DeliveryKey is already stored is not inserted again; inserted reports which.
func (t *Tx) QueueDelivery(d *Delivery) (inserted bool, err error) {
	row, err := t.queryRow(`INSERT INTO alert_deliveries (alert_id, channel, attempted_at, status, response_code,
		error_text, delivery_key, target, attempt, queued_at_ms, next_attempt_at_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (delivery_key) WHERE delivery_key IS NOT NULL DO NOTHING RETURNING id`,
		d.AlertID, d.Channel, d.AttemptedAt, d.Status, d.ResponseCode, d.ErrorText, d.DeliveryKey, d.Target,
		d.Attempt, d.QueuedAtMs, d.NextAttemptAtMs)
	if err != nil {
		return false, err
	}
	switch err := row.Scan(&d.ID); {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	default:
		return false, fmt.Errorf("store: queue delivery: %w", err)
	}
}

// RecentDelivery reports whether a message for the job and alert type was queued on the
// channel and target at or after sinceMs (suppressed ones and retries do not count).
func (t *Tx) RecentDelivery(job string, typ models.AlertType, channel, target string, sinceMs int64) (bool, error) {
	row, err := t.queryRow(`SELECT COUNT(*) FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
		WHERE d.channel = ? AND d.target = ? AND d.queued_at_ms >= ? AND d.delivery_key IS NOT NULL
		AND d.status IN ('PENDING', 'SENT', 'FAILED') AND a.job_name = ? AND a.alert_type = ?`,
		channel, target, sinceMs, job, string(typ))
	if err != nil {
		return false, err
	}
	var n int64
	if err := row.Scan(&n); err != nil {
		return false, fmt.Errorf("store: recent delivery: %w", err)
	}
	return n > 0, nil
}

// DueDeliveries lists the ids of at most limit PENDING rows due at nowMs whose claim, if any,
// has expired, oldest due first.
func (t *Tx) DueDeliveries(nowMs int64, limit int) ([]int64, error) {
	rows, err := t.query(`SELECT id FROM alert_deliveries WHERE status = 'PENDING' AND next_attempt_at_ms <= ?
		AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?) ORDER BY next_attempt_at_ms, id LIMIT ?`, nowMs, nowMs, limit)
	if err != nil {
		return nil, fmt.Errorf("store: due deliveries: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: due deliveries: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ClaimDelivery takes a due row for token until untilMs and counts one more attempt. It
// reports false when another notifier claimed or finished the row first.
func (t *Tx) ClaimDelivery(id int64, token string, nowMs, untilMs int64) (bool, error) {
	res, err := t.exec(`UPDATE alert_deliveries SET claim_token = ?, claimed_until_ms = ?, attempt = attempt + 1
		WHERE id = ? AND status = 'PENDING' AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?)`,
		token, untilMs, id, nowMs)
	if err != nil {
		return false, fmt.Errorf("store: claim delivery: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseDelivery gives back a row the token claimed but did not send (shutdown): it is due
// again at once for the next notifier, and the attempt counted by the claim is taken back.
func (t *Tx) ReleaseDelivery(id int64, token string) error {
	_, err := t.exec(`UPDATE alert_deliveries SET claim_token = NULL, claimed_until_ms = NULL, attempt = attempt - 1
		WHERE id = ? AND claim_token = ?`, id, token)
	if err != nil {
		return fmt.Errorf("store: release delivery: %w", err)
	}
	return nil
}

// ClaimedDeliveries loads the rows a claim token owns.
func (t *Tx) ClaimedDeliveries(token string) ([]Delivery, error) {
	rows, err := t.query(`SELECT `+deliveryColumns+` FROM alert_deliveries WHERE claim_token = ? ORDER BY id`, token)
	if err != nil {
		return nil, fmt.Errorf("store: claimed deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := scanDelivery(rows, &d); err != nil {
			return nil, fmt.Errorf("store: claimed deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
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
func (t *Tx) FinishDelivery(d Delivery, token string, o Outcome) (bool, error) {
	res, err := t.exec(`UPDATE alert_deliveries SET status = ?, attempted_at = ?, response_code = ?, error_text = ?,
		next_attempt_at_ms = ?, claim_token = NULL, claimed_until_ms = NULL WHERE id = ? AND claim_token = ?`,
		o.Status, o.AttemptedAt, o.ResponseCode, o.ErrorText, o.NextAttemptAtMs, d.ID, token)
	if err != nil {
		return false, fmt.Errorf("store: finish delivery: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if o.Status != DeliveryPending {
		return true, nil
	}
	h := Delivery{AlertDelivery: models.AlertDelivery{AlertID: d.AlertID, Channel: d.Channel, AttemptedAt: o.AttemptedAt,
		Status: DeliveryRetry, ResponseCode: o.ResponseCode, ErrorText: o.ErrorText}, Target: d.Target,
		Attempt: d.Attempt, QueuedAtMs: d.QueuedAtMs}
	_, err = t.QueueDelivery(&h)
	return true, err
}

// AlertDeliveries lists the delivery rows of the given alerts with their outbox columns,
// oldest first.
func (s *Store) AlertDeliveries(ctx context.Context, alertIDs ...int64) ([]Delivery, error) {
	if len(alertIDs) == 0 {
		return nil, nil
	}
	// Through gorm, which binds the list and each dialect's placeholders.
	rows, err := s.db.WithContext(ctx).Raw(`SELECT `+deliveryColumns+` FROM alert_deliveries WHERE alert_id IN ?
		ORDER BY id`, alertIDs).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := scanDelivery(rows, &d); err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// AnyDue reports whether a PENDING row is due at nowMs (its claim, if any, may be live). It
// reads the reader pool, so an idle notifier pass costs no write.
func (s *Store) AnyDue(ctx context.Context, nowMs int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM (SELECT 1 FROM alert_deliveries
		WHERE status = 'PENDING' AND next_attempt_at_ms <= ? LIMIT 1) due`, nowMs).Scan(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: due deliveries: %w", err)
	}
	return n > 0, nil
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
	err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*), MIN(next_attempt_at_ms) FROM alert_deliveries
		WHERE status = 'PENDING'`).Row().Scan(&st.Pending, &oldest)
	if err != nil {
		return st, fmt.Errorf("store: delivery stats: %w", err)
	}
	st.OverdueSinceMs = oldest.Int64
	err = s.db.WithContext(ctx).Raw(`SELECT status FROM alert_deliveries WHERE delivery_key IS NOT NULL
		AND status IN ('SENT', 'FAILED') ORDER BY attempted_at DESC, id DESC LIMIT ?`, n).Scan(&st.Recent).Error
	if err != nil {
		return st, fmt.Errorf("store: delivery stats: %w", err)
	}
	return st, nil
}
