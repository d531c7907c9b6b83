package store

import (
	"context"
	"slices"
	"strings"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// newCheck is the check row of a job seen for the first time: enabled, alerting on failure
// and on a missed run, two minutes of grace, UP.
func newCheck(job, now string) models.CheckState {
	return models.CheckState{JobName: job, Enabled: true, AlertOnFailure: true, AlertOnMiss: true, GraceSeconds: 120,
		Status: models.StatusUp, UpdatedAt: now, Tags: "[]"}
}

// forUpdate locks the rows a read returns until the transaction ends (PostgreSQL; SQLite's
// writer holds the whole database already, and gorm leaves the clause out there).
var forUpdate = clause.Locking{Strength: clause.LockingStrengthUpdate}

// Check loads one job's check row for update. It returns ErrNotFound when the job has none.
func (t *Tx) Check(job string) (*models.CheckState, error) {
	var out []models.CheckState
	if err := t.db.Clauses(forUpdate).Where("job_name = ?", job).Limit(1).Find(&out).Error; err != nil {
		return nil, wrap("load check", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// LockChecks creates the missing check rows of jobs with the defaults and locks every one of
// them, in job-name order, for the rest of the transaction. Several instances writing the same
// jobs then queue on the rows instead of deadlocking or losing updates (PostgreSQL).
func (t *Tx) LockChecks(jobs []string, now string) (map[string]*models.CheckState, error) {
	out := map[string]*models.CheckState{}
	if len(jobs) == 0 {
		return out, nil
	}
	sorted := slices.Sorted(slices.Values(jobs))
	rows := make([]models.CheckState, len(sorted))
	for i, j := range sorted {
		rows[i] = newCheck(j, now)
	}
	if err := t.db.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 200).Error; err != nil {
		return nil, wrap("lock checks", err)
	}
	var locked []models.CheckState
	if err := t.db.Clauses(forUpdate).Where("job_name IN ?", sorted).Order("job_name").Find(&locked).Error; err != nil {
		return nil, wrap("lock checks", err)
	}
	for i := range locked {
		out[locked[i].JobName] = &locked[i]
	}
	return out, nil
}

// InsertCheck creates a job's check row.
func (t *Tx) InsertCheck(c *models.CheckState) error {
	return wrap("insert check", t.db.Create(c).Error)
}

// UpdateCheck writes every column of a job's check row.
func (t *Tx) UpdateCheck(c *models.CheckState) error {
	return wrap("update check", t.db.Model(c).Select("*").Omit("job_name").Updates(c).Error)
}

// TouchChecks writes only updated_at (the same for all) and the latest event of several check
// rows: the common case of a group of worker messages. One UPDATE with CASE expressions covers
// up to touchChunk rows, as SQLite compiles each statement anew and a group touches many jobs.
func (t *Tx) TouchChecks(cs []*models.CheckState, updatedAt string) error {
	for start := 0; start < len(cs); start += touchChunk {
		part := cs[start:min(start+touchChunk, len(cs))]
		jobs := make([]string, len(part))
		var ids, mss strings.Builder
		idArgs := make([]any, 0, 2*len(part))
		msArgs := make([]any, 0, 2*len(part))
		for i, c := range part {
			jobs[i] = c.JobName
			ids.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			mss.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			idArgs = append(idArgs, c.JobName, c.LatestEventID)
			msArgs = append(msArgs, c.JobName, c.LatestEventMs)
		}
		err := t.db.Model(&models.CheckState{}).Where("job_name IN ?", jobs).Updates(map[string]any{
			"updated_at":      updatedAt,
			"latest_event_id": gorm.Expr("CASE job_name"+ids.String()+" END", idArgs...),
			"latest_event_ms": gorm.Expr("CASE job_name"+mss.String()+" END", msArgs...),
		}).Error
		if err != nil {
			return wrap("touch checks", err)
		}
	}
	return nil
}

// touchChunk bounds the rows of one TouchChecks statement (five bound values a row).
const touchChunk = 50

// TransitionCheck moves a check from one status to another only if it still has the status and
// expectation the caller decided on; it reports whether the row changed.
func (t *Tx) TransitionCheck(job string, from, to models.CheckStatus, expectedMs int64, now string) (bool, error) {
	res := t.db.Model(&models.CheckState{}).
		Where("job_name = ? AND status = ? AND expected_next_ms = ? AND enabled = ?", job, string(from), expectedMs, true).
		Updates(map[string]any{"status": string(to), "updated_at": now})
	return res.RowsAffected == 1, wrap("transition check", res.Error)
}

// WatchedChecks lists the enabled, not retired checks with a parsed expectation.
func (t *Tx) WatchedChecks() ([]models.CheckState, error) {
	var out []models.CheckState
	err := t.db.Where("enabled = ? AND expected_next_ms IS NOT NULL AND retired_at IS NULL", true).Order("job_name").Find(&out).Error
	return out, wrap("watched checks", err)
}

// Checks lists every check, ordered by job name (byte order).
func (s *Store) Checks(ctx context.Context) ([]models.CheckState, error) {
	var out []models.CheckState
	err := s.db.WithContext(ctx).Order(s.dialect.byteOrder("job_name")).Find(&out).Error
	return out, wrap("checks", err)
}

// Check loads one job's check, or ErrNotFound.
func (s *Store) Check(ctx context.Context, job string) (*models.CheckState, error) {
	var out []models.CheckState
	if err := s.db.WithContext(ctx).Where("job_name = ?", job).Limit(1).Find(&out).Error; err != nil {
		return nil, wrap("check", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// CheckLatest is a check with its latest event and its last run (nil when it has none).
type CheckLatest struct {
	Check   models.CheckState
	Latest  *models.TelemetryEvent
	LastRun *models.Run
}

// checkLatestRow is a row of ChecksWithLatest: the check, then its latest event's columns
// prefixed e_ (NULL, so zero, when it has none).
type checkLatestRow struct {
	models.CheckState `gorm:"embedded"`
	Latest            models.TelemetryEvent `gorm:"embedded;embeddedPrefix:e_"`
	LastRun           models.Run            `gorm:"embedded;embeddedPrefix:r_"`
}

// latestColumns selects every column of the latest event e as e_<column>, and the summary
// columns of the last run r as r_<column>.
var latestColumns = prefixed("e", "id, "+eventColumns) + ", " + prefixed("r", runSummaryColumns)

// runSummaryColumns are the columns of runs that a list shows: not the output tails or the
// scripts, which only the run's own page needs.
const runSummaryColumns = `run_id, job_name, runner_id, trigger, attempt, max_attempts, scheduled_for, started_at,
	started_ms, finished_at, finished_ms, duration_ms, status, failing_script, exit_code, error_line, sort_ms, updated_at`

// prefixed selects each of cols of the table alias as alias_<column>.
func prefixed(alias, cols string) string {
	list := strings.Split(cols, ",")
	for i, c := range list {
		c = strings.TrimSpace(c)
		list[i] = alias + "." + c + " AS " + alias + "_" + c
	}
	return strings.Join(list, ", ")
}

// ChecksWithLatest lists every check by job name (byte order) with its latest event and its
// last run, in one query.
func (s *Store) ChecksWithLatest(ctx context.Context) ([]CheckLatest, error) {
	var rows []checkLatestRow
	err := s.db.WithContext(ctx).Table("check_states AS c").Select("c.*, " + latestColumns).
		Joins("LEFT JOIN telemetry_events AS e ON e.id = c.latest_event_id").
		Joins("LEFT JOIN runs AS r ON r.run_id = c.last_run_id").
		Order(s.dialect.byteOrder("c.job_name")).Scan(&rows).Error
	if err != nil {
		return nil, wrap("checks with latest events", err)
	}
	out := make([]CheckLatest, len(rows))
	for i := range rows {
		out[i].Check = rows[i].CheckState
		if rows[i].Latest.ID != 0 {
			out[i].Latest = &rows[i].Latest
		}
		if rows[i].LastRun.RunID != "" {
			rows[i].LastRun.ScriptsJSON = "[]" // not read: see runSummaryColumns
			out[i].LastRun = &rows[i].LastRun
		}
	}
	return out, nil
}

// StatusCount is one row of a GROUP BY count.
type StatusCount struct {
	Key   string
	Count int64
}

// CheckCounts counts checks by status, ordered by status.
func (s *Store) CheckCounts(ctx context.Context) ([]StatusCount, error) {
	return countBy(s.db.WithContext(ctx).Model(&models.CheckState{}), "status")
}

// countBy counts q's rows by the values of col, ordered by them.
func countBy(q *gorm.DB, col string) ([]StatusCount, error) {
	var out []StatusCount
	err := q.Select(col + " AS key, COUNT(*) AS count").Group(col).Order(col).Scan(&out).Error
	return out, wrap("count by "+col, err)
}
