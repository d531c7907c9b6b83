package emitter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gulag/chief-monitor/internal/telemetry"
)

// fakeMonitor records delivered events and answers with the status in code.
type fakeMonitor struct {
	*httptest.Server
	mu     sync.Mutex
	events []telemetry.Event
	keys   []string
	code   atomic.Int32
	delay  atomic.Int64
}

func newFakeMonitor(t *testing.T) *fakeMonitor {
	t.Helper()
	m := &fakeMonitor{}
	m.code.Store(http.StatusAccepted)
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(m.delay.Load()))
		if r.URL.Path != "/v1/events/batch" {
			http.NotFound(w, r)
			return
		}
		code := int(m.code.Load())
		if code == http.StatusAccepted {
			var b telemetry.Batch
			if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			m.mu.Lock()
			m.events = append(m.events, b.Events...)
			m.keys = append(m.keys, r.Header.Get("x-api-key"))
			m.mu.Unlock()
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *fakeMonitor) messages() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, len(m.events))
	for i, e := range m.events {
		out[i] = e.Message
	}
	return out
}

func testOptions(t *testing.T, endpoint string) Options {
	return Options{Endpoint: endpoint, APIKey: "k", Timeout: 500 * time.Millisecond, MaxEvents: 100,
		FlushInterval: time.Hour, SpoolFile: filepath.Join(t.TempDir(), ".chief", "spool.jsonl"), SpoolMaxBytes: 1 << 20}
}

func ev(msg string) telemetry.Event {
	return telemetry.Event{SourceType: telemetry.SourceChief, EventType: telemetry.EventJobStarted, Level: telemetry.LevelInfo, Message: msg}
}

func spoolLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func TestDeliversBatchWithKeyAndIDs(t *testing.T) {
	m := newFakeMonitor(t)
	e := New(testOptions(t, m.URL+"/"))
	for i := range 3 {
		e.Emit(ev(fmt.Sprint("m", i)))
	}
	e.Close()
	if got, want := strings.Join(m.messages(), ","), "m0,m1,m2"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	ids := map[string]bool{}
	for _, x := range m.events {
		if x.EventID == "" || len(x.EventID) > 128 || ids[x.EventID] {
			t.Errorf("event id %q is empty, too long or repeated", x.EventID)
		}
		ids[x.EventID] = true
		if !strings.HasSuffix(x.EventAt, "+00:00") || string(x.Metadata) != "{}" {
			t.Errorf("got eventAt %q metadata %s, want +00:00 and {}", x.EventAt, x.Metadata)
		}
	}
	if m.keys[0] != "k" {
		t.Errorf("x-api-key: got %q, want k", m.keys[0])
	}
}

func TestQueueOverflowDropsNewest(t *testing.T) {
	opts := testOptions(t, "http://127.0.0.1:9")
	opts.MaxEvents = 2
	e := newEmitter(opts)
	for i := range 5 {
		e.Emit(ev(fmt.Sprint("m", i)))
	}
	if got := e.Dropped(); got != 3 {
		t.Fatalf("dropped: got %d, want 3", got)
	}
	if got := e.queue[1].Message; got != "m1" {
		t.Fatalf("queue tail: got %q, want m1 (newest events are the ones dropped)", got)
	}
}

func TestSpoolAndReplayInOrder(t *testing.T) {
	m := newFakeMonitor(t)
	m.code.Store(http.StatusServiceUnavailable)
	e := newEmitter(testOptions(t, m.URL))
	e.Emit(ev("a"))
	e.Emit(ev("b"))
	e.cycle(0)
	if got := len(spoolLines(t, e.SpoolPath())); got != 2 {
		t.Fatalf("spooled: got %d lines, want 2", got)
	}
	e.Emit(ev("c"))
	e.cycle(0) // still down: c must queue behind a and b in the spool
	m.code.Store(http.StatusAccepted)
	e.Emit(ev("d"))
	e.cycle(0)
	if got, want := strings.Join(m.messages(), ","), "a,b,c,d"; got != want {
		t.Fatalf("delivery order: got %q, want %q", got, want)
	}
	if got := spoolLines(t, e.SpoolPath()); len(got) != 0 {
		t.Fatalf("spool after replay: got %d lines, want 0", len(got))
	}
}

