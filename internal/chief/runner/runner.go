package runner

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/logging"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// Emitter receives telemetry events; *emitter.Emitter implements it.
type Emitter interface {
	Emit(ev telemetry.Event)
}

// Runner runs jobs. Fields left zero get working defaults.
type Runner struct {
	Log        *slog.Logger
	Emitter    Emitter // nil = telemetry off for every job
	Endpoint   string  // monitor endpoint injected as CHIEF_MONITOR_ENDPOINT
	APIKey     string  // injected as CHIEF_MONITOR_API_KEY when non-empty
	Python     string  // interpreter for .py scripts (default python3 from PATH)
	PythonPath string  // directory holding the gulag_chief helper package
	Binary     string  // absolute path of gulag-chief, injected as CHIEF_BIN
	BaseEnv    []string
	KillGrace  time.Duration
	Now        func() time.Time
	// After waits between attempts (time.After by default); tests inject it to retry without
	// waiting.
	After func(time.Duration) <-chan time.Time
	PID   int
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// RunID returns `<job>:<YYYYMMDDHHMMSS>-<microseconds>-<pid>` for a run started at t.
func RunID(job string, t time.Time, pid int) string {
	t = t.UTC()
	return fmt.Sprintf("%s:%s-%06d-%d", job, t.Format("20060102150405"), t.Nanosecond()/1000, pid)
}

func (r *Runner) after(d time.Duration) <-chan time.Time {
	if r.After != nil {
		return r.After(d)
	}
	return time.After(d)
}

// jobRun is the state of one job execution (one attempt).
type jobRun struct {
	r            *Runner
	job          *config.Job
	runID        string
	scheduledFor time.Time
	trigger      string
	attempt      int
	telemetry    bool
}

// runMeta is the metadata that says which run of the job an event belongs to.
func (jr *jobRun) runMeta() map[string]any {
	return map[string]any{telemetry.MetaTrigger: jr.trigger, telemetry.MetaAttempt: jr.attempt,
		telemetry.MetaMaxAttempts: jr.job.MaxAttempts()}
}

func (jr *jobRun) emit(ev telemetry.Event, meta map[string]any, withCheck bool) {
	if !jr.telemetry {
		return
	}
	ev.SourceType = telemetry.SourceChief
	ev.JobName = telemetry.Ptr(jr.job.Name)
	if jr.runID != "" {
		ev.RunID = telemetry.Ptr(jr.runID)
	}
	if !jr.scheduledFor.IsZero() && ev.ScheduledFor == nil {
		ev.ScheduledFor = telemetry.Ptr(telemetry.ChiefTime(jr.scheduledFor.UTC()))
	}
	if withCheck {
		meta = mergeMeta(meta, jr.job.CheckMeta())
	}
	if jr.trigger != "" {
		meta = mergeMeta(meta, jr.runMeta())
	}
	ev.Metadata = telemetry.Metadata(meta)
	jr.r.Emitter.Emit(ev)
}

func mergeMeta(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, b)
	return out
}

// EmitJobEvent sends a daemon-level event about job (dispatch, overlap, queued); it carries
// the job's check metadata like every job-scoped event, and the run metadata the caller puts
// in meta.
func (r *Runner) EmitJobEvent(job *config.Job, ev telemetry.Event, meta map[string]any) {
	if r.Emitter == nil || !job.Monitor.Enabled {
		return
	}
	jr := &jobRun{r: r, job: job, telemetry: true}
	jr.emit(ev, meta, true)
}

// RunJob runs the job's scripts in order and reports whether the last attempt succeeded.
// scheduledFor is the trigger time (zero for manual runs), trigger what started the run
// (telemetry.TriggerSchedule, TriggerManual or TriggerQueued). A failed attempt is retried
// job.Retries times, each a new run after job.RetryDelaySeconds; cancelling ctx ends the
// retries. A panic inside an attempt is recovered and reported as a failed run, so callers
// always get a result.
func (r *Runner) RunJob(ctx context.Context, job *config.Job, scheduledFor time.Time, trigger string) bool {
	for attempt := 1; ; attempt++ {
		jr := &jobRun{r: r, job: job, scheduledFor: scheduledFor, trigger: trigger, attempt: attempt,
			telemetry: r.Emitter != nil && job.Monitor.Enabled}
		success, final := jr.run(ctx)
		if final {
			return success
		}
		if !jr.waitRetry(ctx) {
			return false
		}
	}
}

