package store

import (
	"context"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LoadRuns reads the stored runs among ids, by id, locked for the transaction.
func (t *Tx) LoadRuns(ids []string) (map[string]*models.Run, error) {
	out := make(map[string]*models.Run, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []models.Run
	if err := t.db.Clauses(forUpdate).Where("run_id IN ?", ids).Order("run_id").Find(&rows).Error; err != nil {
		return nil, wrap("load runs", err)
	}
	for i := range rows {
		out[rows[i].RunID] = &rows[i]
	}
	return out, nil
}

// SaveRuns writes runs, inserting the new ones and replacing the stored ones.
func (t *Tx) SaveRuns(runs []*models.Run) error {
	if len(runs) == 0 {
		return nil
	}
	err := t.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "run_id"}}, UpdateAll: true}).
		CreateInBatches(runs, 100).Error
	return wrap("save runs", err)
}

// RunFilter selects runs for /v1/runs. Empty strings mean "no filter"; From and To bound the
// run's time (when it started, or its first event).
type RunFilter struct {
	JobName, Status, RunnerID string
	From, To                  string
	// Tag keeps the runs of jobs with this tag.
	Tag           string
	Limit, Offset int
}

func (f RunFilter) where(q *gorm.DB) *gorm.DB {
	q = whereEqual(q, "job_name", f.JobName, "status", f.Status, "runner_id", f.RunnerID)
	q = whereTag(q, f.Tag)
	if t, ok := telemetry.ParseTime(f.From); ok {
		q = q.Where("sort_ms >= ?", t.UnixMilli())
	}
	if t, ok := telemetry.ParseTime(f.To); ok {
		q = q.Where("sort_ms <= ?", t.UnixMilli())
	}
	return q
}

// Runs lists runs newest first, filtered and paged.
func (s *Store) Runs(ctx context.Context, f RunFilter) ([]models.Run, error) {
	var out []models.Run
	err := f.where(s.db.WithContext(ctx)).Order("sort_ms DESC, run_id DESC").Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, wrap("runs", err)
}

// Run loads one run, or ErrNotFound.
func (s *Store) Run(ctx context.Context, id string) (*models.Run, error) {
	var out []models.Run
	if err := s.db.WithContext(ctx).Where("run_id = ?", id).Limit(1).Find(&out).Error; err != nil {
		return nil, wrap("run", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// RunEvents lists the events of a run, oldest first. They are found through the job's time
// index, within the run's span (padded by a minute for producer clocks), so no index on run_id
// is needed on every insert.
func (s *Store) RunEvents(ctx context.Context, r models.Run, limit int) ([]models.TelemetryEvent, error) {
	from := r.SortMs - 60_000
	to := r.SortMs + 24*3_600_000
	if r.FinishedMs != nil {
		to = *r.FinishedMs + 60_000
	}
	var out []models.TelemetryEvent
	err := s.db.WithContext(ctx).Where("job_name = ? AND event_at_ms >= ? AND event_at_ms <= ? AND run_id = ?",
		r.JobName, from, to, r.RunID).Order("event_at_ms, id").Limit(limit).Find(&out).Error
	return out, wrap("run events", err)
}

// MarkLostRuns ends the running runs of a runner that came back as a new process: they were
// running when it died and will never finish. It returns their ids.
func (t *Tx) MarkLostRuns(runnerID, at string, atMs int64) ([]string, error) {
	var ids []string
	q := t.db.Model(&models.Run{}).Where("runner_id = ? AND status IN ?", runnerID,
		[]models.RunStatus{models.RunRunning, models.RunHung})
	if err := q.Order("run_id").Pluck("run_id", &ids).Error; err != nil || len(ids) == 0 {
		return nil, wrap("lost runs", err)
	}
	err := t.db.Model(&models.Run{}).Where("run_id IN ?", ids).
		Updates(map[string]any{"status": models.RunLost, "finished_at": at, "finished_ms": atMs, "updated_at": at}).Error
	return ids, wrap("lost runs", err)
}

// RunningRun is a run still running with its runner's spec of its job.
type RunningRun struct {
	models.Run `gorm:"embedded"`
	SpecJSON   string
}

// maxWatchedRuns bounds the running runs one evaluator pass looks at.
const maxWatchedRuns = 1000

// RunningRuns lists the runs still running that their runner's configuration describes (only
// those have a maximum runtime), oldest first.
func (t *Tx) RunningRuns() ([]RunningRun, error) {
	var out []RunningRun
	err := t.db.Table("runs").Select("runs.*, s.spec_json AS spec_json").
		Joins("JOIN job_specs AS s ON s.job_name = runs.job_name AND s.runner_id = runs.runner_id").
		Where("runs.status = ? AND runs.started_ms IS NOT NULL", models.RunRunning).
		Order("runs.sort_ms, runs.run_id").Limit(maxWatchedRuns).Scan(&out).Error
	return out, wrap("running runs", err)
}

// MarkRunHung records that a run outlived its job's maximum runtime.
func (t *Tx) MarkRunHung(runID, at string) error {
	err := t.db.Model(&models.Run{}).Where("run_id = ? AND status = ?", runID, models.RunRunning).
		Updates(map[string]any{"status": models.RunHung, "updated_at": at}).Error
	return wrap("hung run", err)
}

// recentDurations is the query behind RecentDurations: the durations of the job's newest
// succeeded runs, newest first, without the run being recorded now.
func recentDurations(db *gorm.DB, job, exceptRun string, n int) ([]int64, error) {
	var out []int64
	// the status is written out, not bound: only then can SQLite use the partial index
	// idx_runs_job_durations, whose condition it must match.
	q := db.Model(&models.Run{}).Where("job_name = ? AND status = 'succeeded' AND duration_ms IS NOT NULL", job)
	if exceptRun != "" {
		q = q.Where("run_id <> ?", exceptRun)
	}
	err := q.Order("sort_ms DESC").Limit(n).Pluck("duration_ms", &out).Error
	return out, wrap("recent durations", err)
}

// RecentDurations returns the durations of the job's newest n succeeded runs other than
// exceptRun, newest first: its duration baseline.
func (t *Tx) RecentDurations(job, exceptRun string, n int) ([]int64, error) {
	return recentDurations(t.db, job, exceptRun, n)
}

// RecentDurations is Tx.RecentDurations outside a transaction, for the job page.
func (s *Store) RecentDurations(ctx context.Context, job string, n int) ([]int64, error) {
	return recentDurations(s.db.WithContext(ctx), job, "", n)
}