func TestResponseClasses(t *testing.T) {
	cases := []struct {
		name        string
		code        int
		spooled     int
		deadLetters int
	}{
		{name: "429 is retried", code: http.StatusTooManyRequests, spooled: 1},
		{name: "503 is retried", code: http.StatusServiceUnavailable, spooled: 1},
		{name: "a first 500 is retried", code: http.StatusInternalServerError, spooled: 1},
		{name: "401 (wrong key) is retried", code: http.StatusUnauthorized, spooled: 1},
		{name: "403 is retried", code: http.StatusForbidden, spooled: 1},
		{name: "404 (wrong endpoint) is retried", code: http.StatusNotFound, spooled: 1},
		{name: "400 goes to dead letter", code: http.StatusBadRequest, deadLetters: 1},
		{name: "413 goes to dead letter", code: http.StatusRequestEntityTooLarge, deadLetters: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMonitor(t)
			m.code.Store(int32(tc.code))
			e := newEmitter(testOptions(t, m.URL))
			e.Emit(ev("x"))
			e.cycle(0)
			if got := len(spoolLines(t, e.SpoolPath())); got != tc.spooled {
				t.Errorf("spooled: got %d, want %d", got, tc.spooled)
			}
			if got := len(spoolLines(t, e.DeadLetterPath())); got != tc.deadLetters {
				t.Errorf("dead letters: got %d, want %d", got, tc.deadLetters)
			}
		})
	}
}

// pickyMonitor speaks /v1/events/batch on 127.0.0.1: it answers code to any batch holding an
// event whose message is in bad, and 202 (recording the events) otherwise.
type pickyMonitor struct {
	*httptest.Server
	mu       sync.Mutex
	bad      map[string]bool
	code     int
	events   []string
	requests int
}

func newPickyMonitor(t *testing.T, code int, bad ...string) *pickyMonitor {
	t.Helper()
	m := &pickyMonitor{bad: map[string]bool{}, code: code}
	for _, b := range bad {
		m.bad[b] = true
	}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b telemetry.Batch
		if r.URL.Path != "/v1/events/batch" || json.NewDecoder(r.Body).Decode(&b) != nil {
			http.Error(w, `{"error":"Not found"}`, http.StatusNotFound)
			return
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.requests++
		for _, x := range b.Events {
			if m.bad[x.Message] {
				w.WriteHeader(m.code)
				fmt.Fprintf(w, `{"error":"cannot store event %s"}`, x.Message)
				return
			}
		}
		for _, x := range b.Events {
			m.events = append(m.events, x.Message)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *pickyMonitor) delivered() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.events, ",")
}

// deadLetters reads the dead-letter file.
func deadLetters(t *testing.T, path string) []deadLetter {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []deadLetter
	for l := range strings.Lines(string(data)) {
		var d deadLetter
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("dead-letter line %s: %v", l, err)
		}
		out = append(out, d)
	}
	return out
}

func deadMessages(t *testing.T, path string) string {
	t.Helper()
	var msgs []string
	for _, d := range deadLetters(t, path) {
		var x telemetry.Event
		if err := json.Unmarshal(d.Event, &x); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, x.Message)
	}
	return strings.Join(msgs, ",")
}

