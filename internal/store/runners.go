package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm/clause"
)

// SaveRunner inserts or replaces a runner row.
func (t *Tx) SaveRunner(r *models.Runner) error {
	err := t.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "runner_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"host", "pid", "version", "mode", "config_path", "config_hash",
			"poll_interval_seconds", "heartbeat_seconds", "last_seen_at", "last_seen_ms"})}).Create(r).Error
	return wrap("save runner", err)
}

// Runner loads one runner inside a write transaction; nil when it is not known.
func (t *Tx) Runner(id string) (*models.Runner, error) {
	var out []models.Runner
	if err := t.db.Clauses(forUpdate).Where("runner_id = ?", id).Limit(1).Find(&out).Error; err != nil || len(out) == 0 {
		return nil, wrap("runner", err)
	}
	return &out[0], nil
}

// SaveJobSpecs stores the specs a runner's configuration declares.
func (t *Tx) SaveJobSpecs(specs []models.JobSpec) error {
	if len(specs) == 0 {
		return nil
	}
	err := t.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "job_name"}, {Name: "runner_id"}}, UpdateAll: true}).
		CreateInBatches(specs, 100).Error
	return wrap("save job specs", err)
}

// DropStaleSpecs removes the specs of a runner that its configuration hash no longer has and
// returns the names of their jobs.
func (t *Tx) DropStaleSpecs(runnerID, hash string) ([]string, error) {
	var jobs []string
	q := t.db.Model(&models.JobSpec{}).Where("runner_id = ? AND config_hash <> ?", runnerID, hash)
	if err := q.Order("job_name").Pluck("job_name", &jobs).Error; err != nil {
		return nil, wrap("stale specs", err)
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	err := t.db.Where("runner_id = ? AND config_hash <> ?", runnerID, hash).Delete(&models.JobSpec{}).Error
	return jobs, wrap("stale specs", err)
}

// Runners lists every runner, most recently seen first.
func (s *Store) Runners(ctx context.Context) ([]models.Runner, error) {
	var out []models.Runner
	err := s.db.WithContext(ctx).Order("last_seen_ms DESC, runner_id").Find(&out).Error
	return out, wrap("runners", err)
}

// JobSpecs lists every stored job spec, by job and runner.
func (s *Store) JobSpecs(ctx context.Context) ([]models.JobSpec, error) {
	var out []models.JobSpec
	err := s.db.WithContext(ctx).Order(s.dialect.byteOrder("job_name") + ", runner_id").Find(&out).Error
	return out, wrap("job specs", err)
}

// SpecsOfJob lists the specs declaring one job (more than one when runners disagree or share it).
func (s *Store) SpecsOfJob(ctx context.Context, job string) ([]models.JobSpec, error) {
	var out []models.JobSpec
	err := s.db.WithContext(ctx).Where("job_name = ?", job).Order("runner_id").Find(&out).Error
	return out, wrap("job specs", err)
}

// SpecCount counts the runners whose configuration declares job.
func (t *Tx) SpecCount(job string) (int64, error) {
	var n int64
	err := t.db.Model(&models.JobSpec{}).Where("job_name = ?", job).Count(&n).Error
	return n, wrap("spec count", err)
}

// DaemonRunners lists the runners whose last word says they run as a daemon.
func (t *Tx) DaemonRunners() ([]models.Runner, error) {
	var out []models.Runner
	err := t.db.Where("mode = ?", "daemon").Order("runner_id").Find(&out).Error
	return out, wrap("daemon runners", err)
}

// JobOwners maps each job to the runners whose configuration declares it.
func (t *Tx) JobOwners() (map[string][]string, error) {
	var specs []models.JobSpec
	if err := t.db.Select("job_name, runner_id").Order("job_name, runner_id").Find(&specs).Error; err != nil {
		return nil, wrap("job owners", err)
	}
	out := map[string][]string{}
	for _, s := range specs {
		out[s.JobName] = append(out[s.JobName], s.RunnerID)
	}
	return out, nil
}

// RunnerJobs lists the jobs a runner's configuration declares.
func (t *Tx) RunnerJobs(runnerID string) ([]string, error) {
	var jobs []string
	err := t.db.Model(&models.JobSpec{}).Where("runner_id = ?", runnerID).Order("job_name").Pluck("job_name", &jobs).Error
	return jobs, wrap("runner jobs", err)
}
