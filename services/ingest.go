package services

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// IngestResult is what one ingest request did.
type IngestResult struct {
	// Inserted counts the kept events, replays of a known eventId included.
	Inserted int
	// Dropped counts events whose message or eventType was blank after trimming.
	Dropped int
	// Duplicates counts kept events whose eventId was already stored (not stored again).
	Duplicates int
}

type batchWork struct {
	receivedMs int64 // the request's receipt time, shared by its events
	events     []models.TelemetryEvent
	metas      []map[string]json.RawMessage
	duplicates int
	opened     []models.Alert
}

// Record normalizes events, stores the kept ones and applies them to the state engine, all in
// one transaction; it returns only after that transaction committed. receivedAt is the
// request's single server timestamp.
func (w *Writer) Record(ctx context.Context, events []telemetry.Event, receivedAt time.Time) (IngestResult, error) {
	var res IngestResult
	b := &batchWork{receivedMs: receivedAt.UnixMilli()}
	recv := telemetry.ServerTime(receivedAt)
	for i := range events {
		row, meta, ok := normalize(&events[i], recv, receivedAt)
		if !ok {
			res.Dropped++
			continue
		}
		b.events = append(b.events, row)
		b.metas = append(b.metas, meta)
	}
	res.Inserted = len(b.events)
	if len(b.events) == 0 {
		return res, nil
	}
	if err := w.submit(ctx, work{batch: b}); err != nil {
		return IngestResult{}, err
	}
	res.Duplicates = b.duplicates
	return res, nil
}

// insertGroup stores every event of the group whose eventId is new (also within the group),
// in arrival order, and returns how many it stored. Skipped events keep ID 0 and count as the
// batch's duplicates.
func insertGroup(tx *store.Tx, group []work) (int64, error) {
	var rows []*models.TelemetryEvent
	for _, wk := range group {
		wk.batch.duplicates, wk.batch.opened = 0, nil
		for i := range wk.batch.events {
			rows = append(rows, &wk.batch.events[i])
		}
	}
	stored, err := tx.InsertNewEvents(rows)
	if err != nil {
		return 0, err
	}
	for _, wk := range group {
		for i := range wk.batch.events {
			if wk.batch.events[i].ID == 0 {
				wk.batch.duplicates++
			}
		}
	}
	return stored, nil
}

// hourlyCounts counts the group's stored events of the last store.HourlyWindow by hour and level.
func hourlyCounts(group []work, now time.Time) map[int64]map[string]int64 {
	since := now.Add(-store.HourlyWindow).UnixMilli()
	out := map[int64]map[string]int64{}
	for _, wk := range group {
		for i := range wk.batch.events {
			ev := &wk.batch.events[i]
			if ev.ID == 0 || ev.EventAtMs < since {
				continue
			}
			h := store.HourOf(ev.EventAtMs)
			if out[h] == nil {
				out[h] = map[string]int64{}
			}
			out[h][ev.Level]++
		}
	}
	return out
}

// groupJobs lists the distinct job names of the stored events of a group.
func groupJobs(group []work) []string {
	seen := map[string]bool{}
	var out []string
	for _, wk := range group {
		for i := range wk.batch.events {
			if j := wk.batch.events[i].JobName; j != nil && wk.batch.events[i].ID != 0 && !seen[*j] {
				seen[*j] = true
				out = append(out, *j)
			}
		}
	}
	return out
}

// applyGroup runs the group's transaction: insert every event, apply it to the engine, write
// the changed check rows and the event count once.
func (w *Writer) applyGroup(group []work) error {
	now := w.now()
	var eng *engine
	err := w.st.Write(context.Background(), func(tx *store.Tx) error {
		eng = newEngine(tx, now, w.outbox, w.warnOffsetless)
		eng.cache = w.cache
		stored, err := insertGroup(tx, group)
		if err != nil {
			return err
		}
		if w.st.Shared() { // other instances write these check rows too: lock them in name order
			if err := eng.preload(groupJobs(group)); err != nil {
				return err
			}
		}
		runs, err := loadRuns(tx, eng, group)
		if err != nil {
			return err
		}
		for _, wk := range group {
			b := wk.batch
			before := len(eng.opened)
			for i := range b.events {
				if b.events[i].ID == 0 { // a repeated eventId: acknowledged, not applied again
					continue
				}
				ev := engineView(&b.events[i], b.receivedMs)
				if err := eng.apply(ev, b.metas[i]); err != nil {
					return fmt.Errorf("services: apply %s: %w", b.events[i].EventType, err)
				}
				runs.apply(ev, b.metas[i])
			}
			b.opened = eng.opened[before:]
		}
		if err := eng.flush(); err != nil {
			return err
		}
		if err := runs.flush(); err != nil {
			return err
		}
		if err := tx.AddHourly(hourlyCounts(group, now)); err != nil {
			return err
		}
		return tx.AddEventsTotal(stored)
	})
	if err != nil {
		w.cache.reset()
		return err
	}
	eng.commitCache()
	return nil
}

