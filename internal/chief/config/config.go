package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gulag/chief-monitor/internal/chief/schedule"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("config: invalid")

// Error is a configuration error. Its message names the field path and the offending value;
// the command line prints it after "Error: ".
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

// Overlap policies.
const (
	OverlapSkip     = "skip"
	OverlapQueue    = "queue"
	OverlapParallel = "parallel"
)

// Defaults of the settings that have one.
const (
	DefaultEndpoint         = "http://127.0.0.1:7410"
	DefaultTimeoutMs        = 400
	DefaultHeartbeatSeconds = 15
	DefaultMaxEvents        = 5000
	DefaultFlushIntervalMs  = 1000
	DefaultSpoolFile        = ".chief/telemetry_spool.jsonl"
	DefaultSpoolMaxBytes    = 10 << 20
	DefaultScriptTimeout    = 3600
	DefaultGraceSeconds     = 120
	DefaultMaxParallelJobs  = 1
	// DefaultRetryDelaySeconds is the wait between a failed attempt and the next when the job
	// retries: long enough for a brief outage (a restarting database) to pass.
	DefaultRetryDelaySeconds = 30
)

// Config is a loaded, validated chief.yaml.
type Config struct {
	// Path is the absolute config file path; Dir is the directory holding it.
	Path, Dir string
	Defaults  Defaults
	Monitor   Monitor
	Jobs      []Job
}

// Defaults is the `defaults` block, resolved.
type Defaults struct {
	Timezone      string // empty when unset
	WorkingDir    string // absolute
	StopOnFailure bool
	Overlap       string
	// MaxParallelJobs is how many different jobs may run at once in the daemon: 1 (the default)
	// keeps Chief's global exclusivity, 0 means unlimited.
	MaxParallelJobs int
	// Retries and RetryDelaySeconds are the jobs' defaults for the same keys.
	Retries           int
	RetryDelaySeconds int
}

// Monitor is the global `monitor` block.
type Monitor struct {
	Enabled          bool   `yaml:"enabled"`
	Endpoint         string `yaml:"endpoint" validate:"startswith=http://|startswith=https://"`
	APIKey           string `yaml:"api_key"`
	TimeoutMs        int    `yaml:"timeout_ms" validate:"min=1"`
	HeartbeatSeconds int    `yaml:"heartbeat_seconds" validate:"min=1"`
	Buffer           Buffer `yaml:"buffer"`
}

// Buffer is `monitor.buffer`.
type Buffer struct {
	MaxEvents       int    `yaml:"max_events" validate:"min=1"`
	FlushIntervalMs int    `yaml:"flush_interval_ms" validate:"min=1"`
	SpoolFile       string `yaml:"spool_file"` // absolute
	SpoolMaxBytes   int64  `yaml:"spool_max_bytes" validate:"min=1024"`
}

// Job is one entry of `jobs`.
type Job struct {
	Name          string
	Enabled       bool
	WorkingDir    string // absolute
	StopOnFailure bool
	Overlap       string
	Timezone      string // effective schedule time zone name
	Schedule      *schedule.Schedule
	// ScheduleSpec is the schedule block as written in chief.yaml, as JSON values (for
	// chief.config).
	ScheduleSpec map[string]any
	Scripts      []Script
	Monitor      JobMonitor
	// Retries is how many more attempts a failed run gets; RetryDelaySeconds the wait before
	// each.
	Retries           int
	RetryDelaySeconds int
	// Tags group jobs on the monitor: filters, routing, maintenance windows and badges.
	Tags []string
}

// MaxAttempts is the number of attempts a run may take.
func (j *Job) MaxAttempts() int { return j.Retries + 1 }

// Script is one entry of a job's `scripts`.
type Script struct {
	Path     string   // as configured (trimmed)
	Resolved string   // absolute, symlinks resolved
	Args     []string // already split
	Timeout  int      // seconds
}

// JobMonitor is a job's resolved `monitor` block.
type JobMonitor struct {
	Enabled bool
	Check   Check
}