// One event the monitor fails on with a 500 must not hold back the events behind it: after a
// few identical refusals the batch is split, the event is set aside in the dead-letter file with
// the answer, and every other event arrives, in order.
func TestEventTheMonitorKeepsRefusingIsSetAside(t *testing.T) {
	cases := []struct {
		name   string
		events int
		bad    []string
	}{
		{name: "in the middle", events: 10, bad: []string{"m04"}},
		{name: "first", events: 10, bad: []string{"m00"}},
		{name: "two of them", events: 40, bad: []string{"m07", "m31"}},
		{name: "behind a full batch", events: BatchSize + 20, bad: []string{"m260"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newPickyMonitor(t, http.StatusInternalServerError, tc.bad...)
			opts := testOptions(t, m.URL)
			opts.MaxEvents = 1000
			e := newEmitter(opts)
			var want []string
			for i := range tc.events {
				msg := fmt.Sprintf("m%02d", i)
				e.Emit(ev(msg))
				if !slices.Contains(tc.bad, msg) {
					want = append(want, msg)
				}
			}
			for i := 0; i < 100; i++ {
				if e.cycle(0); e.spool.empty() {
					break
				}
			}
			if got := m.delivered(); got != strings.Join(want, ",") {
				t.Fatalf("delivered:\n got %s\nwant %s", got, strings.Join(want, ","))
			}
			if got := deadMessages(t, e.DeadLetterPath()); got != strings.Join(tc.bad, ",") {
				t.Fatalf("dead letters: got %q, want %q", got, strings.Join(tc.bad, ","))
			}
			d := deadLetters(t, e.DeadLetterPath())[0]
			if d.Status != 500 || d.Response != `{"error":"cannot store event `+tc.bad[0]+`"}` || !strings.HasSuffix(d.At, "+00:00") {
				t.Errorf("dead-letter record: got %+v", d)
			}
			if got := spoolLines(t, e.SpoolPath()); len(got) != 0 {
				t.Errorf("spool: got %d lines, want none", len(got))
			}
		})
	}
}

// The last event has nothing behind it to show that the monitor works: it stays in the spool
// (an outage would look the same) until a newer event gets through.
func TestRefusedLastEventWaitsForProof(t *testing.T) {
	m := newPickyMonitor(t, http.StatusInternalServerError, "bad")
	e := newEmitter(testOptions(t, m.URL))
	e.Emit(ev("a"))
	e.Emit(ev("bad"))
	for range 20 {
		e.cycle(0)
	}
	if got := m.delivered(); got != "a" {
		t.Fatalf("delivered: got %q, want a", got)
	}
	if got := deadMessages(t, e.DeadLetterPath()); got != "" {
		t.Fatalf("dead letters: got %q before any proof that the monitor works", got)
	}
	e.Emit(ev("heartbeat"))
	e.cycle(0)
	e.cycle(0)
	if got := m.delivered(); got != "a,heartbeat" {
		t.Fatalf("delivered: got %q, want a,heartbeat", got)
	}
	if got := deadMessages(t, e.DeadLetterPath()); got != "bad" {
		t.Fatalf("dead letters: got %q, want bad", got)
	}
}

// A monitor that fails every request, with 500 or 503, is an outage: nothing is dead-lettered
// however long it lasts, and everything arrives in order once it is over.
func TestOutageDeadLettersNothing(t *testing.T) {
	for _, code := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			m := newFakeMonitor(t)
			m.code.Store(int32(code))
			e := newEmitter(testOptions(t, m.URL))
			var want []string
			for i := range 30 {
				want = append(want, fmt.Sprint("m", i))
				e.Emit(ev(want[i]))
				e.cycle(0)
				e.cycle(0)
			}
			if got := len(spoolLines(t, e.DeadLetterPath())); got != 0 {
				t.Fatalf("dead letters during an outage: got %d", got)
			}
			m.code.Store(http.StatusAccepted)
			e.cycle(0)
			if got := strings.Join(m.messages(), ","); got != strings.Join(want, ",") {
				t.Fatalf("delivered after the outage: got %q", got)
			}
		})
	}
}

// A 400 names an event that can never be accepted: it is found and set aside at once, and the
// rest of its batch is delivered in the same cycle.
func TestInvalidEventIsSetAsideAtOnce(t *testing.T) {
	m := newPickyMonitor(t, http.StatusBadRequest, "m05")
	e := newEmitter(testOptions(t, m.URL))
	for i := range 12 {
		e.Emit(ev(fmt.Sprintf("m%02d", i)))
	}
	e.cycle(0)
	if got, want := m.delivered(), "m00,m01,m02,m03,m04,m06,m07,m08,m09,m10,m11"; got != want {
		t.Fatalf("delivered: got %q, want %q", got, want)
	}
	if d := deadLetters(t, e.DeadLetterPath()); len(d) != 1 || d[0].Status != 400 {
		t.Fatalf("dead letters: got %+v, want m05 with status 400", d)
	}
	if got := spoolLines(t, e.SpoolPath()); len(got) != 0 {
		t.Errorf("spool: got %d lines, want none", len(got))
	}
}

