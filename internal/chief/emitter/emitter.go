package emitter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

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
	// RunnerID, when set, is added to the metadata of every event as runner_id, so the monitor
	// can tell apart the Chief processes that report the same jobs.
	RunnerID string
}

// outcome classifies one delivery attempt.
type outcome int

const (
	delivered outcome = iota
	// retry: Chief cannot reach the monitor, or the monitor cannot take events right now or is
	// misconfigured (network error, timeout, redirect, 401, 403, 404, 408, 429, 502, 503, 504,
	// 507). Not the events' fault: they are spooled and retried for as long as it lasts.
	retry
	// suspect: any other 5xx. An event in the batch may be what makes the monitor fail; after
	// maxRefusals identical refusals the batch is split to find it.
	suspect
	// invalid: any other 4xx (400, 413, 422, ...). The batch holds an event the monitor will
	// never accept: it is split at once, and an event refused alone goes to the dead-letter file.
	invalid
)

// maxRefusals is how many times in a row the monitor must refuse the same events with the same
// 5xx before they are split, and before an event refused alone is set aside. Three spans a few
// flush intervals, so a monitor restart or a brief failure does not look like a bad event.
const maxRefusals = 3

// bodyExcerpt bounds the response text kept in a dead-letter record.
const bodyExcerpt = 512

// reply is the monitor's answer to one batch.
type reply struct {
	outcome outcome
	status  int    // HTTP status; 0 when no answer came
	body    string // start of the response body
	size    int    // events in the batch
}

// classify maps an HTTP status to what Chief does about it.
func classify(code int) outcome {
	switch {
	case code >= 200 && code < 300:
		return delivered
	case code < 400:
		return retry
	case code == http.StatusUnauthorized, code == http.StatusForbidden, code == http.StatusNotFound,
		code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return retry // a wrong key or endpoint, or back-pressure: fixing it delivers the events
	case code < 500:
		return invalid
	case code == http.StatusBadGateway, code == http.StatusServiceUnavailable, code == http.StatusGatewayTimeout,
		code == http.StatusInsufficientStorage:
		return retry // the monitor (or the proxy before it) says it is down: an outage, not an event
	}
	return suspect
}

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
	fault        fault // touched by cycle only, which never runs twice at once
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
// when they are missing, and fits the event to the monitor's input limits.
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
	ev.Metadata = withRunnerID(ev.Metadata, e.opts.RunnerID)
	telemetry.Fit(&ev)
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

// withRunnerID adds runner_id to a metadata object that lacks it. Metadata that is not an
// object is left alone; the monitor refuses it anyway.
func withRunnerID(meta json.RawMessage, id string) json.RawMessage {
	if id == "" {
		return meta
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(meta, &m) != nil || m == nil {
		return meta
	}
	if _, ok := m[telemetry.MetaRunnerID]; ok {
		return meta
	}
	m[telemetry.MetaRunnerID], _ = json.Marshal(id)
	out, err := json.Marshal(m)
	if err != nil {
		return meta
	}
	return out
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
		if done, r := e.deliver(lines, deadline); done < len(lines) {
			blocked = true
			e.toSpool(lines[done:])
			e.fault.refused(lines[done], r) // the first refusal of what is now the spool's head
		}
	}
}

// deliver sends lines as one batch. A batch the monitor calls invalid is split in halves, each
// delivered in turn, until the events at fault are alone and go to the dead-letter file. It
// returns how many leading lines are done (delivered or dead-lettered) and, when not all, the
// answer that stopped it; the batch refused then starts right after the done lines.
func (e *Emitter) deliver(lines [][]byte, deadline time.Time) (int, reply) {
	r := e.send(lines)
	switch {
	case r.outcome == delivered:
		return len(lines), r
	case r.outcome != invalid:
		return 0, r
	case len(lines) == 1:
		e.toDeadLetter(lines[0], r)
		return 1, r
	case time.Now().After(deadline):
		return 0, reply{outcome: retry, size: len(lines)}
	}
	half := (len(lines) + 1) / 2
	done, r := e.deliver(lines[:half], deadline)
	if done < half {
		return done, r
	}
	more, r := e.deliver(lines[half:], deadline)
	return half + more, r
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
			e.fault = fault{}
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		n := min(len(lines), e.fault.limit())
		chunk, rest := validObjects(lines[:n]), lines[n:]
		done, r := 0, reply{}
		if len(chunk) > 0 {
			done, r = e.deliver(chunk, deadline)
		}
		left := rest
		if done < len(chunk) {
			left = append(chunk[done:len(chunk):len(chunk)], rest...)
		}
		if done > 0 || len(chunk) < n {
			e.fault.advance(done)
			if err := e.spool.rewrite(left); err != nil { // e.g. disk full: resent later, deduplicated by eventId
				e.log.Warn(fmt.Sprintf("Failed to replay spool: %v", err))
				return false
			}
		}
		sent += n
		if done < len(chunk) && !e.refusedAgain(left, r, deadline) {
			return true
		}
	}
	return !e.spool.empty()
}

// refusedAgain handles a refusal of the events at the head of the spool (left). It returns true
// when replay can go on at once: the refused events were just split, or the one at fault was
// set aside.
func (e *Emitter) refusedAgain(left [][]byte, r reply, deadline time.Time) bool {
	if !e.fault.refused(left[0], r) {
		return false
	}
	if r.size > 1 {
		e.fault.split(r.size)
		e.log.Warn(fmt.Sprintf("Monitor refused the same %d events %d times in a row with HTTP %d; splitting them to find the events at fault",
			r.size, maxRefusals, r.status))
		return true
	}
	return e.isolate(left, r, deadline)
}