// Check is forwarded to the monitor as event metadata.
type Check struct {
	Enabled        bool `yaml:"enabled"`
	GraceSeconds   int  `yaml:"grace_seconds" validate:"min=0"`
	AlertOnFailure bool `yaml:"alert_on_failure"`
	AlertOnMiss    bool `yaml:"alert_on_miss"`
	// MaxRuntimeSeconds is 0 when unset.
	MaxRuntimeSeconds   int  `yaml:"max_runtime_seconds"`
	AlertOnEveryAttempt bool `yaml:"alert_on_every_attempt"`
	// The alert policy; 0 when unset, which leaves the monitor's defaults.
	FailureThreshold   int     `yaml:"failure_threshold"`
	RecoveryThreshold  int     `yaml:"recovery_threshold"`
	RealertMinutes     int     `yaml:"realert_minutes"`
	MaxDurationSeconds int     `yaml:"max_duration_seconds"`
	SlowFactor         float64 `yaml:"slow_factor"`
}

// Meta returns the check metadata every job-scoped event carries. The newer keys are sent only
// when set, so jobs that do not use them send exactly what they always sent.
func (c Check) Meta() map[string]any {
	m := map[string]any{telemetry.MetaCheckEnabled: c.Enabled, telemetry.MetaGraceSeconds: c.GraceSeconds,
		telemetry.MetaAlertOnFailure: c.AlertOnFailure, telemetry.MetaAlertOnMiss: c.AlertOnMiss}
	if c.MaxRuntimeSeconds > 0 {
		m[telemetry.MetaMaxRuntimeSeconds] = c.MaxRuntimeSeconds
	}
	if c.AlertOnEveryAttempt {
		m[telemetry.MetaAlertOnEveryAttempt] = true
	}
	for key, v := range map[string]int{telemetry.MetaFailureThreshold: c.FailureThreshold,
		telemetry.MetaRecoveryThreshold: c.RecoveryThreshold, telemetry.MetaRealertMinutes: c.RealertMinutes,
		telemetry.MetaMaxDurationSeconds: c.MaxDurationSeconds} {
		if v > 0 {
			m[key] = v
		}
	}
	if c.SlowFactor > 0 {
		m[telemetry.MetaSlowFactor] = c.SlowFactor
	}
	return m
}

// CheckMeta is the check metadata of the job's events: its check's keys and its tags, which
// ride along so that the monitor can group and route by them.
func (j *Job) CheckMeta() map[string]any {
	m := j.Monitor.Check.Meta()
	if len(j.Tags) > 0 {
		m[telemetry.MetaTags] = j.Tags
	}
	return m
}

// Default returns the settings used when chief.yaml says nothing.
func Default() Config {
	return Config{
		Defaults: Defaults{WorkingDir: ".", StopOnFailure: true, Overlap: OverlapSkip, MaxParallelJobs: DefaultMaxParallelJobs,
			RetryDelaySeconds: DefaultRetryDelaySeconds},
		Monitor: Monitor{Endpoint: DefaultEndpoint, TimeoutMs: DefaultTimeoutMs, HeartbeatSeconds: DefaultHeartbeatSeconds,
			Buffer: Buffer{MaxEvents: DefaultMaxEvents, FlushIntervalMs: DefaultFlushIntervalMs, SpoolFile: DefaultSpoolFile, SpoolMaxBytes: DefaultSpoolMaxBytes}},
	}
}

// LoadFile reads the config at path (relative to the working directory) and delegates to Load.
func LoadFile(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errorf("config file not found: %s", abs)
		}
		return nil, errorf("cannot read config file %s: %v", abs, err)
	}
	cfg, err := Load(data, filepath.Dir(abs))
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) && strings.HasPrefix(ce.Msg, "failed to parse YAML") {
			ce.Msg = strings.Replace(ce.Msg, "failed to parse YAML", "failed to parse YAML in "+abs, 1)
		}
		return nil, err
	}
	cfg.Path = abs
	return cfg, nil
}