func TestExcerptIsBoundedUTF8(t *testing.T) {
	long := strings.Repeat("é", bodyExcerpt) // two bytes each: the cut falls inside one at odd lengths
	for _, in := range []string{long, "x" + long, "ok"} {
		got := excerpt([]byte(in))
		if len(got) > bodyExcerpt || !utf8.ValidString(got) || strings.ContainsRune(got, utf8.RuneError) || !strings.HasPrefix(in, got) {
			t.Errorf("excerpt of %d bytes: got %d bytes %q", len(in), len(got), got[:min(len(got), 20)])
		}
	}
}

func TestRejectedSpoolBatchDoesNotBlock(t *testing.T) {
	m := newFakeMonitor(t)
	e := newEmitter(testOptions(t, m.URL))
	if err := appendTo(e.SpoolPath(), [][]byte{[]byte(`{"message":"old"}`), []byte(`not json`)}); err != nil {
		t.Fatal(err)
	}
	m.code.Store(http.StatusBadRequest)
	e.cycle(0)
	m.code.Store(http.StatusAccepted)
	e.Emit(ev("new"))
	e.cycle(0)
	if got := strings.Join(m.messages(), ","); got != "new" {
		t.Fatalf("delivered: got %q, want new", got)
	}
	if got := spoolLines(t, e.DeadLetterPath()); len(got) != 1 || !strings.Contains(got[0], "old") {
		t.Fatalf("dead letters: got %q, want the old event only (invalid line dropped)", got)
	}
}

func TestSpoolCapDropsOldest(t *testing.T) {
	opts := testOptions(t, "http://127.0.0.1:9")
	opts.SpoolMaxBytes = 2000
	opts.Timeout = 100 * time.Millisecond
	e := newEmitter(opts)
	for i := range 40 {
		e.Emit(ev(fmt.Sprintf("m%02d", i)))
	}
	e.cycle(0)
	st, err := os.Stat(e.SpoolPath())
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 2000 {
		t.Fatalf("spool size: got %d, want <= 2000", st.Size())
	}
	lines := spoolLines(t, e.SpoolPath())
	if last := lines[len(lines)-1]; !strings.Contains(last, `"m39"`) {
		t.Fatalf("newest event missing from spool tail: %s", last)
	}
	if strings.Contains(lines[0], `"m00"`) {
		t.Fatal("oldest event was kept although the spool is over its cap")
	}
}

func TestLockedSpoolPostponesWork(t *testing.T) {
	m := newFakeMonitor(t)
	e := newEmitter(testOptions(t, m.URL))
	other := newSpool(e.SpoolPath(), 1<<20)
	if err := other.lock(0); err != nil {
		t.Fatal(err)
	}
	e.Emit(ev("x"))
	e.cycle(0)
	if got := len(m.messages()); got != 0 {
		t.Fatalf("delivered while another process held the lock: %d", got)
	}
	other.unlock()
	e.cycle(0)
	if got := strings.Join(m.messages(), ","); got != "x" {
		t.Fatalf("got %q, want x after the lock was released", got)
	}
}

func TestSharedSpoolDeliversEachEventOnce(t *testing.T) {
	m := newFakeMonitor(t)
	m.code.Store(http.StatusServiceUnavailable)
	opts := testOptions(t, m.URL)
	a, b := newEmitter(opts), newEmitter(opts)
	for i := range 50 {
		a.Emit(ev(fmt.Sprint("a", i)))
		b.Emit(ev(fmt.Sprint("b", i)))
	}
	var wg sync.WaitGroup
	for _, e := range []*Emitter{a, b} {
		wg.Go(func() { e.cycle(time.Second) })
	}
	wg.Wait()
	m.code.Store(http.StatusAccepted)
	for _, e := range []*Emitter{a, b} {
		wg.Go(func() { e.cycle(time.Second) })
	}
	wg.Wait()
	seen := map[string]int{}
	for _, msg := range m.messages() {
		seen[msg]++
	}
	if len(seen) != 100 {
		t.Fatalf("got %d distinct events, want 100", len(seen))
	}
	for msg, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", msg, n)
		}
	}
}

