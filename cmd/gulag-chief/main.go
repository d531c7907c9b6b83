package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	pyhelper "github.com/gulag/chief-monitor/clients/python"
	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/cronexport"
	"github.com/gulag/chief-monitor/internal/chief/daemon"
	"github.com/gulag/chief-monitor/internal/chief/emitter"
	"github.com/gulag/chief-monitor/internal/chief/logging"
	"github.com/gulag/chief-monitor/internal/chief/runner"
	"github.com/gulag/chief-monitor/internal/chief/spec"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitSIGINT  = 130
	exitSIGTERM = 143
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// app holds what one invocation needs.
type app struct {
	args   *parsed
	stdout io.Writer
	log    *slog.Logger
	closer func()
}

// chiefError is an expected failure (unknown job, no jobs, bad count…) logged without a
// stack trace.
type chiefError struct{ msg string }

func (e *chiefError) Error() string { return e.msg }

func run(argv []string, stdout, stderr io.Writer) (code int) {
	p, err := parseArgs(argv)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprint(stderr, usage(ue.cmd))
			name := "gulag-chief"
			if ue.cmd != nil {
				name += " " + ue.cmd.name
			}
			fmt.Fprintf(stderr, "%s: error: %s\n", name, ue.msg)
			return exitUsage
		}
	}
	if p.help {
		fmt.Fprint(stdout, usage(p.cmd))
		return exitOK
	}
	a := &app{args: p, stdout: stdout, log: slog.New(logging.New(stdout)), closer: func() {}}
	defer func() { a.closer() }() // a.closer grows while the command sets up
	defer func() {
		if v := recover(); v != nil {
			a.log.Error(fmt.Sprintf("Unexpected error: %v\n%s", v, debug.Stack()))
			code = exitFailure
		}
	}()
	code, err = a.dispatch()
	if err != nil {
		var ce *config.Error
		var he *chiefError
		var ue *usageError
		switch {
		case errors.As(err, &ue):
			fmt.Fprint(stderr, usage(p.cmd))
			fmt.Fprintf(stderr, "gulag-chief %s: error: %s\n", p.cmd.name, ue.msg)
			return exitUsage
		case errors.As(err, &ce):
			a.log.Error("Error: " + ce.Error())
		case errors.As(err, &he):
			a.log.Error(he.Error())
		default:
			a.log.Error("Unexpected error: " + err.Error())
		}
		return exitFailure
	}
	return code
}

func (a *app) dispatch() (int, error) {
	switch a.args.cmd.name {
	case "validate":
		return a.validate()
	case "preview":
		return a.preview()
	case "run":
		return a.runJobs()
	case "daemon":
		return a.daemon()
	case "export-cron":
		return a.exportCron()
	case "emit":
		return a.emit()
	case "python-path":
		return a.pythonPath()
	}
	return exitUsage, &usageError{cmd: a.args.cmd, msg: "unknown command"}
}

func (a *app) configPath() string {
	if p := a.args.flags["config"]; p != "" {
		return p
	}
	return "chief.yaml"
}

func (a *app) load() (*config.Config, error) {
	cfg, err := config.LoadFile(a.configPath())
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return cfg, nil
}

// selectJobs applies --job and, when enabledOnly, drops disabled jobs.
func (a *app) selectJobs(cfg *config.Config, enabledOnly bool) ([]*config.Job, error) {
	name := a.args.flags["job"]
	var out []*config.Job
	found := name == ""
	for i := range cfg.Jobs {
		j := &cfg.Jobs[i]
		if name != "" && j.Name != name {
			continue
		}
		found = true
		if enabledOnly && !j.Enabled {
			continue
		}
		out = append(out, j)
	}
	if !found {
		return nil, &chiefError{msg: fmt.Sprintf("Unknown job %q.", name)}
	}
	if enabledOnly && len(out) == 0 {
		return nil, &chiefError{msg: "No enabled jobs selected."}
	}
	return out, nil
}

func (a *app) validate() (int, error) {
	cfg, err := a.load()
	if err != nil {
		return exitFailure, err
	}
	enabled := 0
	for _, j := range cfg.Jobs {
		if j.Enabled {
			enabled++
		}
	}
	fmt.Fprintf(a.stdout, "Config valid: %s\nTotal jobs: %d\nEnabled jobs: %d\n", cfg.Path, len(cfg.Jobs), enabled)
	for _, j := range cfg.Jobs {
		if j.Schedule.Expr == "" {
			fmt.Fprintf(a.stdout, "- %s: %s\n", j.Name, j.Schedule.Kind)
		} else {
			fmt.Fprintf(a.stdout, "- %s: %s (%s)\n", j.Name, j.Schedule.Kind, j.Schedule.Expr)
		}
	}
	return exitOK, nil
}