// Load decodes and validates a chief.yaml document. Relative paths are resolved against dir,
// which must be absolute. The first error found is returned.
func Load(data []byte, dir string) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, errorf("failed to parse YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errorf("failed to parse YAML: expected a single document")
	}
	top := &yaml.Node{Kind: yaml.MappingNode}
	if len(root.Content) > 0 && !isNull(root.Content[0]) {
		top = root.Content[0]
	}
	m, ok := asMapping(top)
	if !ok {
		return nil, errorf("top-level config must be a mapping")
	}
	if u := m.unknown("version", "defaults", "monitor", "jobs"); len(u) > 0 {
		return nil, errorf("unknown top-level keys: %s", pyList(u))
	}
	cfg := Default()
	cfg.Dir = dir
	if err := loadDefaults(m.get("defaults"), dir, &cfg.Defaults); err != nil {
		return nil, err
	}
	if err := loadMonitor(m.get("monitor"), dir, &cfg.Monitor); err != nil {
		return nil, err
	}
	jobs := deref(m.get("jobs"))
	if jobs == nil || jobs.Kind != yaml.SequenceNode || len(jobs.Content) == 0 {
		return nil, errorf("jobs must be a non-empty list")
	}
	seen := map[string]bool{}
	for i, jn := range jobs.Content {
		job, err := loadJob(jn, fmt.Sprintf("jobs[%d]", i), &cfg)
		if err != nil {
			return nil, err
		}
		if seen[job.Name] {
			return nil, errorf("duplicate job name %q at jobs[%d].name", job.Name, i)
		}
		seen[job.Name] = true
		cfg.Jobs = append(cfg.Jobs, job)
	}
	return &cfg, nil
}

func loadDefaults(n *yaml.Node, dir string, d *Defaults) error {
	m := &mapping{values: map[string]*yaml.Node{}}
	if !isNull(n) {
		var ok bool
		if m, ok = asMapping(n); !ok {
			return errorf("defaults must be a mapping")
		}
	}
	if u := m.unknown("timezone", "working_dir", "stop_on_failure", "overlap", "max_parallel_jobs", "retries", "retry_delay_seconds"); len(u) > 0 {
		return errorf("unknown keys in defaults: %s", pyList(u))
	}
	var err error
	if m.has("timezone") {
		if d.Timezone, err = timezone(m.get("timezone"), "defaults.timezone"); err != nil {
			return err
		}
	}
	if d.WorkingDir, err = workingDir(m, "defaults.working_dir", dir, "."); err != nil {
		return err
	}
	if d.StopOnFailure, err = getBool(m, "stop_on_failure", "defaults.stop_on_failure", true); err != nil {
		return err
	}
	if d.Overlap, err = overlap(m, "defaults.overlap", OverlapSkip); err != nil {
		return err
	}
	if d.MaxParallelJobs, err = getInt(m, "max_parallel_jobs", "defaults.max_parallel_jobs", DefaultMaxParallelJobs, 0); err != nil {
		return err
	}
	d.Retries, d.RetryDelaySeconds, err = retries(m, "defaults", 0, DefaultRetryDelaySeconds)
	return err
}

// retries reads `retries` and `retry_delay_seconds` of the mapping at path.
func retries(m *mapping, path string, defRetries, defDelay int) (int, int, error) {
	n, err := getInt(m, "retries", path+".retries", defRetries, 0)
	if err != nil {
		return 0, 0, err
	}
	delay, err := getInt(m, "retry_delay_seconds", path+".retry_delay_seconds", defDelay, 0)
	return n, delay, err
}

// timezone validates an IANA zone name ("Local" and "" are not zone names).
func timezone(n *yaml.Node, path string) (string, error) {
	s, ok := text(n)
	if !ok {
		return "", errorf("%s must be a timezone string", path)
	}
	if s == "" || s == "Local" || strings.Contains(s, "..") {
		return "", errorf("Invalid timezone %q at %s", s, path)
	}
	if _, err := time.LoadLocation(s); err != nil {
		return "", errorf("Invalid timezone %q at %s", s, path)
	}
	return s, nil
}

func workingDir(m *mapping, path, base, def string) (string, error) {
	raw := def
	if m.has(path[strings.LastIndex(path, ".")+1:]) {
		s, ok := text(m.get("working_dir"))
		if !ok || strings.TrimSpace(s) == "" {
			return "", errorf("%s must be a non-empty path string", path)
		}
		raw = strings.TrimSpace(s)
	}
	p := raw
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		return "", errorf("working directory does not exist at %s: %s", path, p)
	}
	return p, nil
}

