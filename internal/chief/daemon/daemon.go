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

// RunFunc runs one job and reports its success. trigger is telemetry.TriggerSchedule or
// telemetry.TriggerQueued.
type RunFunc func(ctx context.Context, job *config.Job, scheduledFor time.Time, trigger string) bool

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
	// Reload, when set, lets the daemon pick up a changed configuration without a restart.
	Reload *Reload
}

// Reload is how the daemon reloads chief.yaml: on a value from Hangup (SIGHUP), and when the
// file's modification time or size changes, checked every Every through the daemon's clock.
type Reload struct {
	Path   string
	Every  time.Duration // default DefaultWatchEvery
	Load   func() (*config.Config, error)
	Hangup <-chan struct{}
	// Loaded is called with every configuration the daemon switched to.
	Loaded func(cfg *config.Config)
}

// DefaultWatchEvery is how often the daemon looks at the config file when Reload.Every is 0.
const DefaultWatchEvery = 5 * time.Second

type trigger struct {
	job  string
	at   time.Time
	kind string // telemetry.TriggerSchedule or TriggerQueued
}

type jobState struct {
	next    time.Time // zero = never again
	running int
	pending *trigger // queue policy: one run remembered while the job runs
}

type completion struct {
	job     string
	success bool
}

// Daemon is the scheduler state. Use New, then Run (or Start and Tick in tests).
type Daemon struct {
	opts Options
	log  *slog.Logger
	jobs []*config.Job
	// state is by job name. A job removed by a reload keeps its entry while it still runs, so
	// it keeps its slot under max_parallel_jobs until it finishes.
	state    map[string]*jobState
	waiting  []trigger
	lastTick time.Time
	stamp    fileStamp

	mu    sync.Mutex
	done  []completion
	wake  chan struct{}
	runs  sync.WaitGroup
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
	d := &Daemon{opts: opts, log: opts.Log, clock: opts.Clock, jobs: opts.Jobs, state: map[string]*jobState{},
		wake: make(chan struct{}, 1), ctx: context.Background()}
	for _, j := range opts.Jobs {
		d.state[j.Name] = &jobState{}
	}
	return d
}

// Start arms every job at its first fire time strictly after now (no catch-up).
func (d *Daemon) Start(ctx context.Context, now time.Time) {
	d.ctx = ctx
	d.lastTick = now
	for _, j := range d.jobs {
		d.state[j.Name].next = j.Schedule.Next(now)
		if d.opts.RunOnStart {
			d.waiting = append(d.waiting, trigger{job: j.Name, at: now, kind: telemetry.TriggerSchedule})
		}
	}
	if d.opts.Reload != nil {
		d.stamp = stampOf(d.opts.Reload.Path)
	}
	d.log.Info(fmt.Sprintf("Starting daemon with %d enabled job(s), poll_seconds=%d", len(d.jobs), int(d.opts.Poll/time.Second)))
}

// Run starts the daemon and polls until ctx is done. Running jobs receive ctx, so cancelling
// it also stops their scripts; Wait blocks until they have finished. Between polls it wakes
// every Reload.Every to look at the config file.
func (d *Daemon) Run(ctx context.Context) {
	d.Start(ctx, d.clock.Now())
	var hangup <-chan struct{}
	if d.opts.Reload != nil {
		hangup = d.opts.Reload.Hangup
	}
	tick, hup := true, false
	nextPoll := time.Time{}
	for {
		now := d.clock.Now()
		if d.opts.Reload != nil && (hup || d.changed()) {
			d.reload()
			tick = true
		}
		if tick || !now.Before(nextPoll) {
			d.Tick(now)
			nextPoll = now.Add(d.opts.Poll)
		}
		tick, hup = false, false
		select {
		case <-ctx.Done():
			return
		case <-d.clock.After(d.wait(now, nextPoll)):
		case <-d.wake:
			tick = true
		case <-hangup:
			hup = true
		}
	}
}

// wait is how long the loop sleeps: until the next poll, or the next look at the config file
// when that comes first.
func (d *Daemon) wait(now, nextPoll time.Time) time.Duration {
	w := nextPoll.Sub(now)
	if d.opts.Reload != nil {
		every := d.opts.Reload.Every
		if every <= 0 {
			every = DefaultWatchEvery
		}
		w = min(w, every)
	}
	return max(w, time.Millisecond)
}

