package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// openAlertConflict is the unique index of open alerts: one OPEN alert per job and dedupe key.
var openAlertConflict = clause.OnConflict{
	Columns:     []clause.Column{{Name: "job_name"}, {Name: "dedupe_key"}},
	TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "status = 'OPEN'"}}},
	DoNothing:   true,
}

// OpenAlert inserts an OPEN alert unless one with the same job and dedupe key is open; then it
// counts one more occurrence on that alert instead. inserted reports which.
func (t *Tx) OpenAlert(a *models.Alert) (inserted bool, err error) {
	a.ID, a.Status, a.ClosedAt, a.Occurrences, a.LastSeenAt = 0, models.AlertOpen, nil, 1, &a.OpenedAt
	res := t.db.Clauses(openAlertConflict).Create(a)
	if res.Error != nil {
		return false, wrap("open alert", res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	err = t.db.Model(&models.Alert{}).Where("job_name = ? AND dedupe_key = ? AND status = ?", a.JobName, a.DedupeKey, models.AlertOpen).
		Updates(map[string]any{"occurrences": gorm.Expr("occurrences + 1"), "last_seen_at": a.OpenedAt}).Error
	return false, wrap("touch alert", err)
}

// CloseOpenAlerts closes every OPEN alert of a job and type and returns how many it closed.
func (t *Tx) CloseOpenAlerts(job string, typ models.AlertType, now, reason string) (int64, error) {
	res := t.db.Model(&models.Alert{}).Where("job_name = ? AND alert_type = ? AND status = ?", job, string(typ), models.AlertOpen).
		Updates(map[string]any{"status": models.AlertClosed, "closed_at": now, "closed_reason": reason})
	return res.RowsAffected, wrap("close alerts", res.Error)
}

// OpenAlertTypes reports which types of alert the job has OPEN: most heartbeats find none, and
// one read then saves an UPDATE per type.
func (t *Tx) OpenAlertTypes(job string) (map[models.AlertType]bool, error) {
	var types []string
	err := t.db.Model(&models.Alert{}).Where("job_name = ? AND status = ?", job, models.AlertOpen).
		Distinct().Pluck("alert_type", &types).Error
	out := make(map[models.AlertType]bool, len(types))
	for _, typ := range types {
		out[models.AlertType(typ)] = true
	}
	return out, wrap("open alert types", err)
}

// CloseAlert closes one OPEN alert, recording why and by whom; updated is false when it was
// not open (or does not exist).
func (t *Tx) CloseAlert(id int64, now, reason, by string) (updated bool, err error) {
	res := t.db.Model(&models.Alert{}).Where("id = ? AND status = ?", id, models.AlertOpen).
		Updates(map[string]any{"status": models.AlertClosed, "closed_at": now, "closed_reason": reason, "closed_by": by})
	return res.RowsAffected == 1, wrap("close alert", res.Error)
}

// CloseExpiredRecoveries closes every OPEN RECOVERY alert opened before cutoff.
func (t *Tx) CloseExpiredRecoveries(cutoff, now string) (int64, error) {
	res := t.db.Model(&models.Alert{}).
		Where("alert_type = ? AND status = ? AND opened_at < ?", string(models.AlertRecovery), models.AlertOpen, cutoff).
		Updates(map[string]any{"status": models.AlertClosed, "closed_at": now, "closed_reason": models.CloseAutoTTL})
	return res.RowsAffected, wrap("close expired recoveries", res.Error)
}

// AlertFilter selects alerts for the /v1/alerts list. Empty strings mean "no filter"; a
// negative Limit lists them all.
type AlertFilter struct {
	JobName, Status, AlertType, Severity string
	// Tag keeps the alerts of jobs with this tag.
	Tag           string
	Limit, Offset int
}

// Alerts lists alerts newest first, filtered and paged.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]models.Alert, error) {
	q := whereEqual(s.db.WithContext(ctx), "job_name", f.JobName, "status", f.Status, "alert_type", f.AlertType,
		"severity", f.Severity)
	q = whereTag(q, f.Tag).Order("opened_at DESC, id DESC")
	if f.Limit >= 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var out []models.Alert
	return out, wrap("alerts", q.Find(&out).Error)
}

// Alert loads one alert, or ErrNotFound.
func (s *Store) Alert(ctx context.Context, id int64) (*models.Alert, error) {
	var out []models.Alert
	if err := s.db.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&out).Error; err != nil {
		return nil, wrap("alert", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// OpenAlertCounts counts OPEN alerts by type, ordered by type.
func (s *Store) OpenAlertCounts(ctx context.Context) ([]StatusCount, error) {
	return countBy(s.db.WithContext(ctx).Model(&models.Alert{}).Where("status = ?", models.AlertOpen), "alert_type")
}
