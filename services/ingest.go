package services

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// ErrClosed is returned for work submitted after the writer stopped.
var ErrClosed = errors.New("services: writer closed")

// IngestResult is what one ingest request did.
type IngestResult struct {
	// Inserted counts the kept events, replays of a known eventId included.
	Inserted int
	// Dropped counts events whose message or eventType was blank after trimming.
	Dropped int
	// Duplicates counts kept events whose eventId was already stored (not stored again).
	Duplicates int
}

// AlertHook receives the alerts a committed transaction opened.
type AlertHook func(alerts []models.Alert)

// Writer owns every write of the state engine: one goroutine that takes whatever requests are
// waiting, applies them in arrival order in ONE transaction, commits, and only then answers
// each request (group commit). Other writes (evaluator passes, retention chunks) run through it
// too, so no two state changes ever interleave.
type Writer struct {
	st       *store.Store
	log      *slog.Logger
	now      func() time.Time
	queue    chan work
	maxGroup int
	onAlerts AlertHook
	outbox   OutboxFunc

	mu     sync.RWMutex
	closed bool
	done   chan struct{}

	tzOnce sync.Once
	// cache holds check rows between transactions. Only this goroutine writes check_states in
	// a single-process SQLite deployment, so the copy stays true; it is off for PostgreSQL,
	// where other instances write too.
	cache *checkCache

	groups, grouped atomic.Int64
	// arriving counts ingest requests that are being decoded and will submit shortly.
	arriving atomic.Int64
}

// maxLinger bounds how long a group waits for requests still being decoded.
const maxLinger = 500 * time.Microsecond

// Arriving tells the writer an ingest request is on its way; call the returned function once
// the request has been submitted or rejected. A group about to commit waits briefly for such
// requests so they share its commit.
func (w *Writer) Arriving() (done func()) {
	if w == nil {
		return func() {}
	}
	w.arriving.Add(1)
	var once sync.Once
	return func() { once.Do(func() { w.arriving.Add(-1) }) }
}

// Stats reports how many group transactions the writer committed and how many requests they
// carried, for the runtime endpoint and the load tool.
func (w *Writer) Stats() (groups, requests int64) { return w.groups.Load(), w.grouped.Load() }

type work struct {
	batch *batchWork
	fn    func(*store.Tx) error
	reply chan error
}

type batchWork struct {
	receivedMs int64 // the request's receipt time, shared by its events
	events     []models.TelemetryEvent
	metas      []map[string]json.RawMessage
	duplicates int
	opened     []models.Alert
}

// WriterOptions configure NewWriter.
type WriterOptions struct {
	// MaxGroupEvents caps the events committed in one transaction (default 5000).
	MaxGroupEvents int
	// QueueLen bounds waiting requests (default 1024).
	QueueLen int
}

// NewWriter returns a Writer; call Run to start it.
func NewWriter(st *store.Store, log *slog.Logger, opts WriterOptions) *Writer {
	if opts.MaxGroupEvents <= 0 {
		opts.MaxGroupEvents = 5000
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 1024
	}
	w := &Writer{st: st, log: log, now: utcNow, queue: make(chan work, opts.QueueLen),
		maxGroup: opts.MaxGroupEvents, done: make(chan struct{})}
	if st.Dialect() == store.SQLite {
		w.cache = &checkCache{rows: map[string]models.CheckState{}}
	}
	return w
}

func utcNow() time.Time { return time.Now().UTC() }

// SetClock replaces the writer's clock (tests).
func (w *Writer) SetClock(now func() time.Time) { w.now = now }

// OnAlerts registers the hook that hears of alerts opened by committed transactions.
func (w *Writer) OnAlerts(h AlertHook) { w.onAlerts = h }

// SetOutbox installs the function that queues an opened alert's deliveries in its transaction.
// Call it before Run.
func (w *Writer) SetOutbox(f OutboxFunc) { w.outbox = f }

// Now returns the writer's current time.
func (w *Writer) Now() time.Time { return w.now() }

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

