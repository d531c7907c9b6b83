package store

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
)

// eventColumns are the columns an event insert writes, in the order of eventValues.
const eventColumns = `received_at, event_at, source_type, event_type, level, message, job_name, script_path, run_id,
	scheduled_for, success, return_code, duration_ms, metadata_json, event_at_ms, event_id`

func eventValues(e *models.TelemetryEvent) []any {
	return []any{e.ReceivedAt, e.EventAt, e.SourceType, e.EventType, e.Level, e.Message, e.JobName, e.ScriptPath,
		e.RunID, e.ScheduledFor, e.Success, e.ReturnCode, e.DurationMs, e.MetadataJSON, e.EventAtMs, e.EventID}
}

// insertChunk bounds the rows of one INSERT: 16 values a row stay far below both databases'
// limits on bound parameters.
const insertChunk = 50

// InsertNewEvents stores every event whose eventId is not stored yet (nor earlier in evs), in
// order, and sets its ID; a skipped repeat keeps ID 0. It returns how many it stored.
func (t *Tx) InsertNewEvents(evs []*models.TelemetryEvent) (int64, error) {
	seen := make(map[string]bool, len(evs))
	rows := make([]*models.TelemetryEvent, 0, len(evs))
	for _, e := range evs {
		e.ID = 0
		if e.EventID != nil {
			if seen[*e.EventID] {
				continue
			}
			seen[*e.EventID] = true
		}
		rows = append(rows, e)
	}
	var stored int64
	for start := 0; start < len(rows); start += insertChunk {
		n, err := t.insertEvents(rows[start:min(start+insertChunk, len(rows))])
		if err != nil {
			return 0, wrap("insert events", err)
		}
		stored += n
	}
	return stored, nil
}

// insertEvents stores rows in one multi-row INSERT, written by hand: it is the hot ingest path,
// where gorm's per-row reflection cost about three times the statement itself. A row whose
// eventId is already stored is skipped by the unique index; the ids of the stored rows come
// back and are handed out in row order (both databases number a VALUES list in order).
func (t *Tx) insertEvents(rows []*models.TelemetryEvent) (int64, error) {
	var b strings.Builder
	b.WriteString("INSERT INTO telemetry_events (" + eventColumns + ") VALUES ")
	args := make([]any, 0, 16*len(rows))
	for i, e := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, eventValues(e)...)
	}
	b.WriteString(" ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING RETURNING id, event_id")
	var back []insertedEvent
	if err := t.db.Raw(b.String(), args...).Scan(&back).Error; err != nil {
		return 0, err
	}
	slices.SortFunc(back, func(a, b insertedEvent) int { return cmp.Compare(a.ID, b.ID) })
	kept := make(map[string]bool, len(back))
	for _, r := range back {
		if r.EventID != nil {
			kept[*r.EventID] = true
		}
	}
	next := 0
	for _, e := range rows {
		if e.EventID != nil && !kept[*e.EventID] {
			continue // already stored
		}
		if next == len(back) {
			break
		}
		e.ID = back[next].ID
		next++
	}
	return int64(len(back)), nil
}

// insertedEvent is what the insert returns of each stored row.
type insertedEvent struct {
	ID      int64
	EventID *string
}

// EventFilter selects events for the /v1/events list. Empty strings mean "no filter".
type EventFilter struct {
	JobName, ScriptPath, Level, EventType, SourceType string
	From, To                                          string
	// Tag keeps the events of jobs with this tag.
	Tag           string
	Limit, Offset int
}

// where applies the filter's conditions, always in the same order (one statement text, and one
// prepared statement, for each combination of filters).
func (f EventFilter) where(q *gorm.DB) *gorm.DB {
	q = whereEqual(q, "job_name", f.JobName, "script_path", f.ScriptPath, "level", f.Level,
		"event_type", f.EventType, "source_type", f.SourceType)
	q = whereTag(q, f.Tag)
	if f.From != "" {
		q = timeBound(q, f.From, ">=")
	}
	if f.To != "" {
		q = timeBound(q, f.To, "<=")
	}
	return q
}

// whereEqual adds column = value for each column, value pair whose value is not empty.
func whereEqual(q *gorm.DB, pairs ...string) *gorm.DB {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q = q.Where(pairs[i]+" = ?", pairs[i+1])
		}
	}
	return q
}

// whereTag keeps the rows of jobs that have the tag. Tags are stored as a JSON array of words
// without quotes or backslashes, so the quoted tag matches exactly one element; "_" is a LIKE
// wildcard and is escaped.
func whereTag(q *gorm.DB, tag string) *gorm.DB {
	if tag == "" {
		return q
	}
	escaped := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(tag)
	tagged := q.Session(&gorm.Session{NewDB: true}).Model(&models.CheckState{}).Select("job_name").
		Where(`tags LIKE ? ESCAPE '\'`, `%"`+escaped+`"%`)
	return q.Where("job_name IN (?)", tagged)
}

// timeBound is a from/to condition: on the parsed instant when the bound parses, and on the
// stored text otherwise, as the original compared it.
func timeBound(q *gorm.DB, bound, op string) *gorm.DB {
	if t, ok := telemetry.ParseTime(bound); ok {
		return q.Where("event_at_ms "+op+" ?", t.UnixMilli())
	}
	return q.Where("event_at "+op+" ?", bound)
}

const eventOrder = "event_at_ms DESC, id DESC"

// Events lists events newest first (by parsed event time, then id), filtered and paged. A later
// page is found on the filter's index alone, and only its rows are read.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]models.TelemetryEvent, error) {
	q := s.db.WithContext(ctx)
	if f.Offset > 0 {
		page := f.where(s.db.Model(&models.TelemetryEvent{}).Select("id")).Order(eventOrder).Limit(f.Limit).Offset(f.Offset)
		q = q.Where("id IN (?)", page)
	} else {
		q = f.where(q)
	}
	out := make([]models.TelemetryEvent, 0, min(max(f.Limit, 0), 1000))
	if err := q.Order(eventOrder).Limit(f.Limit).Find(&out).Error; err != nil {
		return nil, wrap("events", err)
	}
	return out, nil
}

// LatestEvent returns the event with the greatest event time, or nil when there is none.
func (s *Store) LatestEvent(ctx context.Context) (*models.TelemetryEvent, error) {
	var rows []models.TelemetryEvent
	if err := s.db.WithContext(ctx).Order(eventOrder).Limit(1).Find(&rows).Error; err != nil {
		return nil, wrap("latest event", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// EventMs is the epoch-ms instant stored for an event: its eventAt when that parses, else the
// time it was received.
func EventMs(eventAt, receivedAt string) int64 {
	if t, ok := telemetry.ParseTime(eventAt); ok {
		return t.UnixMilli()
	}
	if t, ok := telemetry.ParseTime(receivedAt); ok {
		return t.UnixMilli()
	}
	return 0
}
