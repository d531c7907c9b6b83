package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// EventFilter selects events for the /v1/events list. Empty strings mean "no filter".
type EventFilter struct {
	JobName, ScriptPath, Level, EventType, SourceType string
	From, To                                          string
	Limit, Offset                                     int
}

// timeBound is the condition of a from/to bound: by the parsed instant when the bound parses,
// and by the stored text otherwise, as the reference did (fix A3).
func timeBound(bound, op string) (string, any) {
	if t, ok := telemetry.ParseTime(bound); ok {
		return "event_at_ms " + op + " ?", t.UnixMilli()
	}
	return "event_at " + op + " ?", bound
}

// where builds the WHERE clause of a list query, its conditions in the order they are added (so
// each combination of filters is one statement text, and one cached statement).
type where struct {
	sql  strings.Builder
	args []any
}

func (w *where) add(cond string, arg any) {
	if len(w.args) == 0 {
		w.sql.WriteString(" WHERE ")
	} else {
		w.sql.WriteString(" AND ")
	}
	w.sql.WriteString(cond)
	w.args = append(w.args, arg)
}

// equal adds column = value for each {column, value} pair whose value is not empty.
func (w *where) equal(pairs ...[2]string) {
	for _, p := range pairs {
		if p[1] != "" {
			w.add(p[0]+" = ?", p[1])
		}
	}
}

// String is the clause, empty when there is no condition.
func (w *where) String() string { return w.sql.String() }

// Events lists events newest first (by parsed event time, then id), filtered and paged.
//
// The SQL is written here rather than built by gorm: this is the query the API and the pages
// poll most, and building it was an eighth of its time. The shape depends on the page, as
// measured on a million events (docs/performance.md):
//   - the first page reads the rows in the order of the filter's index and stops at the limit:
//     no sort, no temporary table;
//   - a later page is found on the index alone and only its rows are read (fix E4). On SQLite
//     the page's ids drive a join to their rows, a fifth cheaper than `id IN (…)`, which builds
//     a temporary table of the ids first.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]models.TelemetryEvent, error) {
	var w where
	w.equal([2]string{"job_name", f.JobName}, [2]string{"script_path", f.ScriptPath}, [2]string{"level", f.Level},
		[2]string{"event_type", f.EventType}, [2]string{"source_type", f.SourceType})
	if f.From != "" {
		w.add(timeBound(f.From, ">="))
	}
	if f.To != "" {
		w.add(timeBound(f.To, "<="))
	}
	const order = " ORDER BY event_at_ms DESC, id DESC"
	var q string
	args := w.args
	switch {
	case f.Offset == 0:
		q = "SELECT " + eventReadColumns + " FROM telemetry_events" + w.String() + order + " LIMIT ?"
		args = append(args, f.Limit)
	case s.dialect == SQLite:
		q = "SELECT " + eventJoinColumns + " FROM (SELECT id FROM telemetry_events" + w.String() + order +
			" LIMIT ? OFFSET ?) AS page JOIN telemetry_events AS e ON e.id = page.id ORDER BY e.event_at_ms DESC, e.id DESC"
		args = append(args, f.Limit, f.Offset)
	default:
		q = "SELECT " + eventReadColumns + " FROM telemetry_events WHERE id IN (SELECT id FROM telemetry_events" +
			w.String() + order + " LIMIT ? OFFSET ?)" + order
		args = append(args, f.Limit, f.Offset)
	}
	out, err := findRows(s.db.WithContext(ctx).Raw(q, args...), f.Limit, new(eventScanner).scan)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return out, nil
}

// ChecksWithLatest lists every check by job name (byte order) with the summary of its latest
// event (time, type, level, message, success), in one query (fix E3).
func (s *Store) ChecksWithLatest(ctx context.Context) ([]CheckLatest, error) {
	out, err := findRows(s.db.WithContext(ctx).Raw("SELECT "+checkLatestColumns+
		" FROM check_states AS c LEFT JOIN telemetry_events AS e ON e.id = c.latest_event_id ORDER BY "+s.byteOrder("c.job_name")), 100,
		new(checkLatestScanner).scan)
	if err != nil {
		return nil, fmt.Errorf("store: checks with latest events: %w", err)
	}
	return out, nil
}