func (a *app) preview() (int, error) {
	count, code, err := a.positiveFlag("count", 5)
	if err != nil {
		return code, err
	}
	cfg, err := a.load()
	if err != nil {
		return exitFailure, err
	}
	jobs, err := a.selectJobs(cfg, false)
	if err != nil {
		return exitFailure, err
	}
	now := time.Now().UTC()
	rule := strings.Repeat("=", 80)
	w := a.stdout
	for _, j := range jobs {
		s := j.Schedule
		fmt.Fprintf(w, "%s\nJob: %s (enabled=%s)\n%s\nSchedule mode: %s\n", rule, j.Name, logging.Bool(j.Enabled), s.Description, s.Kind)
		switch s.Kind {
		case "pure_cron":
			fmt.Fprintf(w, "Cron equivalent: %s\n", s.Expr)
		case "hybrid":
			fmt.Fprintf(w, "Cron trigger + runtime guard: %s\n", s.Expr)
		default:
			fmt.Fprintln(w, "Cron equivalent: runtime-only")
		}
		if !s.Start.IsZero() {
			fmt.Fprintf(w, "Start bound: %s\n", telemetry.ChiefTime(s.Local(s.Start)))
		}
		if !s.End.IsZero() {
			fmt.Fprintf(w, "End bound: %s\n", telemetry.ChiefTime(s.Local(s.End)))
		}
		if ex := s.ExcludedDates(); len(ex) > 0 {
			dates := make([]string, len(ex))
			for i, d := range ex {
				dates[i] = d.Format("2006-01-02")
			}
			fmt.Fprintf(w, "Exclude dates: %s\n", strings.Join(dates, ", "))
		}
		fmt.Fprintln(w, "Scripts:")
		for _, sc := range j.Scripts {
			args := "(none)"
			if len(sc.Args) > 0 {
				args = config.ShellJoin(sc.Args)
			}
			fmt.Fprintf(w, "- %s | timeout=%ds | args=%s\n", sc.Path, sc.Timeout, args)
		}
		if j.Retries > 0 {
			fmt.Fprintf(w, "Retries: %d, %d s apart (up to %d attempts per run)\n", j.Retries, j.RetryDelaySeconds, j.MaxAttempts())
		}
		fmt.Fprintf(w, "Next %d run(s):\n", count)
		runs := s.Upcoming(now, count)
		if len(runs) == 0 {
			fmt.Fprintln(w, "- none")
		}
		for _, r := range runs {
			fmt.Fprintf(w, "- %s\n", telemetry.ChiefTime(r.In(s.Location)))
		}
	}
	fmt.Fprintln(w, rule)
	return exitOK, nil
}

// positiveFlag reads an integer flag that must be >= 1 (checked before the config is read):
// not an integer is a usage error, below 1 a plain error.
func (a *app) positiveFlag(name string, def int) (int, int, error) {
	n, err := a.args.intFlag(name, def)
	if err != nil {
		return 0, exitUsage, err
	}
	if n <= 0 {
		return 0, exitFailure, &chiefError{msg: fmt.Sprintf("--%s must be >= 1", name)}
	}
	return n, exitOK, nil
}

func (a *app) exportCron() (int, error) {
	cfg, err := a.load()
	if err != nil {
		return exitFailure, err
	}
	jobs, err := a.selectJobs(cfg, true)
	if err != nil {
		return exitFailure, err
	}
	fmt.Fprint(a.stdout, cronexport.Render(jobs, executable(), cfg.Path, time.Now()))
	return exitOK, nil
}

func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return "gulag-chief"
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		return r
	}
	return exe
}

// session is the shared setup of run and daemon: log file, telemetry and the job runner.
type session struct {
	cfg     *config.Config
	jobs    []*config.Job
	emitter *emitter.Emitter
	runner  *runner.Runner
	id      spec.Identity
	hash    atomic.Value // string: the config hash heartbeats report
}