// Wait blocks until every launched job has finished.
func (d *Daemon) Wait() { d.runs.Wait() }

// Tick runs one poll with now as its single time: completions, trigger detection, dispatch.
func (d *Daemon) Tick(now time.Time) {
	d.lastTick = now
	d.collect(now)
	for _, j := range d.jobs {
		st := d.state[j.Name]
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
		d.offer(trigger{job: j.Name, at: at, kind: telemetry.TriggerSchedule}, now)
	}
	d.dispatch(now)
}

// job returns the current definition of the named job, nil when a reload removed it.
func (d *Daemon) job(name string) *config.Job {
	for _, j := range d.jobs {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// runMeta is the run metadata of the daemon's events about a trigger: the run it is, or would
// have been, is the first attempt.
func runMeta(j *config.Job, tr trigger, meta map[string]any) map[string]any {
	meta[telemetry.MetaTrigger], meta[telemetry.MetaAttempt], meta[telemetry.MetaMaxAttempts] = tr.kind, 1, j.MaxAttempts()
	return meta
}

func (d *Daemon) collect(now time.Time) {
	d.mu.Lock()
	done := d.done
	d.done = nil
	d.mu.Unlock()
	for _, c := range done {
		st := d.state[c.job]
		st.running = max(0, st.running-1)
		d.log.Info(fmt.Sprintf("Job %s finished with success=%s; running_count=%d", c.job, logging.Bool(c.success), st.running))
		j := d.job(c.job)
		if j == nil {
			if st.running == 0 {
				delete(d.state, c.job)
			}
			continue
		}
		if st.running == 0 && st.pending != nil {
			tr := *st.pending
			st.pending = nil
			d.waiting = append(d.waiting, tr)
			d.log.Info("Enqueued queued-pending run for " + j.Name)
			d.opts.Emit(j, telemetry.Event{EventType: telemetry.EventQueuedPending, Level: telemetry.LevelInfo, EventAt: telemetry.ChiefTime(now),
				Message: fmt.Sprintf("Queued pending run for %s.", j.Name), ScheduledFor: telemetry.Ptr(telemetry.ChiefTime(tr.at))},
				runMeta(j, tr, map[string]any{"reason": "prior run completed"}))
		}
	}
}

// offer applies the job's overlap policy to a new trigger.
func (d *Daemon) offer(tr trigger, now time.Time) {
	j, st := d.job(tr.job), d.state[tr.job]
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
			tr.kind = telemetry.TriggerQueued
			st.pending = &tr
			d.log.Info("Queueing one pending run for " + j.Name)
			d.opts.Emit(j, telemetry.Event{EventType: telemetry.EventQueuedPending, Level: telemetry.LevelInfo, EventAt: telemetry.ChiefTime(now),
				Message: fmt.Sprintf("Queued overlapping trigger for %s.", j.Name), ScheduledFor: telemetry.Ptr(telemetry.ChiefTime(tr.at))},
				runMeta(j, tr, map[string]any{"overlap": config.OverlapQueue}))
		}
	default:
		d.waiting = append(d.waiting, tr)
	}
}

func (d *Daemon) skip(j *config.Job, tr trigger, now time.Time, reason string) {
	meta := runMeta(j, tr, map[string]any{"overlap": j.Overlap})
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
		st := d.state[tr.job]
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
	j, st := d.job(tr.job), d.state[tr.job]
	st.running++
	d.log.Info(fmt.Sprintf("Dispatching %s (overlap=%s, running=%d)", j.Name, j.Overlap, st.running))
	d.opts.Emit(j, telemetry.Event{EventType: telemetry.EventDaemonDispatch, Level: telemetry.LevelInfo, EventAt: telemetry.ChiefTime(d.clock.Now().UTC()),
		Message: fmt.Sprintf("Dispatching %s.", j.Name), ScheduledFor: telemetry.Ptr(telemetry.ChiefTime(tr.at))},
		runMeta(j, tr, map[string]any{"overlap": j.Overlap, "running_count": st.running}))
	d.runs.Add(1)
	go func() {
		defer d.runs.Done()
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
		success = d.opts.Run(d.ctx, j, tr.at, tr.kind)
	}()
}