// byteOrder is an ORDER BY term sorting col by bytes, as SQLite's BINARY collation does; on
// PostgreSQL the database's own collation (en_US.UTF-8, ICU …) would order differently.
func (s *Store) byteOrder(col string) string {
	if s.dialect == Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

// LatestEvent returns the event with the greatest event time, or nil when there is none.
func (s *Store) LatestEvent(ctx context.Context) (*models.TelemetryEvent, error) {
	var rows []models.TelemetryEvent
	if err := s.db.WithContext(ctx).Order("event_at_ms DESC, id DESC").Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: latest event: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// Checks lists every check, ordered by job name (byte order).
func (s *Store) Checks(ctx context.Context) ([]models.CheckState, error) {
	out, err := findRows(s.db.WithContext(ctx).Model(&models.CheckState{}).Select(checkColumns).Order(s.byteOrder("job_name")), 100,
		new(checkScanner).scan)
	if err != nil {
		return nil, fmt.Errorf("store: checks: %w", err)
	}
	return out, nil
}

// Check loads one job's check, or ErrNotFound.
func (s *Store) Check(ctx context.Context, job string) (*models.CheckState, error) {
	var out []models.CheckState
	if err := s.db.WithContext(ctx).Where("job_name = ?", job).Limit(1).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: check: %w", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// StatusCount is one row of a GROUP BY count.
type StatusCount struct {
	Key   string
	Count int64
}

// CheckCounts counts checks by status, ordered by status.
func (s *Store) CheckCounts(ctx context.Context) ([]StatusCount, error) {
	var out []StatusCount
	err := s.db.WithContext(ctx).Raw(`SELECT status AS key, COUNT(*) AS count FROM check_states GROUP BY status ORDER BY status`).
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: check counts: %w", err)
	}
	return out, nil
}

// OpenAlertCounts counts OPEN alerts by type, ordered by type.
func (s *Store) OpenAlertCounts(ctx context.Context) ([]StatusCount, error) {
	var out []StatusCount
	err := s.db.WithContext(ctx).Raw(`SELECT alert_type AS key, COUNT(*) AS count FROM alerts WHERE status = 'OPEN'
		GROUP BY alert_type ORDER BY alert_type`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: alert counts: %w", err)
	}
	return out, nil
}

// AlertFilter selects alerts for the /v1/alerts list. Empty strings mean "no filter".
type AlertFilter struct {
	JobName, Status, AlertType, Severity string
	Limit, Offset                        int
}

// Alerts lists alerts newest first, filtered and paged.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]models.Alert, error) {
	var w where
	w.equal([2]string{"job_name", f.JobName}, [2]string{"status", f.Status}, [2]string{"alert_type", f.AlertType},
		[2]string{"severity", f.Severity})
	q, args := "SELECT "+alertColumns+" FROM alerts"+w.String()+" ORDER BY opened_at DESC, id DESC", w.args
	if f.Limit >= 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, f.Offset)
	}
	out, err := findRows(s.db.WithContext(ctx).Raw(q, args...), f.Limit, new(alertScanner).scan)
	if err != nil {
		return nil, fmt.Errorf("store: alerts: %w", err)
	}
	return out, nil
}

// Alert loads one alert, or ErrNotFound.
func (s *Store) Alert(ctx context.Context, id int64) (*models.Alert, error) {
	var out []models.Alert
	if err := s.db.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: alert: %w", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// Deliveries lists the delivery rows of the given alerts, oldest first.
func (s *Store) Deliveries(ctx context.Context, alertIDs ...int64) ([]models.AlertDelivery, error) {
	var out []models.AlertDelivery
	if len(alertIDs) == 0 {
		return out, nil
	}
	if err := s.db.WithContext(ctx).Where("alert_id IN ?", alertIDs).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return out, nil
}

// CloseAlert closes an OPEN alert, recording why and by whom. updated is false when the alert
// was already closed; the returned alert is the row after the call.
func (s *Store) CloseAlert(ctx context.Context, id int64, now, reason, by string) (a *models.Alert, updated bool, err error) {
	err = s.Write(ctx, func(t *Tx) error {
		res, err := t.exec(`UPDATE alerts SET status = 'CLOSED', closed_at = ?, closed_reason = ?, closed_by = ?
			WHERE id = ? AND status = 'OPEN'`, now, reason, by, id)
		if err != nil {
			return fmt.Errorf("store: close alert: %w", err)
		}
		n, err := res.RowsAffected()
		updated = n == 1
		return err
	})
	if err != nil {
		return nil, false, err
	}
	a, err = s.Alert(ctx, id)
	return a, updated, err
}