// FutureStamped reports an eventAt more than telemetry.MaxFutureSkew after the event's receipt:
// the producer's clock is ahead.
func FutureStamped(eventAtMs, receivedMs int64) bool {
	return eventAtMs > receivedMs+telemetry.MaxFutureSkew.Milliseconds()
}

// engineView is the event as the state engine sees it. A future-stamped event would set the
// check's heartbeat and outcome times in the future, where they would outrank every correctly
// timed event and keep the evaluator from ever finding the job late; so it counts at its
// receipt, like an event sent without eventAt. The stored row keeps the eventAt it was sent with.
func engineView(ev *models.TelemetryEvent, receivedMs int64) *models.TelemetryEvent {
	if !FutureStamped(ev.EventAtMs, receivedMs) {
		return ev
	}
	v := *ev
	v.EventAt, v.EventAtMs, v.ServerTimed = v.ReceivedAt, receivedMs, true
	return &v
}

// normalize applies the original's ingest rules: trims, defaults and the drop rule. ok is false for a dropped
// event. The returned metadata map is decoded only when the engine will read it.
func normalize(in *telemetry.Event, recv string, receivedAt time.Time) (models.TelemetryEvent, map[string]json.RawMessage, bool) {
	msg := strings.TrimSpace(in.Message)
	typ := strings.TrimSpace(in.EventType)
	if msg == "" || typ == "" {
		return models.TelemetryEvent{}, nil, false
	}
	row := models.TelemetryEvent{
		ReceivedAt:   recv,
		SourceType:   strings.ToLower(strings.TrimSpace(in.SourceType)),
		EventType:    typ,
		Level:        strings.ToUpper(strings.TrimSpace(in.Level)),
		Message:      msg,
		JobName:      trimmedOrNil(in.JobName),
		ScriptPath:   trimmedOrNil(in.ScriptPath),
		RunID:        trimmedOrNil(in.RunID),
		ScheduledFor: trimmedOrNil(in.ScheduledFor),
		Success:      in.Success,
		ReturnCode:   in.ReturnCode,
		DurationMs:   in.DurationMs,
		MetadataJSON: "{}",
	}
	if len(in.Metadata) > 0 {
		row.MetadataJSON = string(in.Metadata)
	}
	row.EventAt = recv
	row.EventAtMs = receivedAt.UnixMilli()
	row.ServerTimed = true
	if in.EventID != "" {
		row.EventID = &in.EventID
	}
	if s := strings.TrimSpace(in.EventAt); s != "" {
		row.EventAt = s
		row.EventAtMs = store.EventMs(s, recv)
		row.ServerTimed = false
	}
	var meta map[string]json.RawMessage
	if row.SourceType == telemetry.SourceChief && len(in.Metadata) > 0 {
		_ = json.Unmarshal(in.Metadata, &meta) // Chief's own events: runs, runners, checks
	} else if row.JobName != nil {
		if engineReads(in.Metadata) {
			_ = json.Unmarshal(in.Metadata, &meta) // validated as an object already
		}
	}
	return row, meta, true
}

// engineKeys are the metadata keys the state engine reads (ParseCheckPatch, job.next_scheduled).
var engineKeys = [][]byte{[]byte(telemetry.MetaCheckEnabled), []byte(telemetry.MetaAlertOnFailure),
	[]byte(telemetry.MetaAlertOnMiss), []byte(telemetry.MetaGraceSeconds), []byte(telemetry.MetaNextRunAt)}

// engineReads reports whether metadata may hold a key the engine reads. Most events (worker
// messages) hold none, and skipping their decode saves a map per event. A \u escape could
// spell a key in disguise, so it forces the decode.
func engineReads(metadata json.RawMessage) bool {
	if len(metadata) == 0 {
		return false
	}
	if bytes.Contains(metadata, []byte(`\u`)) {
		return true
	}
	for _, k := range engineKeys {
		if bytes.Contains(metadata, k) {
			return true
		}
	}
	return false
}

func trimmedOrNil(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}
