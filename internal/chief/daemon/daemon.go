package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/logging"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// Clock is the daemon's only source of time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns the current UTC time.
func (RealClock) Now() time.Time { return time.Now().UTC() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RunFunc runs one job and reports its success.
type RunFunc func(ctx context.Context, job *config.Job, scheduledFor time.Time) bool

// EmitFunc sends a daemon-level event about a job.
type EmitFunc func(job *config.Job, ev telemetry.Event, meta map[string]any)

// Options configure a Daemon.
type Options struct {
	Jobs        []*config.Job
	Poll        time.Duration
	MaxParallel int // distinct jobs running at once; 0 = unlimited
	// RunOnStart triggers every job once at startup (scheduled for the start time) in
	// addition to its schedule.
	RunOnStart bool
	Run        RunFunc
	Emit       EmitFunc
	Clock      Clock
	Log        *slog.Logger
}

type trigger struct {
	job int
	at  time.Time
}

type jobState struct {
	next    time.Time // zero = never again
	running int
	pending *trigger // queue policy: one run remembered while the job runs
}

type completion struct {
	job     int
	success bool
}

// Daemon is the scheduler state. Use New, then Run (or Start and Tick in tests).
type Daemon struct {
	opts    Options
	log     *slog.Logger
	state   []jobState
	waiting []trigger

	mu    sync.Mutex
	done  []completion
	wake  chan struct{}
	jobs  sync.WaitGroup
	ctx   context.Context
	clock Clock
}

// New creates a daemon for the given jobs.
func New(opts Options) *Daemon {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Emit == nil {
		opts.Emit = func(*config.Job, telemetry.Event, map[string]any) {}
	}
	return &Daemon{opts: opts, log: opts.Log, clock: opts.Clock, state: make([]jobState, len(opts.Jobs)),
		wake: make(chan struct{}, 1), ctx: context.Background()}
}

// Start arms every job at its first fire time strictly after now (no catch-up).
func (d *Daemon) Start(ctx context.Context, now time.Time) {
	d.ctx = ctx
	for i, j := range d.opts.Jobs {
		d.state[i].next = j.Schedule.Next(now)
		if d.opts.RunOnStart {
			d.waiting = append(d.waiting, trigger{job: i, at: now})
		}
	}
	d.log.Info(fmt.Sprintf("Starting daemon with %d enabled job(s), poll_seconds=%d", len(d.opts.Jobs), int(d.opts.Poll/time.Second)))
}

// Run starts the daemon and polls until ctx is done. Running jobs receive ctx, so cancelling
// it also stops their scripts; Wait blocks until they have finished.
func (d *Daemon) Run(ctx context.Context) {
	d.Start(ctx, d.clock.Now())
	for {
		d.Tick(d.clock.Now())
		select {
		case <-ctx.Done():
			return
		case <-d.clock.After(d.opts.Poll):
		case <-d.wake:
		}
	}
}

// Wait blocks until every launched job has finished.
func (d *Daemon) Wait() { d.jobs.Wait() }

// Tick runs one poll with now as its single time: completions, trigger detection, dispatch.
func (d *Daemon) Tick(now time.Time) {
	d.collect(now)
	for i, j := range d.opts.Jobs {
		st := &d.state[i]
		if st.next.IsZero() || st.next.After(now) {
			continue
		}
		at, missed := st.next, 0
		for st.next = j.Schedule.Next(st.next); !st.next.IsZero() && !st.next.After(now); st.next = j.Schedule.Next(st.next) {
			at = st.next
			missed++
		}
		if missed > 0 {
			d.log.Warn(fmt.Sprintf("Coalesced %d missed fire time(s) of %s into one run at %s", missed+1, j.Name, telemetry.ChiefTime(at)))
		}
		d.offer(trigger{job: i, at: at}, now)
	}
	d.dispatch(now)
}

func (d *Daemon) collect(now time.Time) {
	d.mu.Lock()
	done := d.done
	d.done = nil
	d.mu.Unlock()
	for _, c := range done {
		j, st := d.opts.Jobs[c.job], &d.state[c.job]
		st.running = max(0, st.running-1)
		d.log.Info(fmt.Sprintf("Job %s finished with success=%s; running_count=%d", j.Name, logging.Bool(c.success), st.running))
		if st.running == 0 && st.pending != nil {
			tr := *st.pending
			st.pending = nil
			d.waiting = append(d.waiting, tr)
			d.log.Info("Enqueued queued-pending run for " + j.Name)
			d.opts.Emit(j, telemetry.Event{EventType: telemetry.EventQueuedPending, Level: telemetry.LevelInfo, EventAt: telemetry.ChiefTime(now),
				Message: fmt.Sprintf("Queued pending run for %s.", j.Name), ScheduledFor: telemetry.Ptr(telemetry.ChiefTime(tr.at))},
				map[string]any{"reason": "prior run completed"})
		}
	}
}

// offer applies the job's overlap policy to a new trigger.
func (d *Daemon) offer(tr trigger, now time.Time) {
	j, st := d.opts.Jobs[tr.job], &d.state[tr.job]
	for _, w := range d.waiting {
		if w.job == tr.job {
			d.skip(j, tr, now, "a run is already waiting")
			return
		}
	}
	if st.running == 0 {
		d.waiting = append(d.waiting, tr)
		return
	}
	switch j.Overlap {
	case config.OverlapSkip:
		d.skip(j, tr, now, "")
	case config.OverlapQueue:
		if st.pending == nil {
			st.pending = &tr
			d.log.Info("Queueing one pending run for " + j.Name)
			d.opts.Emit(j, telemetry.Event{EventType: telemetry.EventQueuedPending, Level: telemetry.LevelInfo, EventAt: telemetry.ChiefTime(now),
				Message: fmt.Sprintf("Queued overlapping trigger for %s.", j.Name), ScheduledFor: telemetry.Ptr(telemetry.ChiefTime(tr.at))},
				map[string]any{"overlap": config.OverlapQueue})
		}
	default:
		d.waiting = append(d.waiting, tr)
	}
}

func (d *Daemon) skip(j *config.Job, tr trigger, now time.Time, reason string) {
	meta := map[string]any{"overlap": j.Overlap}
	line := fmt.Sprintf("Skipping overlapping run for %s at %s", j.Name, telemetry.ChiefTime(tr.at))
	if reason != "" {
		meta["reason"] = reason
		line += " (" + reason + ")"
	}
	d.log.Info(line)
	d.opts.Emit(j, telemetry.Event{EventType: telemetry.EventOverlapSkipped, Level: telemetry.LevelInfo, EventAt: telemetry.ChiefTime(now),
		Message: fmt.Sprintf("Skipped overlapping trigger for %s.", j.Name), ScheduledFor: telemetry.Ptr(telemetry.ChiefTime(tr.at))}, meta)
}

// dispatch launches waiting triggers in order. A trigger of a job that is already running
// (parallel) launches only when nothing is waiting ahead of it.
func (d *Daemon) dispatch(now time.Time) {
	active := 0
	for _, st := range d.state {
		if st.running > 0 {
			active++
		}
	}
	var keep []trigger
	blocked := false
	for _, tr := range d.waiting {
		st := &d.state[tr.job]
		ok := false
		if st.running > 0 {
			ok = !blocked
		} else if d.opts.MaxParallel == 0 || active < d.opts.MaxParallel {
			ok = true
			active++
		}
		if !ok {
			blocked = true
			keep = append(keep, tr)
			continue
		}
		d.launch(tr, now)
	}
	d.waiting = keep
}

func (d *Daemon) launch(tr trigger, now time.Time) {
	j, st := d.opts.Jobs[tr.job], &d.state[tr.job]
	st.running++
	d.log.Info(fmt.Sprintf("Dispatching %s (overlap=%s, running=%d)", j.Name, j.Overlap, st.running))
	d.opts.Emit(j, telemetry.Event{EventType: telemetry.EventDaemonDispatch, Level: telemetry.LevelInfo, EventAt: telemetry.ChiefTime(d.clock.Now().UTC()),
		Message: fmt.Sprintf("Dispatching %s.", j.Name), ScheduledFor: telemetry.Ptr(telemetry.ChiefTime(tr.at))},
		map[string]any{"overlap": j.Overlap, "running_count": st.running})
	d.jobs.Add(1)
	go func() {
		defer d.jobs.Done()
		success := false
		// The completion is posted even if the run panics, so the job never stays "running".
		defer func() {
			if v := recover(); v != nil {
				d.log.Error(fmt.Sprintf("Job %s crashed: %v", j.Name, v))
			}
			d.mu.Lock()
			d.done = append(d.done, completion{job: tr.job, success: success})
			d.mu.Unlock()
			select {
			case d.wake <- struct{}{}:
			default:
			}
		}()
		success = d.opts.Run(d.ctx, j, tr.at)
	}()
}
