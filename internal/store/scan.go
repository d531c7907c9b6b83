package store

import (
	"database/sql"
	"strings"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
)

// The lists the API and the pages poll most (events, checks, alerts) are read with database/sql's
// Scan into destinations made once per query instead of gorm's reflective mapping, which was
// most of their time: a 100-row event list took 555 µs and 40 allocations a row through gorm,
// 300 µs and 17 this way. gorm still runs the queries; the event and alert lists and the jobs
// list write their SQL themselves (queries.go).

// eventReadColumns are the columns of telemetry_events in the order eventScanner reads them: the
// id, then the columns an insert writes.
const eventReadColumns = "id, " + eventColumns

// eventJoinColumns are eventReadColumns of the table aliased e.
var eventJoinColumns = qualify("e", eventReadColumns)

// qualify prefixes each column of the list cols with alias.
func qualify(alias, cols string) string {
	list := strings.Split(cols, ",")
	for i, c := range list {
		list[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(list, ", ")
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(...any) error }

// findRows runs q and reads every row with scan. sizeHint presizes the result.
func findRows[T any](q *gorm.DB, sizeHint int, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]T, 0, max(0, min(sizeHint, 1000)))
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// slab hands out pointers to the optional values of many rows from shared arrays, each twice
// the last up to 256 values: a one-row read allocates little, a list one array per 256 values
// instead of one allocation per value. nil stands for NULL.
type slab[T any] struct{ vals []T }

func (s *slab[T]) ptr(v sql.Null[T]) *T {
	if !v.Valid {
		return nil
	}
	if len(s.vals) == cap(s.vals) {
		s.vals = make([]T, 0, min(256, max(8, 2*cap(s.vals))))
	}
	s.vals = append(s.vals, v.V)
	return &s.vals[len(s.vals)-1]
}

// eventScanner reads rows of eventReadColumns. A NULL in a column the struct holds as a plain
// value reads as its zero value, as gorm reads it.
type eventScanner struct {
	row                                            models.TelemetryEvent
	job, script, run, scheduled, eventID, metadata sql.Null[string]
	success                                        sql.Null[bool]
	returnCode, durationMs, atMs                   sql.Null[int64]
	dest                                           []any
	texts                                          slab[string]
	ints                                           slab[int64]
	bools                                          slab[bool]
}

func (sc *eventScanner) scan(rows rowScanner) (models.TelemetryEvent, error) {
	if sc.dest == nil {
		r := &sc.row
		sc.dest = []any{&r.ID, &r.ReceivedAt, &r.EventAt, &r.SourceType, &r.EventType, &r.Level, &r.Message,
			&sc.job, &sc.script, &sc.run, &sc.scheduled, &sc.success, &sc.returnCode, &sc.durationMs,
			&sc.metadata, &sc.atMs, &sc.eventID}
	}
	if err := rows.Scan(sc.dest...); err != nil {
		return models.TelemetryEvent{}, err
	}
	e := sc.row
	e.JobName, e.ScriptPath, e.RunID = sc.texts.ptr(sc.job), sc.texts.ptr(sc.script), sc.texts.ptr(sc.run)
	e.ScheduledFor, e.EventID = sc.texts.ptr(sc.scheduled), sc.texts.ptr(sc.eventID)
	e.MetadataJSON, e.EventAtMs = sc.metadata.V, sc.atMs.V
	e.Success = sc.bools.ptr(sc.success)
	e.ReturnCode = sc.ints.ptr(sc.returnCode)
	e.DurationMs = sc.ints.ptr(sc.durationMs)
	return e, nil
}

// checkScanner reads rows of checkColumns, for the lists and for the writer's loads alike.
type checkScanner struct {
	row                                                               models.CheckState
	status                                                            string
	heartbeatAt, expectedAt, successAt, failureAt, satisfied          sql.Null[string]
	expectedMs, heartbeatMs, successMs, failureMs, latestID, latestMs sql.Null[int64]
	dest                                                              []any
	texts                                                             slab[string]
	ints                                                              slab[int64]
}

func (sc *checkScanner) scan(rows rowScanner) (models.CheckState, error) {
	if sc.dest == nil {
		sc.dest = sc.columns()
	}
	if err := rows.Scan(sc.dest...); err != nil {
		return models.CheckState{}, err
	}
	return sc.row2check(), nil
}

// columns returns the scan destinations of checkColumns.
func (sc *checkScanner) columns() []any {
	r := &sc.row
	return []any{&r.JobName, &r.Enabled, &r.AlertOnFailure, &r.AlertOnMiss, &r.GraceSeconds, &sc.status,
		&sc.heartbeatAt, &sc.expectedAt, &sc.successAt, &sc.failureAt, &r.ConsecutiveFailures, &r.UpdatedAt,
		&sc.expectedMs, &sc.satisfied, &sc.heartbeatMs, &sc.successMs, &sc.failureMs, &sc.latestID, &sc.latestMs}
}

// row2check builds the check of the row last scanned into columns().
func (sc *checkScanner) row2check() models.CheckState {
	c := sc.row
	c.Status = models.CheckStatus(sc.status)
	c.LastHeartbeatAt, c.ExpectedNextAt = sc.texts.ptr(sc.heartbeatAt), sc.texts.ptr(sc.expectedAt)
	c.LastSuccessAt, c.LastFailureAt = sc.texts.ptr(sc.successAt), sc.texts.ptr(sc.failureAt)
	c.SatisfiedExpectedAt = sc.texts.ptr(sc.satisfied)
	c.ExpectedNextMs = sc.ints.ptr(sc.expectedMs)
	c.LastHeartbeatMs = sc.ints.ptr(sc.heartbeatMs)
	c.LastSuccessMs = sc.ints.ptr(sc.successMs)
	c.LastFailureMs = sc.ints.ptr(sc.failureMs)
	c.LatestEventID = sc.ints.ptr(sc.latestID)
	c.LatestEventMs = sc.ints.ptr(sc.latestMs)
	return c
}

// CheckLatest is a check with the summary of its latest event (nil when it has none).
type CheckLatest struct {
	Check  models.CheckState
	Latest *models.TelemetryEvent
}

// checkLatestColumns are checkColumns of check_states c, then the columns of its latest event e
// that a summary shows.
var checkLatestColumns = qualify("c", checkColumns) + ", e.id, e.event_at, e.event_type, e.level, e.message, e.success"

// checkLatestScanner reads rows of checkLatestColumns; the event's columns are NULL when the
// check has no latest event.
type checkLatestScanner struct {
	checks                  checkScanner
	id                      sql.Null[int64]
	at, typ, level, message sql.Null[string]
	success                 sql.Null[bool]
	dest                    []any
	events                  []models.TelemetryEvent
	bools                   slab[bool]
}

func (sc *checkLatestScanner) scan(rows rowScanner) (CheckLatest, error) {
	if sc.dest == nil {
		sc.dest = append(sc.checks.columns(), &sc.id, &sc.at, &sc.typ, &sc.level, &sc.message, &sc.success)
	}
	if err := rows.Scan(sc.dest...); err != nil {
		return CheckLatest{}, err
	}
	out := CheckLatest{Check: sc.checks.row2check()}
	if sc.id.Valid {
		if len(sc.events) == cap(sc.events) {
			sc.events = make([]models.TelemetryEvent, 0, min(256, max(8, 2*cap(sc.events))))
		}
		job := out.Check.JobName
		sc.events = append(sc.events, models.TelemetryEvent{ID: sc.id.V, EventAt: sc.at.V, EventType: sc.typ.V,
			Level: sc.level.V, Message: sc.message.V, Success: sc.bools.ptr(sc.success), JobName: &job})
		out.Latest = &sc.events[len(sc.events)-1]
	}
	return out, nil
}

// alertColumns are the columns of alerts in the order alertScanner reads them.
const alertColumns = `id, job_name, alert_type, severity, status, opened_at, closed_at, dedupe_key, title,
	details_json, closed_reason, closed_by, last_seen_at, occurrences`

// alertScanner reads rows of alertColumns.
type alertScanner struct {
	row                                    models.Alert
	alertType, severity                    string
	closedAt, reason, closedBy, lastSeenAt sql.Null[string]
	dest                                   []any
	texts                                  slab[string]
}

func (sc *alertScanner) scan(rows rowScanner) (models.Alert, error) {
	if sc.dest == nil {
		r := &sc.row
		sc.dest = []any{&r.ID, &r.JobName, &sc.alertType, &sc.severity, &r.Status, &r.OpenedAt, &sc.closedAt,
			&r.DedupeKey, &r.Title, &r.DetailsJSON, &sc.reason, &sc.closedBy, &sc.lastSeenAt, &r.Occurrences}
	}
	if err := rows.Scan(sc.dest...); err != nil {
		return models.Alert{}, err
	}
	a := sc.row
	a.AlertType, a.Severity = models.AlertType(sc.alertType), models.Severity(sc.severity)
	a.ClosedAt, a.ClosedReason = sc.texts.ptr(sc.closedAt), sc.texts.ptr(sc.reason)
	a.ClosedBy, a.LastSeenAt = sc.texts.ptr(sc.closedBy), sc.texts.ptr(sc.lastSeenAt)
	return a, nil
}
