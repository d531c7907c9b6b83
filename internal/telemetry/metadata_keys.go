package telemetry

// Metadata keys that Chief sends and the monitor reads. The check keys ride on every job
// lifecycle event, so the monitor learns a job's check settings from chief.yaml.
const (
	// MetaCheckEnabled turns the job's check (and its MISSED alerts) on or off.
	MetaCheckEnabled = "check_enabled"
	// MetaGraceSeconds is how long after the expected run the check waits before LATE.
	MetaGraceSeconds = "grace_seconds"
	// MetaAlertOnFailure opens a FAILURE alert on job.failed.
	MetaAlertOnFailure = "alert_on_failure"
	// MetaAlertOnMiss opens a MISSED alert when an expected run does not come.
	MetaAlertOnMiss = "alert_on_miss"
	// MetaNextRunAt is the next scheduled run, on job.next_scheduled.
	MetaNextRunAt = "next_run_at"
	// MetaPingIntervalSeconds is the heartbeat interval, on chief.heartbeat.
	MetaPingIntervalSeconds = "ping_interval_seconds"
	// MetaStdoutPreview and MetaStderrPreview are the start of a script's output, on
	// script.completed.
	MetaStdoutPreview = "stdout_preview"
	MetaStderrPreview = "stderr_preview"
)

// Keys of what Chief tells the monitor about itself and its runs.
const (
	// MetaRunnerID identifies the gulag-chief process identity (host and config file) on every
	// event Chief sends.
	MetaRunnerID = "runner_id"
	// On chief.heartbeat and chief.config: the runner's host, process, version and mode.
	MetaHost    = "host"
	MetaPID     = "pid"
	MetaVersion = "version"
	MetaMode    = "mode"
	// MetaConfigPath, MetaConfigHash: the runner's chief.yaml and the hash of its job specs.
	MetaConfigPath = "config_path"
	MetaConfigHash = "config_hash"
	// MetaPollIntervalSeconds is how often the daemon looks for due jobs.
	MetaPollIntervalSeconds = "poll_interval_seconds"
	// MetaHeartbeatSeconds is the runner's heartbeat period, on chief.config.
	MetaHeartbeatSeconds = "heartbeat_seconds"
	// MetaJobs is the list of job specs of a chief.config event; MetaPart and MetaParts number
	// the events a large configuration is split over.
	MetaJobs  = "jobs"
	MetaPart  = "part"
	MetaParts = "parts"
	// On a run's events: what started it ("schedule", "manual", "queued"), and which attempt
	// of how many it is.
	MetaTrigger     = "trigger"
	MetaAttempt     = "attempt"
	MetaMaxAttempts = "max_attempts"
	// MetaFinalAttempt, on job.failed, is false when Chief will retry the job.
	MetaFinalAttempt = "final_attempt"
	// MetaStdoutTail and MetaStderrTail are the last bytes (at most 4 KiB) of a script's
	// output, on script.completed.
	MetaStdoutTail = "stdout_tail"
	MetaStderrTail = "stderr_tail"
	// MetaError is Chief's kind of script failure ("timeout", "exception"), on
	// script.completed.
	MetaError = "error"
	// MetaMaxRuntimeSeconds bounds a run; MetaAlertOnEveryAttempt opens FAILURE for every
	// failed attempt, not only the last (check keys, sent only when set).
	MetaMaxRuntimeSeconds   = "max_runtime_seconds"
	MetaAlertOnEveryAttempt = "alert_on_every_attempt"
)