func TestSlowMonitorNeverBlocksEmit(t *testing.T) {
	m := newFakeMonitor(t)
	m.delay.Store(int64(300 * time.Millisecond))
	opts := testOptions(t, m.URL)
	opts.FlushInterval = 10 * time.Millisecond
	opts.MaxEvents = 10000
	e := New(opts)
	start := time.Now()
	for i := range 2000 {
		e.Emit(ev(fmt.Sprint(i)))
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Fatalf("emitting 2000 events took %s with a slow monitor", d)
	}
	e.Close()
	if got := len(m.messages()) + len(spoolLines(t, e.SpoolPath())); got != 2000 {
		t.Fatalf("delivered+spooled: got %d, want 2000", got)
	}
}

func TestHeartbeat(t *testing.T) {
	m := newFakeMonitor(t)
	e := New(testOptions(t, m.URL))
	stop := e.Heartbeat("daemon", 15*time.Second)
	stop()
	e.Close()
	if len(m.events) != 1 {
		t.Fatalf("got %d events, want one immediate heartbeat", len(m.events))
	}
	hb := m.events[0]
	var meta map[string]any
	if err := json.Unmarshal(hb.Metadata, &meta); err != nil {
		t.Fatal(err)
	}
	if hb.EventType != "chief.heartbeat" || hb.Message != "Chief heartbeat (daemon)." || meta["ping_interval_seconds"] != 15.0 || meta["mode"] != "daemon" || meta["pid"] != float64(os.Getpid()) {
		t.Fatalf("got %+v %v", hb, meta)
	}
}

// A 302 turns the POST into a bodiless GET; a 200 for that GET must not count as delivered.
func TestRedirectIsNotDelivery(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	e := newEmitter(testOptions(t, srv.URL))
	e.Emit(ev("x"))
	e.cycle(0)
	if got := spoolLines(t, e.SpoolPath()); len(got) != 1 {
		t.Fatalf("spooled: got %d lines, want the redirected event kept for replay", len(got))
	}
}

// A crash or a full disk can leave the spool ending in half a line; the next append must start
// on a line of its own instead of being glued to (and lost with) the torn one.
func TestTornSpoolLineDoesNotSwallowNextEvent(t *testing.T) {
	m := newFakeMonitor(t)
	m.code.Store(http.StatusServiceUnavailable)
	e := newEmitter(testOptions(t, m.URL))
	if err := os.MkdirAll(filepath.Dir(e.SpoolPath()), 0o755); err != nil {
		t.Fatal(err)
	}
	torn := `{"sourceType":"chief","eventType":"job.started","level":"INFO","message":"old"}` + "\n" + `{"sourceType":"chief","even`
	if err := os.WriteFile(e.SpoolPath(), []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Emit(ev("new"))
	e.cycle(0)
	m.code.Store(http.StatusAccepted)
	e.cycle(0)
	if got := strings.Join(m.messages(), ","); got != "old,new" {
		t.Fatalf("delivered: got %q, want old,new", got)
	}
}

// An unusable spool (its directory is a file, or the spool path is a directory) must not stop
// delivery to a reachable monitor.
func TestUnusableSpoolStillDelivers(t *testing.T) {
	for name, setup := range map[string]func(dir string) string{
		"parent is a file": func(dir string) string {
			_ = os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
			return filepath.Join(dir, "file", "spool.jsonl")
		},
		"spool is a directory": func(dir string) string {
			_ = os.MkdirAll(filepath.Join(dir, "spool.jsonl"), 0o755)
			return filepath.Join(dir, "spool.jsonl")
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := newFakeMonitor(t)
			opts := testOptions(t, m.URL)
			opts.SpoolFile = setup(t.TempDir())
			e := newEmitter(opts)
			e.Emit(ev("x"))
			e.cycle(0)
			e.Emit(ev("y"))
			e.cycle(time.Second)
			if got := strings.Join(m.messages(), ","); got != "x,y" {
				t.Fatalf("delivered: got %q, want x,y", got)
			}
		})
	}
}

