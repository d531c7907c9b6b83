package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gulag/chief-monitor/models"
)

// Tx is one write transaction on the writer connection. On SQLite its statements run straight
// on the connection, whose driver (sqlitedrv) keeps every compiled statement; on PostgreSQL
// they are prepared once per pool and bound to the transaction.
type Tx struct {
	tx    *sql.Tx
	ctx   context.Context
	s     *Store
	bound map[string]*sql.Stmt
}

func (t *Tx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.bound[query]; ok {
		return st, nil
	}
	base, err := t.s.stmts.get(query)
	if err != nil {
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	st := t.tx.StmtContext(t.ctx, base)
	if t.bound == nil {
		t.bound = map[string]*sql.Stmt{}
	}
	t.bound[query] = st
	return st, nil
}

func (t *Tx) closeStmts() {
	for _, st := range t.bound {
		_ = st.Close() // statement bound to a finished tx; the error is meaningless
	}
	t.bound = nil
}

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	if t.s.stmts == nil {
		return t.tx.ExecContext(t.ctx, query, args...)
	}
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *Tx) queryRow(query string, args ...any) (*sql.Row, error) {
	if t.s.stmts == nil {
		return t.tx.QueryRowContext(t.ctx, query, args...), nil
	}
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(t.ctx, args...), nil
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if t.s.stmts == nil {
		return t.tx.QueryContext(t.ctx, query, args...)
	}
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// Savepoint runs fn inside a savepoint: when fn fails only its own writes are undone.
func (t *Tx) Savepoint(name string, fn func() error) error {
	if _, err := t.tx.ExecContext(t.ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rerr := t.tx.ExecContext(t.ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback to savepoint: %w", rerr))
		}
		_, _ = t.tx.ExecContext(t.ctx, "RELEASE SAVEPOINT "+name) // the savepoint is empty now
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return nil
}

const insertEventSQL = `INSERT INTO telemetry_events (received_at, event_at, source_type, event_type, level, message,
	job_name, script_path, run_id, scheduled_for, success, return_code, duration_ms, metadata_json, event_at_ms, event_id)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING RETURNING id`

// InsertEvent stores one event and sets its ID. inserted is false when an event with the same
// EventID is already stored; nothing is written then.
func (t *Tx) InsertEvent(e *models.TelemetryEvent) (inserted bool, err error) {
	row, err := t.queryRow(insertEventSQL, e.ReceivedAt, e.EventAt, e.SourceType, e.EventType, e.Level, e.Message,
		e.JobName, e.ScriptPath, e.RunID, e.ScheduledFor, e.Success, e.ReturnCode, e.DurationMs, e.MetadataJSON,
		e.EventAtMs, e.EventID)
	if err != nil {
		return false, err
	}
	switch err := row.Scan(&e.ID); {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	default:
		return false, fmt.Errorf("store: insert event: %w", err)
	}
}

const eventColumns = `received_at, event_at, source_type, event_type, level, message, job_name, script_path, run_id,
	scheduled_for, success, return_code, duration_ms, metadata_json, event_at_ms, event_id`

// knownEventIDs returns which of ids are already stored.
func (t *Tx) knownEventIDs(ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := t.tx.QueryContext(t.ctx, `SELECT event_id FROM telemetry_events WHERE event_id IN (`+
			placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: known event ids: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: known event ids: %w", err)
			}
			known[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return known, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// InsertNewEvents stores every event whose eventId is not stored yet (nor earlier in evs), in
// order, and sets its ID; a skipped repeat keeps ID 0. It returns how many it stored.
//
// On SQLite each row is one run of a prepared single-row INSERT … ON CONFLICT DO NOTHING: no SQL
// is parsed per group, no lookup runs before it, and a single-row statement needs no statement
// journal (a multi-row INSERT inside a transaction copies every page it touches into one). On
// PostgreSQL, where each statement is a round trip, the known ids are looked up once and the
// rest go in multi-row INSERTs.
func (t *Tx) InsertNewEvents(evs []*models.TelemetryEvent) (int64, error) {
	for _, e := range evs {
		e.ID = 0
	}
	if t.s.dialect == SQLite {
		return t.insertEachSQLite(evs)
	}
	var ids []string
	for _, e := range evs {
		if e.EventID != nil {
			ids = append(ids, *e.EventID)
		}
	}
	seen := map[string]bool{}
	if len(ids) > 0 {
		var err error
		if seen, err = t.knownEventIDs(ids); err != nil {
			return 0, err
		}
	}
	rows := make([]*models.TelemetryEvent, 0, len(evs))
	for _, e := range evs {
		if e.EventID != nil {
			if seen[*e.EventID] {
				continue
			}
			seen[*e.EventID] = true
		}
		rows = append(rows, e)
	}
	if err := t.insertEventsPostgres(rows); err != nil {
		return 0, err
	}
	return int64(len(rows)), nil
}

const insertEventIgnoreSQL = `INSERT INTO telemetry_events (` + eventColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING`

func (t *Tx) insertEachSQLite(evs []*models.TelemetryEvent) (int64, error) {
	var stored int64
	for _, e := range evs {
		res, err := t.tx.ExecContext(t.ctx, insertEventIgnoreSQL, e.ReceivedAt, e.EventAt, e.SourceType, e.EventType, e.Level, e.Message,
			e.JobName, e.ScriptPath, e.RunID, e.ScheduledFor, e.Success, e.ReturnCode, e.DurationMs, e.MetadataJSON,
			e.EventAtMs, e.EventID)
		if err != nil {
			return 0, fmt.Errorf("store: insert event: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("store: insert event: %w", err)
		}
		if n == 0 {
			continue // a repeated eventId
		}
		if e.ID, err = res.LastInsertId(); err != nil {
			return 0, fmt.Errorf("store: insert event: %w", err)
		}
		stored++
	}
	return stored, nil
}

// insertEventsPostgres stores events with 500-row INSERTs … RETURNING id and sets their IDs.
// The caller has removed repeated event ids; the unique index still refuses any that slipped
// through.
func (t *Tx) insertEventsPostgres(evs []*models.TelemetryEvent) error {
	const chunk = 500 // pgx binds linearly; fewer statements mean fewer round trips
	for start := 0; start < len(evs); start += chunk {
		part := evs[start:min(start+chunk, len(evs))]
		var b strings.Builder
		b.WriteString("INSERT INTO telemetry_events (" + eventColumns + ") VALUES ")
		args := make([]any, 0, len(part)*16)
		for i, e := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, e.ReceivedAt, e.EventAt, e.SourceType, e.EventType, e.Level, e.Message,
				e.JobName, e.ScriptPath, e.RunID, e.ScheduledFor, e.Success, e.ReturnCode, e.DurationMs, e.MetadataJSON,
				e.EventAtMs, e.EventID)
		}
		if err := t.insertReturning(b.String()+" RETURNING id", args, part); err != nil {
			return err
		}
	}
	return nil
}

// insertReturning runs a multi-row INSERT … RETURNING id (PostgreSQL, which returns the rows of
// a VALUES list in order) and sets the IDs.
func (t *Tx) insertReturning(query string, args []any, part []*models.TelemetryEvent) error {
	rows, err := t.tx.QueryContext(t.ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: insert events: %w", err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		if i >= len(part) {
			return fmt.Errorf("store: insert events: more ids than rows")
		}
		if err := rows.Scan(&part[i].ID); err != nil {
			return fmt.Errorf("store: insert events: %w", err)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: insert events: %w", err)
	}
	if i != len(part) {
		return fmt.Errorf("store: insert events: %d ids for %d rows", i, len(part))
	}
	return nil
}

const checkColumns = `job_name, enabled, alert_on_failure, alert_on_miss, grace_seconds, status, last_heartbeat_at,
	expected_next_at, last_success_at, last_failure_at, consecutive_failures, updated_at, expected_next_ms,
	satisfied_expected_at, last_heartbeat_ms, last_success_ms, last_failure_ms, latest_event_id, latest_event_ms`

func checkArgs(c *models.CheckState) []any {
	return []any{c.JobName, c.Enabled, c.AlertOnFailure, c.AlertOnMiss, c.GraceSeconds, string(c.Status),
		c.LastHeartbeatAt, c.ExpectedNextAt, c.LastSuccessAt, c.LastFailureAt, c.ConsecutiveFailures, c.UpdatedAt,
		c.ExpectedNextMs, c.SatisfiedExpectedAt, c.LastHeartbeatMs, c.LastSuccessMs, c.LastFailureMs,
		c.LatestEventID, c.LatestEventMs}
}

// Check loads one job's check row for update. It returns ErrNotFound when the job has none.
func (t *Tx) Check(job string) (*models.CheckState, error) {
	q := `SELECT ` + checkColumns + ` FROM check_states WHERE job_name = ?`
	if t.s.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	row, err := t.queryRow(q, job)
	if err != nil {
		return nil, err
	}
	c, err := new(checkScanner).scan(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("store: load check: %w", err)
	}
	return &c, nil
}

// LockChecks creates the missing check rows of jobs with the defaults and locks every one of
// them, in job-name order, for the rest of the transaction. Several instances writing the same
// jobs then queue on the rows instead of deadlocking or losing updates (PostgreSQL).
func (t *Tx) LockChecks(jobs []string, now string) (map[string]*models.CheckState, error) {
	out := map[string]*models.CheckState{}
	if len(jobs) == 0 {
		return out, nil
	}
	sorted := append([]string(nil), jobs...)
	sort.Strings(sorted)
	var b strings.Builder
	args := make([]any, 0, 2*len(sorted))
	for i, j := range sorted {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, TRUE, TRUE, TRUE, 120, 'UP', 0, ?)")
		args = append(args, j, now)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO check_states (job_name, enabled, alert_on_failure, alert_on_miss,
		grace_seconds, status, consecutive_failures, updated_at) VALUES `+b.String()+` ON CONFLICT (job_name) DO NOTHING`, args...); err != nil {
		return nil, fmt.Errorf("store: lock checks: %w", err)
	}
	names := make([]any, len(sorted))
	for i, j := range sorted {
		names[i] = j
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+checkColumns+` FROM check_states WHERE job_name IN (`+
		placeholders(len(sorted))+`) ORDER BY job_name FOR UPDATE`, names...)
	if err != nil {
		return nil, fmt.Errorf("store: lock checks: %w", err)
	}
	defer rows.Close()
	var sc checkScanner
	for rows.Next() {
		c, err := sc.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: lock checks: %w", err)
		}
		out[c.JobName] = &c
	}
	return out, rows.Err()
}

// InsertCheck creates a job's check row.
func (t *Tx) InsertCheck(c *models.CheckState) error {
	_, err := t.exec(`INSERT INTO check_states (`+checkColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		checkArgs(c)...)
	if err != nil {
		return fmt.Errorf("store: insert check: %w", err)
	}
	return nil
}

// UpdateCheck writes every column of a job's check row.
func (t *Tx) UpdateCheck(c *models.CheckState) error {
	args := checkArgs(c)
	args = append(args[1:], c.JobName)
	_, err := t.exec(`UPDATE check_states SET enabled = ?, alert_on_failure = ?, alert_on_miss = ?, grace_seconds = ?,
		status = ?, last_heartbeat_at = ?, expected_next_at = ?, last_success_at = ?, last_failure_at = ?,
		consecutive_failures = ?, updated_at = ?, expected_next_ms = ?, satisfied_expected_at = ?,
		last_heartbeat_ms = ?, last_success_ms = ?, last_failure_ms = ?, latest_event_id = ?, latest_event_ms = ?
		WHERE job_name = ?`, args...)
	if err != nil {
		return fmt.Errorf("store: update check: %w", err)
	}
	return nil
}

// TouchChecks writes only updated_at (the same for all) and the latest event of several check
// rows: the common case of a group of worker messages. On PostgreSQL one statement covers up
// to 40 rows.
func (t *Tx) TouchChecks(cs []*models.CheckState, updatedAt string) error {
	if t.s.dialect == SQLite {
		// In-process, a prepared single-row UPDATE per check costs less than parsing the CASE
		// statement, and needs no statement journal.
		for _, c := range cs {
			if _, err := t.exec(`UPDATE check_states SET updated_at = ?, latest_event_id = ?, latest_event_ms = ?
				WHERE job_name = ?`, updatedAt, c.LatestEventID, c.LatestEventMs, c.JobName); err != nil {
				return fmt.Errorf("store: touch checks: %w", err)
			}
		}
		return nil
	}
	for start := 0; start < len(cs); start += 40 {
		part := cs[start:min(start+40, len(cs))]
		var ids, mss strings.Builder
		args := []any{updatedAt}
		for _, c := range part {
			ids.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			args = append(args, c.JobName, c.LatestEventID)
		}
		for _, c := range part {
			mss.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			args = append(args, c.JobName, c.LatestEventMs)
		}
		for _, c := range part {
			args = append(args, c.JobName)
		}
		q := `UPDATE check_states SET updated_at = ?, latest_event_id = CASE job_name` + ids.String() +
			` END, latest_event_ms = CASE job_name` + mss.String() + ` END WHERE job_name IN (` + placeholders(len(part)) + `)`
		if _, err := t.tx.ExecContext(t.ctx, q, args...); err != nil {
			return fmt.Errorf("store: touch checks: %w", err)
		}
	}
	return nil
}

// TransitionCheck moves a check from one status to another only if it still has the status and
// expectation the caller decided on; it reports whether the row changed (fix B3).
func (t *Tx) TransitionCheck(job string, from, to models.CheckStatus, expectedMs int64, now string) (bool, error) {
	res, err := t.exec(`UPDATE check_states SET status = ?, updated_at = ?
		WHERE job_name = ? AND status = ? AND expected_next_ms = ? AND enabled = ?`,
		string(to), now, job, string(from), expectedMs, true)
	if err != nil {
		return false, fmt.Errorf("store: transition check: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CloseOpenAlerts closes every OPEN alert of a job and type and returns how many it closed.
func (t *Tx) CloseOpenAlerts(job string, typ models.AlertType, now, reason string) (int64, error) {
	res, err := t.exec(`UPDATE alerts SET status = 'CLOSED', closed_at = ?, closed_reason = ?
		WHERE job_name = ? AND alert_type = ? AND status = 'OPEN'`, now, reason, job, string(typ))
	if err != nil {
		return 0, fmt.Errorf("store: close alerts: %w", err)
	}
	return res.RowsAffected()
}

// OpenAlert inserts an OPEN alert unless one with the same job and dedupe key is open; then it
// counts one more occurrence on that alert instead (fixes A8, A9, B1). inserted reports which.
func (t *Tx) OpenAlert(a *models.Alert) (inserted bool, err error) {
	row, err := t.queryRow(`INSERT INTO alerts (job_name, alert_type, severity, status, opened_at, closed_at, dedupe_key,
		title, details_json, last_seen_at, occurrences) VALUES (?, ?, ?, 'OPEN', ?, NULL, ?, ?, ?, ?, 1)
		ON CONFLICT (job_name, dedupe_key) WHERE status = 'OPEN' DO NOTHING RETURNING id`,
		a.JobName, string(a.AlertType), string(a.Severity), a.OpenedAt, a.DedupeKey, a.Title, a.DetailsJSON, a.OpenedAt)
	if err != nil {
		return false, err
	}
	switch err := row.Scan(&a.ID); {
	case err == nil:
		a.Status = models.AlertOpen
		a.Occurrences = 1
		return true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("store: open alert: %w", err)
	}
	if _, err := t.exec(`UPDATE alerts SET occurrences = occurrences + 1, last_seen_at = ?
		WHERE job_name = ? AND dedupe_key = ? AND status = 'OPEN'`, a.OpenedAt, a.JobName, a.DedupeKey); err != nil {
		return false, fmt.Errorf("store: touch alert: %w", err)
	}
	return false, nil
}

// InsertDelivery records one delivery row.
func (t *Tx) InsertDelivery(d *models.AlertDelivery) error {
	row, err := t.queryRow(`INSERT INTO alert_deliveries (alert_id, channel, attempted_at, status, response_code, error_text)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, d.AlertID, d.Channel, d.AttemptedAt, d.Status, d.ResponseCode, d.ErrorText)
	if err != nil {
		return err
	}
	if err := row.Scan(&d.ID); err != nil {
		return fmt.Errorf("store: insert delivery: %w", err)
	}
	return nil
}

// CloseExpiredRecoveries closes every OPEN RECOVERY alert opened before cutoff.
func (t *Tx) CloseExpiredRecoveries(cutoff, now string) (int64, error) {
	res, err := t.exec(`UPDATE alerts SET status = 'CLOSED', closed_at = ?, closed_reason = ?
		WHERE alert_type = 'RECOVERY' AND status = 'OPEN' AND opened_at < ?`, now, models.CloseAutoTTL, cutoff)
	if err != nil {
		return 0, fmt.Errorf("store: close expired recoveries: %w", err)
	}
	return res.RowsAffected()
}

// WatchedChecks lists the enabled checks with a parsed expectation that no heartbeat has met.
func (t *Tx) WatchedChecks() ([]models.CheckState, error) {
	rows, err := t.query(`SELECT `+checkColumns+` FROM check_states WHERE enabled = ? AND expected_next_ms IS NOT NULL
		ORDER BY job_name`, true)
	if err != nil {
		return nil, fmt.Errorf("store: watched checks: %w", err)
	}
	defer rows.Close()
	var out []models.CheckState
	var sc checkScanner
	for rows.Next() {
		c, err := sc.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: watched checks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteEventsBefore deletes at most limit events whose event time is before cutoffMs.
func (t *Tx) DeleteEventsBefore(cutoffMs int64, limit int) (int64, error) {
	res, err := t.exec(`DELETE FROM telemetry_events WHERE id IN (
		SELECT id FROM telemetry_events WHERE event_at_ms < ? ORDER BY event_at_ms LIMIT ?)`, cutoffMs, limit)
	if err != nil {
		return 0, fmt.Errorf("store: retention: %w", err)
	}
	return res.RowsAffected()
}

// DeleteEventsReceivedBefore deletes, among the limit oldest rows by id, those received before
// cutoff (a server timestamp). more reports whether the next chunk may hold more such rows.
func (t *Tx) DeleteEventsReceivedBefore(cutoff string, limit int) (n int64, more bool, err error) {
	res, err := t.exec(`DELETE FROM telemetry_events WHERE id IN (
		SELECT id FROM (SELECT id, received_at FROM telemetry_events ORDER BY id LIMIT ?) oldest WHERE received_at < ?)`,
		limit, cutoff)
	if err != nil {
		return 0, false, fmt.Errorf("store: retention: %w", err)
	}
	n, err = res.RowsAffected()
	return n, n == int64(limit), err
}