// Do runs fn in its own write transaction on the writer goroutine.
func (w *Writer) Do(ctx context.Context, fn func(*store.Tx) error) error {
	return w.submit(ctx, work{fn: fn})
}

func (w *Writer) submit(ctx context.Context, wk work) error {
	wk.reply = make(chan error, 1)
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.queue <- wk:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	// Once queued the work is applied whatever the caller does, so wait for its outcome.
	return <-wk.reply
}

// do runs one arbitrary write transaction. It may change check rows behind the cache's back,
// so the cache starts over afterwards.
func (w *Writer) do(fn func(*store.Tx) error) error {
	err := w.st.Write(context.Background(), fn)
	w.cache.reset()
	return err
}

// Close stops accepting work; Run finishes what is queued and returns.
func (w *Writer) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
}

// Run processes work until Close. It does not stop on ctx: queued writes always finish.
func (w *Writer) Run() {
	defer close(w.done)
	for first := range w.queue {
		if first.fn != nil {
			first.reply <- w.do(first.fn)
			continue
		}
		group := []work{first}
		n := len(first.batch.events)
		var next *work
		yields := 0
		opened := time.Now()
	gather:
		for n < w.maxGroup {
			select {
			case wk, ok := <-w.queue:
				if !ok {
					break gather
				}
				if wk.fn != nil {
					next = &wk
					break gather
				}
				group = append(group, wk)
				n += len(wk.batch.events)
			default:
				// Let request goroutines that are about to submit run first: a bigger group
				// costs one commit instead of several. While requests are still being decoded
				// (Arriving), wait for them a little longer, never more than maxLinger.
				if yields < 3 || (w.arriving.Load() > 0 && time.Since(opened) < maxLinger) {
					yields++
					runtime.Gosched()
					continue
				}
				break gather
			}
		}
		w.groups.Add(1)
		w.grouped.Add(int64(len(group)))
		w.commitGroup(group)
		if next != nil {
			next.reply <- w.do(next.fn)
		}
	}
}

// commitGroup applies every batch of the group in ONE transaction and answers each request
// after the commit. If the group fails, each batch is retried alone, so one bad batch is
// answered with its own error while the others still commit.
func (w *Writer) commitGroup(group []work) {
	err := w.applyGroup(group)
	if err != nil && len(group) > 1 {
		for _, wk := range group {
			w.commitGroup([]work{wk})
		}
		return
	}
	var opened []models.Alert
	for _, wk := range group {
		if err == nil {
			opened = append(opened, wk.batch.opened...)
		}
		wk.reply <- err
	}
	if len(opened) > 0 && w.onAlerts != nil {
		w.onAlerts(opened)
	}
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
		if w.st.Dialect() == store.Postgres {
			if err := eng.preload(groupJobs(group)); err != nil {
				return err
			}
		}
		for _, wk := range group {
			b := wk.batch
			before := len(eng.opened)
			for i := range b.events {
				if b.events[i].ID == 0 { // a repeated eventId: acknowledged, not applied again
					continue
				}
				if err := eng.apply(engineView(&b.events[i], b.receivedMs), b.metas[i]); err != nil {
					return fmt.Errorf("services: apply %s: %w", b.events[i].EventType, err)
				}
			}
			b.opened = eng.opened[before:]
		}
		if err := eng.flush(); err != nil {
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

func (w *Writer) warnOffsetless(v string) {
	w.tzOnce.Do(func() {
		w.log.Warn("Timestamp without a UTC offset taken as UTC", "value", v)
	})
}

// normalize applies spec §5.2: trims, defaults and the drop rule. ok is false for a dropped
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
	if row.JobName != nil || row.EventType == telemetry.EventChiefHeartbeat {
		if engineReads(in.Metadata) {
			_ = json.Unmarshal(in.Metadata, &meta) // validated as an object already
		}
	}
	return row, meta, true
}

// engineKeys are the metadata keys the state engine reads (ParseCheckPatch, job.next_scheduled).
var engineKeys = [][]byte{[]byte("check_enabled"), []byte("alert_on_failure"), []byte("alert_on_miss"),
	[]byte("grace_seconds"), []byte("next_run_at")}

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
