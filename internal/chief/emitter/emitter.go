package emitter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
)

// Batch limits of one request, of one replay pass and of the final replay at Close.
const (
	BatchSize   = 250
	replayLimit = 1000
)

// Options configure an Emitter; zero values get the Chief defaults.
type Options struct {
	Endpoint      string
	APIKey        string
	Timeout       time.Duration // per request; at least 100 ms
	MaxEvents     int           // queue capacity
	FlushInterval time.Duration // at least 50 ms
	SpoolFile     string
	SpoolMaxBytes int64
	Logger        *slog.Logger
	Client        *http.Client
	Now           func() time.Time
}

// outcome classifies one delivery attempt.
type outcome int

const (
	delivered outcome = iota
	retry             // network error, timeout, 408, 429, 5xx: spool and try again later
	rejected          // any other non-2xx: dead-letter
)

// Emitter is the telemetry sender. The zero value and a nil *Emitter are valid and discard
// everything.
type Emitter struct {
	opts  Options
	log   *slog.Logger
	spool *spool

	mu      sync.Mutex
	queue   []telemetry.Event
	dropped int64

	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	closeMu sync.Once

	lastWarn     string
	lastWarnTime time.Time
}

// New creates an emitter and starts its background loop.
func New(opts Options) *Emitter {
	e := newEmitter(opts)
	go e.run()
	return e
}

