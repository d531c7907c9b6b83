package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/schedule"
)

// Job is one entry of chief.config's jobs list. Its JSON is also what the config hash covers,
// so field order here is part of the hash.
type Job struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Schedule is the schedule block as written in chief.yaml.
	Schedule     map[string]any `json:"schedule"`
	ScheduleText string         `json:"schedule_text"`
	ScheduleKind string         `json:"schedule_kind"`
	// Cron is the expression export-cron writes; empty for runtime-only schedules.
	Cron              string   `json:"cron"`
	Timezone          string   `json:"timezone"`
	WorkingDir        string   `json:"working_dir"`
	StopOnFailure     bool     `json:"stop_on_failure"`
	MonitorEnabled    bool     `json:"monitor_enabled"`
	Scripts           []Script `json:"scripts"`
	Overlap           string   `json:"overlap"`
	Retries           int      `json:"retries"`
	RetryDelaySeconds int      `json:"retry_delay_seconds"`
	Check             Check    `json:"check"`
	Tags              []string `json:"tags"`
	// Truncated is set when the job alone was too large for one event and was cut down.
	Truncated bool `json:"truncated,omitempty"`
}

// Script is one script of a Job.
type Script struct {
	Path           string   `json:"path"`
	ResolvedPath   string   `json:"resolved_path"`
	Args           []string `json:"args"`
	TimeoutSeconds *int     `json:"timeout_seconds"`
}

// Check is a Job's monitor.check block.
type Check struct {
	Enabled             bool `json:"enabled"`
	GraceSeconds        int  `json:"grace_seconds"`
	AlertOnFailure      bool `json:"alert_on_failure"`
	AlertOnMiss         bool `json:"alert_on_miss"`
	MaxRuntimeSeconds   *int `json:"max_runtime_seconds"`
	AlertOnEveryAttempt bool `json:"alert_on_every_attempt"`
	// The alert policy, omitted when unset.
	FailureThreshold   int     `json:"failure_threshold,omitempty"`
	RecoveryThreshold  int     `json:"recovery_threshold,omitempty"`
	RealertMinutes     int     `json:"realert_minutes,omitempty"`
	MaxDurationSeconds int     `json:"max_duration_seconds,omitempty"`
	SlowFactor         float64 `json:"slow_factor,omitempty"`
}

// Jobs describes every job of cfg, disabled ones included, in file order.
func Jobs(cfg *config.Config) []Job {
	out := make([]Job, 0, len(cfg.Jobs))
	for i := range cfg.Jobs {
		out = append(out, describe(&cfg.Jobs[i]))
	}
	return out
}

func describe(j *config.Job) Job {
	s := j.Schedule
	cron := s.Expr
	if s.Kind == schedule.RuntimeOnly {
		cron = ""
	}
	c := j.Monitor.Check
	var maxRuntime *int
	if c.MaxRuntimeSeconds > 0 {
		maxRuntime = &c.MaxRuntimeSeconds
	}
	return Job{Name: j.Name, Enabled: j.Enabled, Schedule: j.ScheduleSpec, ScheduleText: ScheduleText(s),
		ScheduleKind: string(s.Kind), Cron: cron, Timezone: j.Timezone, WorkingDir: j.WorkingDir,
		StopOnFailure: j.StopOnFailure, MonitorEnabled: j.Monitor.Enabled, Scripts: scripts(j.Scripts),
		Overlap: j.Overlap, Retries: j.Retries, RetryDelaySeconds: j.RetryDelaySeconds,
		Check: Check{Enabled: c.Enabled, GraceSeconds: c.GraceSeconds, AlertOnFailure: c.AlertOnFailure,
			AlertOnMiss: c.AlertOnMiss, MaxRuntimeSeconds: maxRuntime, AlertOnEveryAttempt: c.AlertOnEveryAttempt,
			FailureThreshold: c.FailureThreshold, RecoveryThreshold: c.RecoveryThreshold, RealertMinutes: c.RealertMinutes,
			MaxDurationSeconds: c.MaxDurationSeconds, SlowFactor: c.SlowFactor},
		Tags: tagList(j.Tags)}
}

// tagList is never null on the wire.
func tagList(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

func scripts(in []config.Script) []Script {
	out := make([]Script, 0, len(in))
	for _, s := range in {
		args := s.Args
		if args == nil {
			args = []string{}
		}
		var timeout *int
		if s.Timeout > 0 {
			timeout = &s.Timeout
		}
		out = append(out, Script{Path: s.Path, ResolvedPath: s.Resolved, Args: args, TimeoutSeconds: timeout})
	}
	return out
}

// ScheduleText is the schedule in words, as validate and preview print it
// ("Runs daily at 09:00 (UTC)").
func ScheduleText(s *schedule.Schedule) string { return s.Description }

// hashed is the document the config hash covers: what the jobs do and the daemon-wide setting
// that changes when they run. The monitor block (endpoint, key, buffering) is left out: it is
// often overridden per host and says nothing about the jobs.
type hashed struct {
	Jobs            []Job `json:"jobs"`
	MaxParallelJobs int   `json:"max_parallel_jobs"`
}

// Hash is the hex SHA-256 of the canonical JSON of the jobs' specs and max_parallel_jobs: the
// same configuration gives the same hash, any change to a job a different one.
func Hash(cfg *config.Config) string {
	// Every value is a string, number, bool, null or a list or object of those: this cannot fail.
	b, _ := json.Marshal(hashed{Jobs: Jobs(cfg), MaxParallelJobs: cfg.Defaults.MaxParallelJobs})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
