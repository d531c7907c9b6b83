package daemon

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/schedule"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// harness runs a daemon whose jobs block until released.
type harness struct {
	t       *testing.T
	d       *Daemon
	mu      sync.Mutex
	events  []string // "<eventType> <job> <scheduledFor HH:MM>"
	started []string // "<job> <scheduledFor HH:MM>"
	// triggers is "<job> <HH:MM> <trigger>" per run and "<eventType> <trigger> <attempt>/<max>"
	// per daemon event, in order.
	triggers []string
	release  map[string]chan bool
}

func everyMinute(t *testing.T, name, overlap string) *config.Job {
	s, err := schedule.New(schedule.Params{Kind: schedule.PureCron, Expr: "* * * * *"})
	if err != nil {
		t.Fatal(err)
	}
	return &config.Job{Name: name, Overlap: overlap, Schedule: s}
}

func newHarness(t *testing.T, maxParallel int, jobs ...*config.Job) *harness {
	h := &harness{t: t, release: map[string]chan bool{}}
	for _, j := range jobs {
		h.release[j.Name] = make(chan bool, 100)
	}
	h.d = New(Options{Jobs: jobs, Poll: 10 * time.Second, MaxParallel: maxParallel,
		Run: func(ctx context.Context, j *config.Job, at time.Time, trigger string) bool {
			h.mu.Lock()
			h.started = append(h.started, j.Name+" "+at.Format("15:04"))
			h.triggers = append(h.triggers, j.Name+" "+at.Format("15:04")+" "+trigger)
			h.mu.Unlock()
			ok := <-h.release[j.Name]
			if !ok {
				panic("boom")
			}
			return ok
		},
		Emit: func(j *config.Job, ev telemetry.Event, meta map[string]any) {
			h.mu.Lock()
			defer h.mu.Unlock()
			at := ""
			if ev.ScheduledFor != nil {
				at = (*ev.ScheduledFor)[11:16]
			}
			h.events = append(h.events, fmt.Sprintf("%s %s %s", ev.EventType, j.Name, at))
			h.triggers = append(h.triggers, fmt.Sprintf("%s %v %v/%v", ev.EventType, meta[telemetry.MetaTrigger], meta[telemetry.MetaAttempt], meta[telemetry.MetaMaxAttempts]))
		}})
	t.Cleanup(func() {
		for _, c := range h.release {
			close(c)
		}
	})
	return h
}

func clock(hhmmss string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", "2026-11-27 "+hhmmss)
	if err != nil {
		panic(err)
	}
	return t
}

// finish releases one run of job and waits until its completion is posted.
func (h *harness) finish(job string, ok bool) {
	h.d.mu.Lock()
	before := len(h.d.done)
	h.d.mu.Unlock()
	h.release[job] <- ok
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h.d.mu.Lock()
		n := len(h.d.done)
		h.d.mu.Unlock()
		if n > before {
			return
		}
		time.Sleep(time.Millisecond)
	}
	h.t.Fatalf("completion of %s never arrived", job)
}

func (h *harness) snapshot() (started, events string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// Runs launched in the same poll start in goroutine order; compare them sorted.
	return strings.Join(slices.Sorted(slices.Values(h.started)), ", "), strings.Join(h.events, ", ")
}

// waitStarted waits until n runs have started.
func (h *harness) waitStarted(n int) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		got := len(h.started)
		h.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	h.t.Fatalf("fewer than %d runs started", n)
}

