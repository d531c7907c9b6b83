package services

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
)

// ErrClosed is returned for work submitted after the writer stopped.
var ErrClosed = errors.New("services: writer closed")

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
	obs      Observer // optional: /metrics (metrics.go)

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

// maxLinger bounds how long a group waits for requests on their way.
const maxLinger = time.Millisecond

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
	if !st.Shared() { // this writer is the only one: its copy of the check rows stays true
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
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	lastGroup := 1
	for first := range w.queue {
		if first.fn != nil {
			first.reply <- w.do(first.fn)
			continue
		}
		group, next := w.gather(first, lastGroup, linger)
		lastGroup = len(group)
		w.groups.Add(1)
		w.grouped.Add(int64(len(group)))
		w.commitGroup(group)
		if next != nil {
			next.reply <- w.do(next.fn)
		}
	}
}

// gather collects the ingest requests that join first's group: those already queued, then,
// for a short while, those on their way. A commit costs about the same for one request as for
// ten, so under concurrent load a group waits (at most maxLinger) until as many requests as in
// the last group have come, or while requests are still being decoded (Arriving). A lone
// client's group had one request and so never waits. next is a queued non-ingest write that
// ends the gathering.
func (w *Writer) gather(first work, lastGroup int, linger *time.Timer) (group []work, next *work) {
	group = []work{first}
	n := len(first.batch.events)
	opened := time.Now()
	yields := 0
	for n < w.maxGroup {
		var wk work
		var ok bool
		select {
		case wk, ok = <-w.queue:
		default:
			if yields < 3 { // let request goroutines about to submit run first
				yields++
				runtime.Gosched()
				continue
			}
			wait := maxLinger - time.Since(opened)
			if wait <= 0 || (w.arriving.Load() == 0 && len(group) >= lastGroup) {
				return group, nil
			}
			linger.Reset(wait)
			select {
			case wk, ok = <-w.queue:
				linger.Stop()
			case <-linger.C:
				return group, nil
			}
		}
		switch {
		case !ok:
			return group, nil
		case wk.fn != nil:
			return group, &wk
		}
		group = append(group, wk)
		n += len(wk.batch.events)
	}
	return group, nil
}

// commitGroup applies every batch of the group in ONE transaction and answers each request
// after the commit. If the group fails, each batch is retried alone, so one bad batch is
// answered with its own error while the others still commit.
func (w *Writer) commitGroup(group []work) {
	start := time.Now()
	err := w.applyGroup(group)
	if err == nil {
		w.observeGroup(group, time.Since(start))
	}
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

func (w *Writer) warnOffsetless(v string) {
	w.tzOnce.Do(func() {
		w.log.Warn("Timestamp without a UTC offset taken as UTC", "value", v)
	})
}