func overlap(m *mapping, path, def string) (string, error) {
	n := m.get("overlap")
	if isNull(n) {
		return def, nil
	}
	s, _ := text(n)
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case OverlapSkip, OverlapQueue, OverlapParallel:
		return s, nil
	}
	if s == "" {
		s = strings.ToLower(deref(n).Value)
	}
	return "", errorf("%s must be one of ['parallel', 'queue', 'skip'], got %q", path, s)
}

func loadMonitor(n *yaml.Node, dir string, mon *Monitor) error {
	mon.Buffer.SpoolFile = filepath.Join(dir, DefaultSpoolFile)
	if isNull(n) {
		return nil
	}
	m, ok := asMapping(n)
	if !ok {
		return errorf("monitor must be a mapping")
	}
	if u := m.unknown("enabled", "endpoint", "api_key", "timeout_ms", "heartbeat_seconds", "buffer"); len(u) > 0 {
		return errorf("unknown keys in monitor: %s", pyList(u))
	}
	var err error
	if mon.Enabled, err = getBool(m, "enabled", "monitor.enabled", false); err != nil {
		return err
	}
	if m.has("endpoint") {
		if mon.Endpoint, err = getNonEmpty(m, "endpoint", "monitor.endpoint"); err != nil {
			return err
		}
		// Checked here, not only by validateStruct below, to keep the spec's order:
		// the scheme comes before api_key, the integers and the buffer block.
		if !strings.HasPrefix(mon.Endpoint, "http://") && !strings.HasPrefix(mon.Endpoint, "https://") {
			return errorf("monitor.endpoint must be an HTTP URL (http:// or https://), got %q", mon.Endpoint)
		}
	}
	if m.has("api_key") {
		var ok bool
		if mon.APIKey, ok = text(m.get("api_key")); !ok {
			return errorf("monitor.api_key must be a string")
		}
	}
	if mon.TimeoutMs, err = getInt(m, "timeout_ms", "monitor.timeout_ms", DefaultTimeoutMs, 1); err != nil {
		return err
	}
	if mon.HeartbeatSeconds, err = getInt(m, "heartbeat_seconds", "monitor.heartbeat_seconds", DefaultHeartbeatSeconds, 1); err != nil {
		return err
	}
	b := &mapping{values: map[string]*yaml.Node{}}
	if bn := m.get("buffer"); !isNull(bn) {
		if b, ok = asMapping(bn); !ok {
			return errorf("monitor.buffer must be a mapping")
		}
	}
	if u := b.unknown("max_events", "flush_interval_ms", "spool_file", "spool_max_bytes"); len(u) > 0 {
		return errorf("unknown keys in monitor.buffer: %s", pyList(u))
	}
	if mon.Buffer.MaxEvents, err = getInt(b, "max_events", "monitor.buffer.max_events", DefaultMaxEvents, 1); err != nil {
		return err
	}
	if mon.Buffer.FlushIntervalMs, err = getInt(b, "flush_interval_ms", "monitor.buffer.flush_interval_ms", DefaultFlushIntervalMs, 1); err != nil {
		return err
	}
	if b.has("spool_file") {
		s, ok := text(b.get("spool_file"))
		if !ok || strings.TrimSpace(s) == "" {
			return errorf("monitor.buffer.spool_file must be a non-empty path string")
		}
		mon.Buffer.SpoolFile = strings.TrimSpace(s)
		if !filepath.IsAbs(mon.Buffer.SpoolFile) {
			mon.Buffer.SpoolFile = filepath.Join(dir, mon.Buffer.SpoolFile)
		}
	}
	maxBytes, err := getInt(b, "spool_max_bytes", "monitor.buffer.spool_max_bytes", DefaultSpoolMaxBytes, 1024)
	if err != nil {
		return err
	}
	mon.Buffer.SpoolMaxBytes = int64(maxBytes)
	return validateStruct(mon, "monitor")
}