func TestDaemonPolicies(t *testing.T) {
	cases := []struct {
		name        string
		maxParallel int
		jobs        func(t *testing.T) []*config.Job
		steps       func(h *harness)
		wantStarted string
		wantEvents  string
	}{
		{
			name: "no catch-up at start, trigger keeps its scheduled time",
			jobs: func(t *testing.T) []*config.Job { return []*config.Job{everyMinute(t, "a", "skip")} },
			steps: func(h *harness) {
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:00:45"))
				h.d.Tick(clock("10:01:07"))
				h.waitStarted(1)
			},
			wantStarted: "a 10:01",
			wantEvents:  "daemon.dispatch a 10:01",
		},
		{
			name: "run on start dispatches at once",
			jobs: func(t *testing.T) []*config.Job { return []*config.Job{everyMinute(t, "a", "skip")} },
			steps: func(h *harness) {
				h.d.opts.RunOnStart = true
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:00:30"))
				h.waitStarted(1)
			},
			wantStarted: "a 10:00",
			wantEvents:  "daemon.dispatch a 10:00",
		},
		{
			name: "skip drops overlapping trigger with an event",
			jobs: func(t *testing.T) []*config.Job { return []*config.Job{everyMinute(t, "a", "skip")} },
			steps: func(h *harness) {
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:01:05"))
				h.waitStarted(1)
				h.d.Tick(clock("10:02:05"))
				h.finish("a", true)
				h.d.Tick(clock("10:03:05"))
				h.waitStarted(2)
			},
			wantStarted: "a 10:01, a 10:03",
			wantEvents:  "daemon.dispatch a 10:01, daemon.overlap_skipped a 10:02, daemon.dispatch a 10:03",
		},
		{
			name: "queue remembers one run with its original trigger time",
			jobs: func(t *testing.T) []*config.Job { return []*config.Job{everyMinute(t, "a", "queue")} },
			steps: func(h *harness) {
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:01:05"))
				h.waitStarted(1)
				h.d.Tick(clock("10:02:05"))
				h.d.Tick(clock("10:03:05"))
				h.finish("a", true)
				h.d.Tick(clock("10:03:40"))
				h.waitStarted(2)
			},
			wantStarted: "a 10:01, a 10:02",
			wantEvents:  "daemon.dispatch a 10:01, daemon.queued_pending a 10:02, daemon.queued_pending a 10:02, daemon.dispatch a 10:02",
		},
		{
			name: "parallel starts instances while nothing else waits",
			jobs: func(t *testing.T) []*config.Job { return []*config.Job{everyMinute(t, "a", "parallel")} },
			steps: func(h *harness) {
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:01:05"))
				h.d.Tick(clock("10:02:05"))
				h.waitStarted(2)
			},
			wantStarted: "a 10:01, a 10:02",
			wantEvents:  "daemon.dispatch a 10:01, daemon.dispatch a 10:02",
		},
		{
			name:        "waiting job goes before a parallel re-run",
			maxParallel: 1,
			jobs: func(t *testing.T) []*config.Job {
				return []*config.Job{everyMinute(t, "a", "parallel"), everyMinute(t, "b", "skip")}
			},
			steps: func(h *harness) {
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:01:05")) // a runs, b waits
				h.waitStarted(1)
				h.d.Tick(clock("10:02:05")) // a re-run waits behind b; b's second trigger coalesces
				h.finish("a", true)
				h.d.Tick(clock("10:02:30")) // b runs; a waits for the slot
				h.waitStarted(2)
			},
			wantStarted: "a 10:01, b 10:01",
			wantEvents:  "daemon.dispatch a 10:01, daemon.overlap_skipped b 10:02, daemon.dispatch b 10:01",
		},
		{
			name:        "max_parallel_jobs 0 runs different jobs together",
			maxParallel: 0,
			jobs: func(t *testing.T) []*config.Job {
				return []*config.Job{everyMinute(t, "a", "skip"), everyMinute(t, "b", "skip")}
			},
			steps: func(h *harness) {
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:01:05"))
				h.waitStarted(2)
			},
			wantStarted: "a 10:01, b 10:01",
			wantEvents:  "daemon.dispatch a 10:01, daemon.dispatch b 10:01",
		},
		{
			name: "missed fire times coalesce into the latest",
			jobs: func(t *testing.T) []*config.Job { return []*config.Job{everyMinute(t, "a", "skip")} },
			steps: func(h *harness) {
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:05:10"))
				h.waitStarted(1)
			},
			wantStarted: "a 10:05",
			wantEvents:  "daemon.dispatch a 10:05",
		},
		{
			name:        "a crashing run still releases the slot",
			maxParallel: 1,
			jobs: func(t *testing.T) []*config.Job {
				return []*config.Job{everyMinute(t, "a", "skip"), everyMinute(t, "b", "skip")}
			},
			steps: func(h *harness) {
				h.d.Start(context.Background(), clock("10:00:30"))
				h.d.Tick(clock("10:01:05"))
				h.waitStarted(1)
				h.finish("a", false) // panics
				h.d.Tick(clock("10:01:20"))
				h.waitStarted(2)
			},
			wantStarted: "a 10:01, b 10:01",
			wantEvents:  "daemon.dispatch a 10:01, daemon.dispatch b 10:01",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.maxParallel, tc.jobs(t)...)
			tc.steps(h)
			started, events := h.snapshot()
			if started != tc.wantStarted {
				t.Errorf("started: got %q, want %q", started, tc.wantStarted)
			}
			if events != tc.wantEvents {
				t.Errorf("events: got %q, want %q", events, tc.wantEvents)
			}
		})
	}
}