// run is one attempt. final is false when the attempt failed and another one will follow.
func (jr *jobRun) run(ctx context.Context) (success, final bool) {
	r, job := jr.r, jr.job
	started := r.now()
	jr.runID = RunID(job.Name, started, r.pid())
	log := r.log()
	p := "[" + jr.runID + "] "
	defer func() {
		if v := recover(); v != nil {
			log.Error(fmt.Sprintf("%sJob %s crashed: %v", p, job.Name, v))
			success, final = false, jr.final(ctx, false)
		}
	}()
	suffix := ""
	if !jr.scheduledFor.IsZero() {
		suffix = fmt.Sprintf(" (scheduled_for=%s)", telemetry.ChiefTime(jr.scheduledFor.In(job.Schedule.Location)))
	}
	if job.MaxAttempts() > 1 {
		suffix += fmt.Sprintf(" (attempt %d of %d)", jr.attempt, job.MaxAttempts())
	}
	log.Info(p + "Starting job " + job.Name + suffix)
	jr.emit(telemetry.Event{EventType: telemetry.EventJobStarted, Level: telemetry.LevelInfo, EventAt: telemetry.ChiefTime(started),
		Message: fmt.Sprintf("Job %s started.", job.Name)},
		map[string]any{"overlap": job.Overlap, "script_count": len(job.Scripts)}, true)

	success, executed, failed := jr.runScripts(ctx)
	final = jr.final(ctx, success)
	ended := r.now()
	dur := ended.Sub(started)
	var failedScript any
	if failed != "" {
		failedScript = failed
	}
	meta := map[string]any{"scripts_executed": executed, "scripts_total": len(job.Scripts),
		"stop_on_failure": job.StopOnFailure, "failed_script": failedScript}
	ev := telemetry.Event{Success: telemetry.Ptr(success), DurationMs: telemetry.Ptr(dur.Milliseconds())}
	if success {
		ev.EventType, ev.Level, ev.Message = telemetry.EventJobCompleted, telemetry.LevelInfo, fmt.Sprintf("Job %s completed successfully.", job.Name)
	} else {
		ev.EventType, ev.Level, ev.Message = telemetry.EventJobFailed, telemetry.LevelError, fmt.Sprintf("Job %s failed.", job.Name)
		meta[telemetry.MetaFinalAttempt] = final
	}
	jr.emit(ev, meta, true)
	log.Info(fmt.Sprintf("%sJob %s completed with success=%s in %s", p, job.Name, logging.Bool(success), secs(dur)))
	if final {
		jr.nextScheduled(ended)
	}
	return success, final
}

// final reports whether an attempt that ended with success is the run's last: it succeeded,
// no attempt is left, or Chief is stopping.
func (jr *jobRun) final(ctx context.Context, success bool) bool {
	return success || jr.attempt >= jr.job.MaxAttempts() || ctx.Err() != nil
}

// runScripts runs the job's scripts in order, honouring stop_on_failure.
func (jr *jobRun) runScripts(ctx context.Context) (success bool, executed int, failed string) {
	job, p := jr.job, "["+jr.runID+"] "
	success = true
	for i := range job.Scripts {
		if ctx.Err() != nil {
			break
		}
		s := &job.Scripts[i]
		res := jr.runScript(ctx, i, s)
		executed++
		if !res.Success {
			success = false
			if failed == "" {
				failed = s.Path
			}
			if job.StopOnFailure {
				jr.r.log().Error(p + "stop_on_failure=true; aborting remaining scripts.")
				break
			}
		}
	}
	return success, executed, failed
}

// nextScheduled logs and sends the job's next fire time after a run's last attempt.
func (jr *jobRun) nextScheduled(ended time.Time) {
	job, log, p := jr.job, jr.r.log(), "["+jr.runID+"] "
	next := job.Schedule.Next(ended)
	var nextAt any
	var ev telemetry.Event
	if next.IsZero() {
		log.Info(fmt.Sprintf("%sNext scheduled run for %s: none (no upcoming run within bounds/exclusions, or the schedule ended)", p, job.Name))
		ev = telemetry.Event{Message: fmt.Sprintf("Next run for %s: none", job.Name)}
	} else {
		log.Info(fmt.Sprintf("%sNext scheduled run for %s: %s (%s)", p, job.Name, telemetry.ChiefTime(next.In(job.Schedule.Location)), job.Timezone))
		nextAt = telemetry.ChiefTime(next)
		ev = telemetry.Event{Message: fmt.Sprintf("Next run for %s: %s", job.Name, nextAt)}
	}
	ev.EventType, ev.Level = telemetry.EventJobNextScheduled, telemetry.LevelInfo
	jr.emit(ev, map[string]any{telemetry.MetaNextRunAt: nextAt}, true)
}