// isolate sets aside the head of the spool, which the monitor has refused alone maxRefusals
// times in a row, once the event behind it gets through on its own: that shows the monitor
// works and the refusal is the head's own. Without that proof (an outage failing every request)
// the head stays where it is. The events keep their order: the head is never delivered later.
func (e *Emitter) isolate(left [][]byte, why reply, deadline time.Time) bool {
	next, rest, fromQueue := e.behind(left)
	if next == nil || time.Now().After(deadline) {
		return false
	}
	if done, _ := e.deliver([][]byte{next}, deadline); done == 0 {
		return false
	}
	if fromQueue {
		e.mu.Lock()
		e.queue = e.queue[1:] // still the oldest: only cycle takes from the queue
		e.mu.Unlock()
	}
	e.toDeadLetter(left[0], why)
	e.fault = fault{}
	if err := e.spool.rewrite(rest); err != nil {
		e.log.Warn(fmt.Sprintf("Failed to replay spool: %v", err))
		return false
	}
	return true
}

// behind returns the event that follows the head of the spool and the spool lines after it:
// the next JSON object line, or else the oldest queued event (newer than anything spooled).
func (e *Emitter) behind(left [][]byte) (next []byte, rest [][]byte, fromQueue bool) {
	for i := 1; i < len(left); i++ {
		if len(validObjects(left[i:i+1])) == 1 {
			return left[i], left[i+1:], false
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queue) == 0 {
		return nil, nil, false
	}
	lines := encode(e.queue[:1])
	if len(lines) == 0 {
		return nil, nil, false
	}
	return lines[0], nil, true
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

// deadLetter is one line of the dead-letter file.
type deadLetter struct {
	At       string          `json:"deadLetteredAt"`
	Status   int             `json:"status"`
	Response string          `json:"response"`
	Event    json.RawMessage `json:"event"`
}

// toDeadLetter records an event the monitor refused alone, with its answer.
func (e *Emitter) toDeadLetter(line []byte, r reply) {
	rec, err := json.Marshal(deadLetter{At: telemetry.ChiefTime(e.opts.Now().UTC()), Status: r.status, Response: r.body, Event: line})
	if err == nil {
		var dropped int
		dropped, err = e.spool.appendDead(rec)
		if dropped > 0 {
			e.log.Warn(fmt.Sprintf("Dead-letter file exceeds %d bytes; dropped %d oldest records", e.opts.SpoolMaxBytes, dropped))
		}
	}
	if err != nil {
		e.log.Warn(fmt.Sprintf("Failed to write dead-letter file: %v (1 event lost)", err))
		return
	}
	var ev struct{ EventID, EventType string }
	_ = json.Unmarshal(line, &ev) // only for the log line
	e.log.Warn(fmt.Sprintf("Monitor refused event %s (%s) with HTTP %d; moved it to %s", ev.EventID, ev.EventType, r.status, e.spool.deadPath))
}

// send posts lines as one batch and classifies the answer.
func (e *Emitter) send(lines [][]byte) reply {
	var body bytes.Buffer
	body.WriteString(`{"events":[`)
	body.Write(bytes.Join(lines, []byte(",")))
	body.WriteString("]}")
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.Timeout)
	defer cancel()
	r := reply{outcome: retry, size: len(lines)}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, telemetry.BatchURL(e.opts.Endpoint), &body)
	if err != nil { // a malformed endpoint: the events are fine once the config is fixed
		e.warnSend(err.Error())
		return r
	}
	req.Header.Set("Content-Type", "application/json")
	if e.opts.APIKey != "" {
		req.Header.Set("x-api-key", e.opts.APIKey)
	}
	resp, err := e.opts.Client.Do(req)
	if err != nil {
		e.warnSend(err.Error())
		return r
	}
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // drain for connection reuse
	_ = resp.Body.Close()                                    // read-only body
	r.status, r.outcome = resp.StatusCode, classify(resp.StatusCode)
	if r.outcome == delivered {
		e.recovered()
		return r
	}
	r.body = excerpt(text)
	e.warnSend(fmt.Sprintf("HTTP %d", r.status))
	return r
}

// excerpt is the start of a response body as valid UTF-8, at most bodyExcerpt bytes.
func excerpt(b []byte) string {
	if len(b) > bodyExcerpt {
		b = b[:bodyExcerpt]
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i] // a character cut in half
				}
				break
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
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
	return e.HeartbeatWith(mode, interval, nil)
}

// HeartbeatWith is Heartbeat with more metadata: extra is called for every beat, so values
// that change while Chief runs (the config hash after a reload) are current.
func (e *Emitter) HeartbeatWith(mode string, interval time.Duration, extra func() map[string]any) (stop func()) {
	if e == nil || e.stop == nil {
		return func() {}
	}
	beat := func() {
		meta := map[string]any{}
		if extra != nil {
			maps.Copy(meta, extra())
		}
		meta[telemetry.MetaPingIntervalSeconds] = int(interval / time.Second)
		meta[telemetry.MetaMode] = mode
		meta[telemetry.MetaPID] = os.Getpid()
		e.Emit(telemetry.Event{SourceType: telemetry.SourceChief, EventType: telemetry.EventChiefHeartbeat,
			Level: telemetry.LevelInfo, Message: fmt.Sprintf("Chief heartbeat (%s).", mode), Metadata: telemetry.Metadata(meta)})
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