func loadJob(n *yaml.Node, path string, cfg *Config) (Job, error) {
	job := Job{}
	m, ok := asMapping(n)
	if !ok {
		return job, errorf("%s must be a mapping", path)
	}
	if u := m.unknown("name", "enabled", "working_dir", "stop_on_failure", "overlap", "schedule", "scripts", "monitor",
		"retries", "retry_delay_seconds", "tags"); len(u) > 0 {
		return job, errorf("unknown keys in %s: %s", path, pyList(u))
	}
	var err error
	if job.Name, err = jobName(m, path+".name"); err != nil {
		return job, err
	}
	for _, j := range cfg.Jobs {
		if j.Name == job.Name {
			return job, errorf("duplicate job name %q at %s.name", job.Name, path)
		}
	}
	if job.Enabled, err = getBool(m, "enabled", path+".enabled", true); err != nil {
		return job, err
	}
	job.WorkingDir = cfg.Defaults.WorkingDir
	if m.has("working_dir") {
		if job.WorkingDir, err = workingDir(m, path+".working_dir", cfg.Dir, ""); err != nil {
			return job, err
		}
	}
	if job.StopOnFailure, err = getBool(m, "stop_on_failure", path+".stop_on_failure", cfg.Defaults.StopOnFailure); err != nil {
		return job, err
	}
	if job.Overlap, err = overlap(m, path+".overlap", cfg.Defaults.Overlap); err != nil {
		return job, err
	}
	if job.Schedule, job.Timezone, err = compileSchedule(m.get("schedule"), path+".schedule", cfg.Defaults.Timezone); err != nil {
		return job, err
	}
	job.ScheduleSpec, _ = jsonValue(m.get("schedule")).(map[string]any)
	if job.Scripts, err = loadScripts(m.get("scripts"), path+".scripts", job.WorkingDir); err != nil {
		return job, err
	}
	if job.Monitor, err = loadJobMonitor(m.get("monitor"), path+".monitor", cfg.Monitor.Enabled); err != nil {
		return job, err
	}
	if job.Tags, err = tags(m.get("tags"), path+".tags"); err != nil {
		return job, err
	}
	job.Retries, job.RetryDelaySeconds, err = retries(m, path, cfg.Defaults.Retries, cfg.Defaults.RetryDelaySeconds)
	return job, err
}

// MaxJobNameBytes is the longest job name the monitor accepts as jobName.
const MaxJobNameBytes = 512

// jobName reads a job's name. The name is shown in logs, on the dashboard and in alert e-mail,
// so characters that are invisible there or that reorder the text around them (a right-to-left
// override turns "invoice\u202egpj.exe" into "invoiceexe.jpg") are refused, as are names
// longer than the monitor stores.
func jobName(m *mapping, path string) (string, error) {
	name, err := getNonEmpty(m, "name", path)
	if err != nil {
		return "", err
	}
	if strings.ContainsFunc(name, hiddenRune) {
		return "", errorf("%s must not contain control or invisible formatting characters, got %q", path, name)
	}
	if len(name) > MaxJobNameBytes {
		return "", errorf("%s must be at most %d bytes, got %d", path, MaxJobNameBytes, len(name))
	}
	return name, nil
}