// waitRetry announces the next attempt (job.retrying) and waits the job's retry delay. It
// reports false when ctx ended the wait: Chief is stopping and no further attempt starts.
func (jr *jobRun) waitRetry(ctx context.Context) bool {
	job, log, p := jr.job, jr.r.log(), "["+jr.runID+"] "
	delay := time.Duration(job.RetryDelaySeconds) * time.Second
	nextAt := telemetry.ChiefTime(jr.r.now().Add(delay))
	msg := fmt.Sprintf("Job %s failed (attempt %d of %d); retrying in %d s", job.Name, jr.attempt, job.MaxAttempts(), job.RetryDelaySeconds)
	log.Warn(p + msg)
	jr.emit(telemetry.Event{EventType: telemetry.EventJobRetrying, Level: telemetry.LevelWarn, Message: msg},
		map[string]any{telemetry.MetaRetryDelaySeconds: job.RetryDelaySeconds, telemetry.MetaNextAttempt: jr.attempt + 1,
			telemetry.MetaNextAttemptAt: nextAt}, true)
	if ctx.Err() == nil && delay <= 0 {
		return true
	}
	select {
	case <-ctx.Done():
	case <-jr.r.after(delay):
		return ctx.Err() == nil
	}
	log.Warn(fmt.Sprintf("%sRetries of %s stopped: Chief is stopping (attempt %d of %d was not started).", p, job.Name, jr.attempt+1, job.MaxAttempts()))
	return false
}

func (jr *jobRun) runScript(ctx context.Context, i int, s *config.Script) Result {
	r, job, log := jr.r, jr.job, jr.r.log()
	p := "[" + jr.runID + "] "
	n := len(job.Scripts)
	log.Info(fmt.Sprintf("%s[%d/%d] Running %s", p, i+1, n, s.Path))
	if len(s.Args) > 0 {
		log.Info(p + "Args: " + config.ShellJoin(s.Args))
	}
	scriptEv := telemetry.Event{ScriptPath: telemetry.Ptr(s.Resolved)}
	started := scriptEv
	started.EventType, started.Level, started.Message = telemetry.EventScriptStarted, telemetry.LevelInfo, "Script started: "+s.Path
	jr.emit(started, map[string]any{"script_index": i + 1, "script_total": n, "args": s.Args, "timeout_seconds": s.Timeout}, true)

	vars := map[string]string{"CHIEF_RUN_ID": jr.runID, "CHIEF_JOB_NAME": job.Name, "CHIEF_SCRIPT_PATH": s.Resolved}
	if !jr.scheduledFor.IsZero() {
		vars["CHIEF_SCHEDULED_FOR"] = telemetry.ChiefTime(jr.scheduledFor.UTC())
	}
	if jr.telemetry {
		vars["CHIEF_MONITOR_ENDPOINT"] = r.Endpoint
		if r.APIKey != "" {
			vars["CHIEF_MONITOR_API_KEY"] = r.APIKey
		}
	}
	if r.Binary != "" {
		vars["CHIEF_BIN"] = r.Binary
	}
	base := r.BaseEnv
	if base == nil {
		base = os.Environ()
	}
	res := r.RunScript(ctx, r.Command(s.Resolved, s.Args), job.WorkingDir, r.Environ(base, vars), time.Duration(s.Timeout)*time.Second)

	done := scriptEv
	done.EventType, done.Success = telemetry.EventScriptCompleted, telemetry.Ptr(res.Success)
	done.ReturnCode, done.DurationMs = telemetry.Ptr(int64(res.ReturnCode)), telemetry.Ptr(res.Duration.Milliseconds())
	if res.Success {
		done.Level, done.Message = telemetry.LevelInfo, "Script completed: "+s.Path
		log.Info(fmt.Sprintf("%sScript succeeded: %s (%s)", p, s.Path, secs(res.Duration)))
	} else {
		done.Level, done.Message = telemetry.LevelError, fmt.Sprintf("Script failed: %s (code=%d)", s.Path, res.ReturnCode)
		log.Error(fmt.Sprintf("%sScript failed: %s (code=%d, duration=%s)", p, s.Path, res.ReturnCode, secs(res.Duration)))
		if e := preview(res.Stderr); e != "" {
			log.Error(p + "stderr: " + trimmedTail(res.Stderr))
		}
	}
	var errKind any
	if res.ErrorKind != "" {
		errKind = res.ErrorKind
	}
	jr.emit(done, map[string]any{"error": errKind, telemetry.MetaStdoutPreview: preview(res.Stdout), telemetry.MetaStderrPreview: preview(res.Stderr),
		telemetry.MetaStdoutTail: lastBytes(res.Stdout, TailBytes), telemetry.MetaStderrTail: lastBytes(res.Stderr, TailBytes)}, true)
	return res
}

// trimmedTail is the stderr text logged for a failed script: trimmed, at most its last 4000
// characters.
func trimmedTail(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > 4000 {
		r = r[len(r)-4000:]
	}
	return string(r)
}

func (r *Runner) pid() int {
	if r.PID != 0 {
		return r.PID
	}
	return os.Getpid()
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
