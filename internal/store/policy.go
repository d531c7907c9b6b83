package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// PutPause pauses a job, replacing an earlier pause of it.
func (t *Tx) PutPause(p *models.JobPause) error {
	err := t.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "job_name"}}, UpdateAll: true}).Create(p).Error
	return wrap("put pause", err)
}

// DeletePause resumes a job; removed is false when it was not paused.
func (t *Tx) DeletePause(job string) (removed bool, err error) {
	res := t.db.Where("job_name = ?", job).Delete(&models.JobPause{})
	return res.RowsAffected > 0, wrap("delete pause", res.Error)
}

// DeleteEndedPauses removes the pauses whose end time is at or before nowMs.
func (t *Tx) DeleteEndedPauses(nowMs int64) (int64, error) {
	res := t.db.Where("until_ms IS NOT NULL AND until_ms <= ?", nowMs).Delete(&models.JobPause{})
	return res.RowsAffected, wrap("delete ended pauses", res.Error)
}

func pauses(db *gorm.DB) ([]models.JobPause, error) {
	var out []models.JobPause
	return out, wrap("pauses", db.Order("job_name").Find(&out).Error)
}

// Pauses lists every paused job.
func (t *Tx) Pauses() ([]models.JobPause, error) { return pauses(t.db) }

// Pauses lists every paused job.
func (s *Store) Pauses(ctx context.Context) ([]models.JobPause, error) {
	return pauses(s.db.WithContext(ctx))
}

func windows(db *gorm.DB) ([]models.MaintenanceWindow, error) {
	var out []models.MaintenanceWindow
	return out, wrap("maintenance windows", db.Order("id").Find(&out).Error)
}

// MaintenanceWindows lists every maintenance window.
func (t *Tx) MaintenanceWindows() ([]models.MaintenanceWindow, error) { return windows(t.db) }

// MaintenanceWindows lists every maintenance window.
func (s *Store) MaintenanceWindows(ctx context.Context) ([]models.MaintenanceWindow, error) {
	return windows(s.db.WithContext(ctx))
}

// InsertWindow stores a new maintenance window and sets its ID.
func (t *Tx) InsertWindow(w *models.MaintenanceWindow) error {
	return wrap("insert maintenance window", t.db.Create(w).Error)
}

// DeleteWindow removes a maintenance window; removed is false when there was none.
func (t *Tx) DeleteWindow(id int64) (removed bool, err error) {
	res := t.db.Where("id = ?", id).Delete(&models.MaintenanceWindow{})
	return res.RowsAffected > 0, wrap("delete maintenance window", res.Error)
}

// SuppressAlert marks an open alert as held back, with why.
func (t *Tx) SuppressAlert(id int64, why string) error {
	return wrap("suppress alert", t.db.Model(&models.Alert{}).Where("id = ?", id).Update("suppressed_reason", why).Error)
}

// OpenAlertsToNotify lists the OPEN alerts other than RECOVERY: those that may be due a
// reminder, or held back by a pause or window that has ended.
func (t *Tx) OpenAlertsToNotify() ([]models.Alert, error) {
	var out []models.Alert
	err := t.db.Where("status = ? AND alert_type <> ?", models.AlertOpen, string(models.AlertRecovery)).Order("id").Find(&out).Error
	return out, wrap("open alerts to notify", err)
}

// MarkNotified records that an alert was queued for delivery at now: its first delivery
// after a suppression (reminders unchanged), or its next reminder.
func (t *Tx) MarkNotified(id int64, now string, reminders int64) error {
	err := t.db.Model(&models.Alert{}).Where("id = ?", id).
		Updates(map[string]any{"suppressed_reason": nil, "last_notified_at": now, "reminders": reminders}).Error
	return wrap("mark alert notified", err)
}

// ChecksByJob loads the check rows of the given jobs, by job name.
func (t *Tx) ChecksByJob(jobs []string) (map[string]models.CheckState, error) {
	out := make(map[string]models.CheckState, len(jobs))
	if len(jobs) == 0 {
		return out, nil
	}
	var rows []models.CheckState
	if err := t.db.Where("job_name IN ?", jobs).Find(&rows).Error; err != nil {
		return nil, wrap("checks by job", err)
	}
	for _, c := range rows {
		out[c.JobName] = c
	}
	return out, nil
}