// newEmitter builds an emitter without starting its loop (tests drive cycle directly).
func newEmitter(opts Options) *Emitter {
	if opts.Timeout < 100*time.Millisecond {
		opts.Timeout = 100 * time.Millisecond
	}
	if opts.FlushInterval < 50*time.Millisecond {
		opts.FlushInterval = 50 * time.Millisecond
	}
	if opts.MaxEvents < 1 {
		opts.MaxEvents = 5000
	}
	if opts.SpoolMaxBytes <= 0 {
		opts.SpoolMaxBytes = 10 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.Timeout, CheckRedirect: keepPost}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Emitter{opts: opts, log: opts.Logger, spool: newSpool(opts.SpoolFile, opts.SpoolMaxBytes),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	return e
}

// Emit queues ev without blocking. It fills in EventID, EventAt and an empty Metadata object
// when they are missing.
func (e *Emitter) Emit(ev telemetry.Event) {
	if e == nil || e.stop == nil {
		return
	}
	if ev.EventID == "" {
		ev.EventID = telemetry.NewEventID()
	}
	if ev.EventAt == "" {
		ev.EventAt = telemetry.ChiefTime(e.opts.Now().UTC())
	}
	if len(ev.Metadata) == 0 {
		ev.Metadata = json.RawMessage("{}")
	}
	e.mu.Lock()
	if len(e.queue) >= e.opts.MaxEvents {
		e.dropped++
		n := e.dropped
		e.mu.Unlock()
		e.log.Warn(fmt.Sprintf("Telemetry queue full; dropping telemetry event (dropped=%d)", n), "event_type", ev.EventType)
		return
	}
	e.queue = append(e.queue, ev)
	full := len(e.queue) >= BatchSize
	e.mu.Unlock()
	if full {
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
}

// Dropped returns how many events were discarded because the queue was full.
func (e *Emitter) Dropped() int64 {
	if e == nil {
		return 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

func (e *Emitter) run() {
	defer close(e.done)
	t := time.NewTicker(e.opts.FlushInterval)
	defer t.Stop()
	for {
		e.cycle(0)
		// A full interval between cycles (no tick left over from a long cycle) gives other Chief
		// processes sharing the spool a chance at the lock.
		t.Reset(e.opts.FlushInterval)
		select {
		case <-e.stop:
			return
		case <-t.C:
		case <-e.wake:
		}
	}
}

// Close stops the loop and makes a last delivery attempt bounded by about two request
// timeouts; whatever is still undelivered goes to the spool.
func (e *Emitter) Close() {
	if e == nil || e.stop == nil {
		return
	}
	e.closeMu.Do(func() {
		close(e.stop)
		<-e.done // a cycle is bounded by its delivery deadline
		// Another Chief process holds the lock for at most one cycle: its deadline plus one
		// request (3 timeouts + 1 s with the same settings); give up only after that.
		e.cycle(max(3*time.Second, 3*e.opts.Timeout+2*time.Second))
	})
}

// keepPost follows only redirects that repeat the POST with its body (307, 308). A 301, 302 or
// 303 would become a bodiless GET whose 2xx counted as delivered although nothing was stored, so
// the redirect itself is returned and treated as a failure (spooled and retried).
func keepPost(req *http.Request, via []*http.Request) error {
	if req.Method != http.MethodPost || len(via) >= 10 {
		return http.ErrUseLastResponse
	}
	return nil
}

// cycle replays the spool and then sends the queue, holding the spool lock throughout. With
// lockWait 0 a busy lock just postpones the work to the next cycle.
func (e *Emitter) cycle(lockWait time.Duration) {
	e.mu.Lock()
	pending := len(e.queue)
	e.mu.Unlock()
	if pending == 0 && e.spool.empty() {
		return
	}
	locked := true
	if err := e.spool.lock(lockWait); errors.Is(err, syscall.EWOULDBLOCK) {
		if lockWait > 0 {
			e.log.Warn(fmt.Sprintf("Failed to spool events: %v (%d events lost)", err, pending))
		}
		return
	} else if err != nil {
		// The spool is unusable (e.g. its directory cannot be created): still deliver directly;
		// only events that would have to be spooled are lost (and reported by toSpool).
		locked = false
	} else {
		defer e.spool.unlock()
	}
	deadline := time.Now().Add(2*e.opts.Timeout + time.Second)
	blocked := locked && e.replay(deadline)
	for {
		e.mu.Lock()
		n := min(len(e.queue), BatchSize)
		batch := append([]telemetry.Event(nil), e.queue[:n]...)
		e.queue = e.queue[n:]
		e.mu.Unlock()
		if n == 0 {
			return
		}
		lines := encode(batch)
		if blocked || time.Now().After(deadline) {
			e.toSpool(lines)
			continue
		}
		switch e.send(lines) {
		case retry:
			blocked = true
			e.toSpool(lines)
		case rejected:
			e.toDeadLetter(lines)
		}
	}
}

// replay sends spooled events oldest first. It returns true when the spool still holds events
// that must go before anything newer.
func (e *Emitter) replay(deadline time.Time) (blocked bool) {
	for sent := 0; sent < replayLimit; {
		lines, err := e.spool.readLines()
		if err != nil { // an unreadable spool must not hold back (and so lose) newer events
			e.log.Warn(fmt.Sprintf("Failed to replay spool: %v", err))
			return false
		}
		if len(lines) == 0 {
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		n := min(len(lines), BatchSize)
		chunk, rest := validObjects(lines[:n]), lines[n:]
		if len(chunk) > 0 {
			switch e.send(chunk) {
			case retry:
				return true
			case rejected:
				e.toDeadLetter(chunk)
			}
		}
		if err := e.spool.rewrite(rest); err != nil { // e.g. disk full: resent later, deduplicated by eventId
			e.log.Warn(fmt.Sprintf("Failed to replay spool: %v", err))
			return false
		}
		sent += n
	}
	return !e.spool.empty()
}

func encode(events []telemetry.Event) [][]byte {
	lines := make([][]byte, 0, len(events))
	for _, ev := range events {
		b, err := json.Marshal(ev)
		if err != nil {
			continue // Event holds only strings, numbers and raw JSON validated at Emit
		}
		lines = append(lines, b)
	}
	return lines
}

func (e *Emitter) toSpool(lines [][]byte) {
	dropped, err := e.spool.append(lines)
	if err != nil {
		e.log.Warn(fmt.Sprintf("Failed to spool events: %v (%d events lost)", err, len(lines)))
		return
	}
	if dropped > 0 {
		e.log.Warn(fmt.Sprintf("Telemetry spool exceeds %d bytes; dropped %d oldest events", e.opts.SpoolMaxBytes, dropped))
	}
}

func (e *Emitter) toDeadLetter(lines [][]byte) {
	if err := appendTo(e.spool.deadPath, lines); err != nil {
		e.log.Warn(fmt.Sprintf("Failed to write dead-letter file: %v (%d events lost)", err, len(lines)))
		return
	}
	e.log.Warn(fmt.Sprintf("Monitor rejected %d events; moved them to %s", len(lines), e.spool.deadPath))
}

// send posts lines as one batch and classifies the answer.
func (e *Emitter) send(lines [][]byte) outcome {
	var body bytes.Buffer
	body.WriteString(`{"events":[`)
	body.Write(bytes.Join(lines, []byte(",")))
	body.WriteString("]}")
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, telemetry.BatchURL(e.opts.Endpoint), &body)
	if err != nil {
		e.warnSend(err.Error())
		return rejected
	}
	req.Header.Set("Content-Type", "application/json")
	if e.opts.APIKey != "" {
		req.Header.Set("x-api-key", e.opts.APIKey)
	}
	resp, err := e.opts.Client.Do(req)
	if err != nil {
		e.warnSend(err.Error())
		return retry
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain for connection reuse
	_ = resp.Body.Close()                                         // read-only body
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		e.recovered()
		return delivered
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500 || code < 400:
		e.warnSend(fmt.Sprintf("HTTP %d", code))
		return retry
	default:
		e.warnSend(fmt.Sprintf("HTTP %d", code))
		return rejected
	}
}

// warnSend logs "Failed to send batch" when the reason changes, and at most once a minute
// while it stays the same, so an outage does not flood the log.
func (e *Emitter) warnSend(reason string) {
	now := time.Now()
	if reason == e.lastWarn && now.Sub(e.lastWarnTime) < time.Minute {
		return
	}
	e.lastWarn, e.lastWarnTime = reason, now
	e.log.Warn("Failed to send batch: "+reason, "endpoint", e.opts.Endpoint)
}

func (e *Emitter) recovered() {
	if e.lastWarn != "" {
		e.log.Info("Monitor reachable again; telemetry delivery resumed", "endpoint", e.opts.Endpoint)
		e.lastWarn = ""
	}
}

// SpoolPath returns the spool file path.
func (e *Emitter) SpoolPath() string { return e.spool.path }

// DeadLetterPath returns the dead-letter file path.
func (e *Emitter) DeadLetterPath() string { return e.spool.deadPath }

// Heartbeat emits chief.heartbeat at once and then every interval until the returned stop
// function is called (stop waits for the loop to end).
func (e *Emitter) Heartbeat(mode string, interval time.Duration) (stop func()) {
	if e == nil || e.stop == nil {
		return func() {}
	}
	beat := func() {
		e.Emit(telemetry.Event{SourceType: telemetry.SourceChief, EventType: telemetry.EventChiefHeartbeat,
			Level: telemetry.LevelInfo, Message: fmt.Sprintf("Chief heartbeat (%s).", mode),
			Metadata: telemetry.Metadata(map[string]any{"ping_interval_seconds": int(interval / time.Second), "mode": mode, "pid": os.Getpid()})})
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			beat()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-done }) }
}