// startSession loads the config and starts telemetry. pollSeconds is the daemon's poll
// interval (0 for run).
func (a *app) startSession(mode string, pollSeconds int) (*session, error) {
	cfg, err := a.load()
	if err != nil {
		return nil, err
	}
	jobs, err := a.selectJobs(cfg, true)
	if err != nil {
		return nil, err
	}
	endpoint, apiKey, err := a.monitorOverrides(cfg)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, jobs: jobs, id: spec.NewIdentity(mode, cfg.Path, pollSeconds, cfg.Monitor.HeartbeatSeconds)}
	s.hash.Store(spec.Hash(cfg))
	s.runner = &runner.Runner{Log: a.log, Endpoint: endpoint, APIKey: apiKey, Python: os.Getenv("CHIEF_PYTHON"),
		PythonPath: a.helperPath(), Binary: executable()}
	telemetryOn := cfg.Monitor.Enabled
	for _, j := range jobs {
		telemetryOn = telemetryOn || j.Monitor.Enabled
	}
	if telemetryOn {
		b := cfg.Monitor.Buffer
		s.emitter = emitter.New(emitter.Options{Endpoint: endpoint, APIKey: apiKey,
			Timeout: time.Duration(cfg.Monitor.TimeoutMs) * time.Millisecond, MaxEvents: b.MaxEvents,
			FlushInterval: time.Duration(b.FlushIntervalMs) * time.Millisecond, SpoolFile: b.SpoolFile,
			SpoolMaxBytes: b.SpoolMaxBytes, Logger: a.log, RunnerID: s.id.RunnerID})
		s.runner.Emitter = s.emitter
		s.sendConfig(cfg)
		stop := s.emitter.HeartbeatWith(mode, time.Duration(cfg.Monitor.HeartbeatSeconds)*time.Second,
			func() map[string]any { return s.id.HeartbeatMeta(s.hash.Load().(string)) })
		prev := a.closer
		a.closer = func() { stop(); s.emitter.Close(); prev() }
	}
	return s, nil
}

// sendConfig describes cfg to the monitor (chief.config) and makes heartbeats report its hash.
func (s *session) sendConfig(cfg *config.Config) {
	hash := spec.Hash(cfg)
	s.hash.Store(hash)
	for _, ev := range spec.ConfigEvents(cfg, s.id, hash) {
		s.emitter.Emit(ev)
	}
}

// reloaded is called by the daemon after it switched to cfg. The monitor block is not
// reloaded: the emitter and the scripts' CHIEF_MONITOR_* variables were set up at start.
func (s *session) reloaded(log *slog.Logger, cfg *config.Config) {
	if cfg.Monitor != s.cfg.Monitor {
		log.Warn("The monitor block of the configuration changed; restart the daemon to apply it.")
	}
	s.sendConfig(cfg)
}

// monitorOverrides applies --monitor-endpoint / --monitor-api-key and their environment
// variables on top of chief.yaml.
func (a *app) monitorOverrides(cfg *config.Config) (string, string, error) {
	endpoint, key := cfg.Monitor.Endpoint, cfg.Monitor.APIKey
	if v := strings.TrimSpace(os.Getenv("CHIEF_MONITOR_ENDPOINT_OVERRIDE")); v != "" {
		endpoint = v
	}
	if v, ok := a.args.flags["monitor-endpoint"]; ok {
		endpoint = strings.TrimSpace(v)
	}
	if v := os.Getenv("CHIEF_MONITOR_API_KEY_OVERRIDE"); v != "" {
		key = v
	}
	if v, ok := a.args.flags["monitor-api-key"]; ok {
		key = v
	}
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return "", "", &chiefError{msg: fmt.Sprintf("Error: monitor endpoint override must be an HTTP URL, got %q", endpoint)}
	}
	return endpoint, key, nil
}

// openLogFile adds chief.log (next to the config unless --log-file says otherwise). run and
// daemon call it first, so config and argument errors reach the file too.
func (a *app) openLogFile() {
	path, ok := a.args.flags["log-file"]
	if !ok {
		cfgPath, err := filepath.Abs(a.configPath())
		if err != nil {
			return
		}
		if r, err := filepath.EvalSymlinks(cfgPath); err == nil {
			cfgPath = r
		}
		path = filepath.Join(filepath.Dir(cfgPath), "chief.log")
	}
	if path == "-" || path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		a.log.Warn(fmt.Sprintf("Cannot open log file %s: %v; logging to stdout only", path, err))
		return
	}
	a.log = slog.New(logging.New(a.stdout, f))
	prev := a.closer
	a.closer = func() { prev(); _ = f.Close() } // append-only log; nothing to recover on close error
}

