package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/logging"
)

// syncBuffer is a log destination safe to read while the daemon writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// configFile is a chief.yaml in a temp dir with an executable scripts/ok.sh.
type configFile struct {
	t    *testing.T
	path string
}

func newConfigFile(t *testing.T) *configFile {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scripts", "ok.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &configFile{t: t, path: filepath.Join(dir, "chief.yaml")}
}

// jobs writes a config whose jobs are name: schedule pairs.
func (c *configFile) jobs(pairs ...string) {
	var b strings.Builder
	b.WriteString("defaults: {timezone: UTC}\njobs:\n")
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString("  - name: " + pairs[i] + "\n    schedule: {" + pairs[i+1] + "}\n    scripts: [{path: scripts/ok.sh}]\n")
	}
	if err := os.WriteFile(c.path, []byte(b.String()), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func (c *configFile) load() (*config.Config, error) { return config.LoadFile(c.path) }

// reloadHarness is a daemon over a real config file whose runs finish at once.
type reloadHarness struct {
	d      *Daemon
	log    *syncBuffer
	ran    chan string
	mu     sync.Mutex
	loaded []*config.Config
}

func newReloadHarness(t *testing.T, c *configFile, hangup chan struct{}, clk Clock) *reloadHarness {
	cfg, err := c.load()
	if err != nil {
		t.Fatal(err)
	}
	h := &reloadHarness{log: &syncBuffer{}, ran: make(chan string, 100)}
	h.d = New(Options{Jobs: enabledJobs(cfg), Poll: 10 * time.Second, MaxParallel: 1, Clock: clk, Log: slog.New(logging.New(h.log)),
		Run: func(_ context.Context, j *config.Job, at time.Time, _ string) bool {
			h.ran <- j.Name + " " + at.Format("15:04")
			return true
		},
		Reload: &Reload{Path: c.path, Load: c.load, Hangup: hangup, Every: 5 * time.Second,
			Loaded: func(cfg *config.Config) { h.mu.Lock(); h.loaded = append(h.loaded, cfg); h.mu.Unlock() }}})
	return h
}

func (h *reloadHarness) loads() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.loaded) }

func (h *reloadHarness) nextRun(t *testing.T) string {
	select {
	case r := <-h.ran:
		return r
	case <-time.After(30 * time.Second): // a bound, not a wait: a loaded CI machine is slow
		t.Fatal("no run started")
		return ""
	}
}

func TestReloadValidThenInvalid(t *testing.T) {
	c := newConfigFile(t)
	c.jobs("a", "frequency: interval, every: 1m")
	h := newReloadHarness(t, c, nil, nil)
	h.d.Start(context.Background(), clock("10:00:30"))
	if h.d.changed() {
		t.Fatal("file reported changed before anything was written")
	}

	// A valid new file: job a is gone, job b runs from the next minute on.
	c.jobs("b", "frequency: interval, every: 1m", "c", `frequency: daily, time: "23:00"`)
	if !h.d.changed() {
		t.Fatal("rewritten file not noticed")
	}
	h.d.reload()
	if h.loads() != 1 || len(h.loaded[0].Jobs) != 2 {
		t.Fatalf("Loaded called %d times, want once with the two new jobs", h.loads())
	}
	if log := h.log.String(); !strings.Contains(log, "INFO Reloaded configuration "+h.loaded[0].Path+": 2 job(s), 2 enabled") {
		t.Fatalf("log lacks the reload line:\n%s", log)
	}
	h.d.Tick(clock("10:01:05"))
	if got := h.nextRun(t); got != "b 10:01" {
		t.Fatalf("after reload: got run %q, want b 10:01", got)
	}

	// An invalid file is reported with its field path; b keeps running.
	if err := os.WriteFile(c.path, []byte("jobs:\n  - name: b\n    schedule: {frequency: daily, time: \"25:00\"}\n    scripts: [{path: scripts/ok.sh}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !h.d.changed() {
		t.Fatal("invalid file not noticed")
	}
	h.d.reload()
	if h.d.changed() {
		t.Error("the invalid file would be reported again at every look")
	}
	log := h.log.String()
	if !strings.Contains(log, `ERROR Error: jobs[0].schedule.time must be HH:MM (24-hour), got "25:00"`) ||
		!strings.Contains(log, "keeping the previous configuration (2 enabled job(s))") {
		t.Fatalf("log lacks the config error:\n%s", log)
	}
	if h.loads() != 1 {
		t.Fatalf("Loaded called for an invalid file")
	}
	h.d.Tick(clock("10:02:05"))
	if got := h.nextRun(t); got != "b 10:02" {
		t.Fatalf("after a failed reload: got run %q, want b 10:02", got)
	}
}

// The next fire time of a job that stays is computed from the last poll, so a fire time
// between that poll and the reload still runs.
func TestReloadKeepsFireTimeSinceLastPoll(t *testing.T) {
	c := newConfigFile(t)
	c.jobs("a", "frequency: interval, every: 1m")
	h := newReloadHarness(t, c, nil, nil)
	h.d.Start(context.Background(), clock("10:00:30"))
	h.d.Tick(clock("10:00:55"))
	c.jobs("a", "frequency: interval, every: 1m", "b", `frequency: daily, time: "23:00"`)
	h.d.reload() // at 10:01:02, say: 10:01 has passed since the last poll
	h.d.Tick(clock("10:01:02"))
	if got := h.nextRun(t); got != "a 10:01" {
		t.Fatalf("got run %q, want a 10:01", got)
	}
}

// The run loop looks at the file every Reload.Every through the injected clock, and reloads on
// a hangup.
func TestRunLoopReloadsOnChangeAndHangup(t *testing.T) {
	c := newConfigFile(t)
	c.jobs("a", `frequency: daily, time: "23:00"`)
	fc := &fakeClock{now: clock("10:00:30"), timers: make(chan chan time.Time)}
	hangup := make(chan struct{}, 1)
	h := newReloadHarness(t, c, hangup, fc)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { h.d.Run(ctx); close(stopped) }()
	defer func() {
		cancel()
		go func() {
			for range fc.timers {
			}
		}()
		<-stopped
		close(fc.timers)
	}()

	timer := <-fc.timers // the loop is waiting
	c.jobs("a", `frequency: daily, time: "23:00"`, "b", `frequency: daily, time: "22:00"`)
	timer <- fc.advance(5 * time.Second)
	timer = <-fc.timers // the loop has looked at the file and waits again
	if h.loads() != 1 {
		t.Fatalf("file change: Loaded called %d times, want 1", h.loads())
	}
	hangup <- struct{}{}
	timer = <-fc.timers
	if h.loads() != 2 {
		t.Fatalf("hangup: Loaded called %d times, want 2", h.loads())
	}
	_ = timer
}