// fakeClock hands out poll timers the test fires by hand.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers chan chan time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.timers <- ch
	return ch
}

func (c *fakeClock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func TestRunLoopUsesInjectedClock(t *testing.T) {
	fc := &fakeClock{now: clock("10:00:30"), timers: make(chan chan time.Time)}
	ran := make(chan time.Time, 10)
	// parallel: a run that has not reported back yet must not turn the next minute into a skip.
	d := New(Options{Jobs: []*config.Job{everyMinute(t, "a", "parallel")}, Poll: 10 * time.Second, MaxParallel: 1, Clock: fc,
		Run: func(_ context.Context, _ *config.Job, at time.Time, _ string) bool { ran <- at; return true }})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { d.Run(ctx); close(stopped) }()
	// Each poll asks for a timer; advance the fake clock ten seconds per poll for 4 minutes.
	for range 24 {
		timer := <-fc.timers
		timer <- fc.advance(10 * time.Second)
	}
	cancel()
	go func() {
		for range fc.timers { // the loop may ask for one more timer before it sees ctx
		}
	}()
	<-stopped
	close(fc.timers)
	d.Wait()
	close(ran)
	var got []string
	for at := range ran {
		got = append(got, at.Format("15:04"))
	}
	// Under "parallel" the runs are launched in order, each on a goroutine of its own, so two
	// that overlap may report in either order; each minute must run exactly once.
	slices.Sort(got)
	if want := "10:01 10:02 10:03 10:04"; strings.Join(got, " ") != want {
		t.Fatalf("runs: got %q, want %q", got, want)
	}
}

func TestTriggers(t *testing.T) {
	job := everyMinute(t, "a", "queue")
	job.Retries = 2
	h := newHarness(t, 1, job, everyMinute(t, "b", "skip"))
	h.d.Start(context.Background(), clock("10:00:30"))
	h.d.Tick(clock("10:01:05")) // a runs, b waits for the slot
	h.waitStarted(1)
	h.d.Tick(clock("10:02:05")) // a queues one run; b's trigger coalesces (skipped)
	h.finish("a", true)
	h.d.Tick(clock("10:02:30")) // b runs (it waited first), a's queued run waits
	h.waitStarted(2)
	h.finish("b", true)
	h.d.Tick(clock("10:02:40")) // a's queued run
	h.waitStarted(3)
	h.mu.Lock()
	got := strings.Join(h.triggers, "\n")
	h.mu.Unlock()
	want := strings.Join([]string{
		"daemon.dispatch schedule 1/3",
		"a 10:01 schedule",
		"daemon.queued_pending queued 1/3",
		"daemon.overlap_skipped schedule 1/1",
		"daemon.queued_pending queued 1/3",
		"daemon.dispatch schedule 1/1",
		"b 10:01 schedule",
		"daemon.dispatch queued 1/3",
		"a 10:02 queued",
	}, "\n")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