// Another Chief process may hold the lock for a whole cycle (2 timeouts + 1 s, plus the request
// in flight); Close must wait that long instead of dropping its queue after 3 s.
func TestCloseWaitsForAnotherProcessCycle(t *testing.T) {
	m := newFakeMonitor(t)
	opts := testOptions(t, m.URL)
	opts.Timeout = time.Second
	other := newSpool(opts.SpoolFile, 1<<20)
	if err := other.lock(0); err != nil {
		t.Fatal(err)
	}
	e := New(opts)
	e.Emit(ev("x"))
	time.AfterFunc(3500*time.Millisecond, other.unlock)
	e.Close()
	if got := strings.Join(m.messages(), ","); got != "x" {
		t.Fatalf("delivered: got %q, want x once the other process released the lock", got)
	}
}

// A process draining a large spool to a slow monitor must leave gaps between its cycles, or a
// second process sharing the spool never gets the lock at Close and loses its queue.
func TestBusySpoolOwnerLeavesLockGaps(t *testing.T) {
	m := newFakeMonitor(t)
	m.delay.Store(int64(300 * time.Millisecond))
	opts := testOptions(t, m.URL)
	var backlog [][]byte
	for i := range 5000 {
		backlog = append(backlog, fmt.Appendf(nil, `{"sourceType":"chief","eventType":"job.started","level":"INFO","message":"old%d"}`, i))
	}
	if err := appendTo(opts.SpoolFile, backlog); err != nil {
		t.Fatal(err)
	}
	busy := opts
	busy.FlushInterval = 50 * time.Millisecond
	a := New(busy)
	defer a.Close()
	time.Sleep(100 * time.Millisecond) // a is replaying now
	b := New(opts)
	b.Emit(ev("mine"))
	b.Close()
	delivered := strings.Join(m.messages(), ",")
	spooled := strings.Join(spoolLines(t, opts.SpoolFile), "\n")
	if !strings.Contains(delivered, "mine") && !strings.Contains(spooled, `"mine"`) {
		t.Fatal("the event of the second process was neither delivered nor spooled")
	}
}

func TestRunnerIDOnEveryEvent(t *testing.T) {
	m := newFakeMonitor(t)
	opts := testOptions(t, m.URL)
	opts.RunnerID = "r-1"
	e := New(opts)
	e.Emit(ev("no metadata"))
	withMeta := ev("metadata")
	withMeta.Metadata = telemetry.Metadata(map[string]any{"rows": 3, "big": uint64(12345678901234567890)})
	e.Emit(withMeta)
	own := ev("own id")
	own.Metadata = telemetry.Metadata(map[string]any{telemetry.MetaRunnerID: "kept"})
	e.Emit(own)
	stop := e.HeartbeatWith("run", time.Minute, func() map[string]any { return map[string]any{telemetry.MetaConfigHash: "h1"} })
	stop()
	e.Close()
	if len(m.events) != 4 {
		t.Fatalf("got %d events, want 4", len(m.events))
	}
	want := []string{`{"runner_id":"r-1"}`, `{"big":12345678901234567890,"rows":3,"runner_id":"r-1"}`, `{"runner_id":"kept"}`}
	for i, w := range want {
		if got := string(m.events[i].Metadata); got != w {
			t.Errorf("event %d: metadata %s, want %s", i, got, w)
		}
	}
	var hb map[string]any
	if err := json.Unmarshal(m.events[3].Metadata, &hb); err != nil {
		t.Fatal(err)
	}
	if hb["runner_id"] != "r-1" || hb["config_hash"] != "h1" || hb["mode"] != "run" || hb["ping_interval_seconds"] != 60.0 {
		t.Errorf("heartbeat metadata: %v", hb)
	}
}