// hiddenRune reports the C0 and C1 controls, DEL, the zero-width and directional marks, the
// bidirectional embeddings, overrides and isolates, and the byte order mark.
func hiddenRune(r rune) bool {
	switch {
	case r <= 0x1f, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return r == 0xfeff
}

func loadScripts(n *yaml.Node, path, workDir string) ([]Script, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, errorf("%s must be a non-empty list", path)
	}
	var out []Script
	for j, sn := range n.Content {
		sp := fmt.Sprintf("%s[%d]", path, j)
		m, ok := asMapping(sn)
		if !ok {
			return nil, errorf("%s must be a mapping", sp)
		}
		if u := m.unknown("path", "args", "timeout"); len(u) > 0 {
			return nil, errorf("unknown keys in %s: %s", sp, pyList(u))
		}
		s := Script{}
		var err error
		if s.Path, err = getNonEmpty(m, "path", sp+".path"); err != nil {
			return nil, err
		}
		if s.Args, err = loadArgs(m.get("args"), sp+".args"); err != nil {
			return nil, err
		}
		if s.Timeout, err = getInt(m, "timeout", sp+".timeout", DefaultScriptTimeout, 1); err != nil {
			return nil, err
		}
		if s.Resolved, err = resolveScript(s.Path, sp+".path", workDir); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func resolveScript(p, path, workDir string) (string, error) {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(workDir, abs)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	st, err := os.Stat(abs)
	if err != nil || !st.Mode().IsRegular() {
		return "", errorf("script path does not exist for %s: %s", path, abs)
	}
	if !strings.EqualFold(filepath.Ext(abs), ".py") && st.Mode().Perm()&0o111 == 0 {
		return "", errorf("script %s is not executable (%s): only .py scripts run through python3; make other scripts executable (chmod +x)", path, abs)
	}
	return abs, nil
}

func loadArgs(n *yaml.Node, path string) ([]string, error) {
	if isNull(n) {
		return []string{}, nil
	}
	n = deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if s, ok := text(n); ok {
			args, err := splitShell(s)
			if err != nil {
				return nil, errorf("%s is not a valid shell-style string: %v", path, err)
			}
			if args == nil {
				args = []string{}
			}
			return args, nil
		}
	case yaml.SequenceNode:
		args := []string{}
		for k, item := range n.Content {
			item = deref(item)
			if isNull(item) || item.Kind != yaml.ScalarNode {
				return nil, errorf("%s[%d] must be a string, number or boolean", path, k)
			}
			args = append(args, item.Value)
		}
		return args, nil
	}
	return nil, errorf("%s must be a list or shell-style string", path)
}

func loadJobMonitor(n *yaml.Node, path string, globalEnabled bool) (JobMonitor, error) {
	jm := JobMonitor{Enabled: globalEnabled}
	c := Check{GraceSeconds: DefaultGraceSeconds, AlertOnFailure: true, AlertOnMiss: true}
	if isNull(n) {
		c.Enabled = globalEnabled
		jm.Check = c
		return jm, nil
	}
	m, ok := asMapping(n)
	if !ok {
		return jm, errorf("%s must be a mapping", path)
	}
	if u := m.unknown("enabled", "check"); len(u) > 0 {
		return jm, errorf("unknown keys in %s: %s", path, pyList(u))
	}
	var err error
	if jm.Enabled, err = getBool(m, "enabled", path+".enabled", globalEnabled); err != nil {
		return jm, err
	}
	cm := &mapping{values: map[string]*yaml.Node{}}
	if cn := m.get("check"); !isNull(cn) {
		if cm, ok = asMapping(cn); !ok {
			return jm, errorf("%s.check must be a mapping", path)
		}
	}
	cp := path + ".check"
	if u := cm.unknown("enabled", "grace_seconds", "alert_on_failure", "alert_on_miss", "max_runtime_seconds",
		"alert_on_every_attempt", "failure_threshold", "recovery_threshold", "realert_minutes", "max_duration_seconds",
		"slow_factor"); len(u) > 0 {
		return jm, errorf("unknown keys in %s: %s", cp, pyList(u))
	}
	if c.Enabled, err = getBool(cm, "enabled", cp+".enabled", jm.Enabled); err != nil {
		return jm, err
	}
	if c.GraceSeconds, err = getInt(cm, "grace_seconds", cp+".grace_seconds", DefaultGraceSeconds, 0); err != nil {
		return jm, err
	}
	if c.AlertOnFailure, err = getBool(cm, "alert_on_failure", cp+".alert_on_failure", true); err != nil {
		return jm, err
	}
	if c.AlertOnMiss, err = getBool(cm, "alert_on_miss", cp+".alert_on_miss", true); err != nil {
		return jm, err
	}
	if c.MaxRuntimeSeconds, err = getInt(cm, "max_runtime_seconds", cp+".max_runtime_seconds", 0, 1); err != nil {
		return jm, err
	}
	if c.AlertOnEveryAttempt, err = getBool(cm, "alert_on_every_attempt", cp+".alert_on_every_attempt", false); err != nil {
		return jm, err
	}
	if err = loadPolicy(cm, cp, &c); err != nil {
		return jm, err
	}
	jm.Check = c
	return jm, validateStruct(&c, cp)
}