// helperPath returns the directory to put on scripts' PYTHONPATH so that
// `import gulag_chief.monitor_client` works: $CHIEF_PYTHONPATH, else the embedded helper
// extracted to the user cache.
func (a *app) helperPath() string {
	if p := os.Getenv("CHIEF_PYTHONPATH"); p != "" {
		return p
	}
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	dir, err := pyhelper.Extract(filepath.Join(root, "gulag-chief"))
	if err != nil {
		dir, err = pyhelper.Extract(filepath.Join(os.TempDir(), fmt.Sprintf("gulag-chief-%d", os.Getuid())))
	}
	if err != nil {
		a.log.Warn("Python helper unavailable: " + err.Error())
		return ""
	}
	return dir
}

// pythonPath prints the helper directory that run and daemon put on scripts' PYTHONPATH, so a
// worker started by hand can `import gulag_chief.monitor_client` too:
// PYTHONPATH="$(gulag-chief python-path)" python3 worker.py
func (a *app) pythonPath() (int, error) {
	dir := a.helperPath()
	if dir == "" {
		return exitFailure, &chiefError{msg: "the Python helper could not be extracted"}
	}
	fmt.Fprintln(a.stdout, dir)
	return exitOK, nil
}

// signalContext is cancelled by SIGINT or SIGTERM; sig reports which one arrived.
func signalContext() (ctx context.Context, sig func() os.Signal, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	var got os.Signal
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case got = <-ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() os.Signal { <-ctx.Done(); <-done; return got }, func() { signal.Stop(ch); cancel(); <-done }
}

// hangupChannel delivers one value per SIGHUP (several pending ones collapse into one), which
// asks the daemon to reload its configuration.
func hangupChannel() (<-chan struct{}, func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP)
	out, quit := make(chan struct{}, 1), make(chan struct{})
	go func() {
		for {
			select {
			case <-sigs:
				select {
				case out <- struct{}{}:
				default:
				}
			case <-quit:
				return
			}
		}
	}()
	return out, func() { signal.Stop(sigs); close(quit) }
}

func signalExit(s os.Signal) int {
	if s == syscall.SIGTERM {
		return exitSIGTERM
	}
	return exitSIGINT
}

func (a *app) runJobs() (int, error) {
	a.openLogFile()
	s, err := a.startSession("run", 0)
	if err != nil {
		return exitFailure, err
	}
	ctx, sig, stop := signalContext()
	defer stop()
	now := time.Now().UTC()
	code := exitOK
	for _, j := range s.jobs {
		if ctx.Err() != nil {
			break
		}
		var slot time.Time
		trigger := telemetry.TriggerManual
		if a.args.has("respect-schedule") {
			// Only cron starts runs this way (export-cron), at the job's fire times.
			trigger = telemetry.TriggerSchedule
			due := false
			if slot, due = j.Schedule.Due(now); !due {
				a.log.Info(fmt.Sprintf("Skipping %s: not due now.", j.Name))
				continue
			}
		}
		if !s.runner.RunJob(ctx, j, slot, trigger) {
			code = exitFailure
		}
	}
	if ctx.Err() != nil {
		got := sig()
		a.log.Warn(fmt.Sprintf("Run interrupted by %s; remaining jobs skipped.", signalName(got)))
		return signalExit(got), nil
	}
	return code, nil
}

func (a *app) daemon() (int, error) {
	a.openLogFile()
	poll, code, err := a.positiveFlag("poll-seconds", 10)
	if err != nil {
		return code, err
	}
	a.args.flags["job"] = ""
	s, err := a.startSession("daemon", poll)
	if err != nil {
		return exitFailure, err
	}
	ctx, sig, stop := signalContext()
	defer stop()
	hangup, stopHangup := hangupChannel()
	defer stopHangup()
	reload := &daemon.Reload{Path: a.configPath(), Load: a.load, Hangup: hangup,
		Loaded: func(cfg *config.Config) { s.reloaded(a.log, cfg) }}
	d := daemon.New(daemon.Options{Jobs: s.jobs, Poll: time.Duration(poll) * time.Second, MaxParallel: s.cfg.Defaults.MaxParallelJobs,
		RunOnStart: a.args.has("run-on-start"), Run: s.runner.RunJob, Emit: s.runner.EmitJobEvent, Log: a.log, Reload: reload})
	d.Run(ctx)
	got := sig()
	a.log.Info(fmt.Sprintf("Stopping daemon (%s): terminating running scripts.", signalName(got)))
	d.Wait()
	if got == syscall.SIGINT {
		a.log.Info("Daemon interrupted by user.")
	} else {
		a.log.Info("Daemon stopped by SIGTERM.")
	}
	return signalExit(got), nil
}

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}
