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
	// MetaMaxRuntimeSeconds is the longest a run may take before the monitor reports it, in the
	// check metadata; sent only when chief.yaml sets it.
	MetaMaxRuntimeSeconds = "max_runtime_seconds"
	// MetaAlertOnEveryAttempt makes every failed attempt open a FAILURE alert, not only the
	// final one; sent (true) only when set.
	MetaAlertOnEveryAttempt = "alert_on_every_attempt"
	// MetaStdoutTail and MetaStderrTail are the last 4096 bytes of a script's output, on
	// script.completed: a failure is usually explained at the end.
	MetaStdoutTail = "stdout_tail"
	MetaStderrTail = "stderr_tail"
)

// Alert policy and tags, in the check metadata of every job lifecycle event; each is sent only
// when chief.yaml sets it. On an event that carries the check metadata (check_enabled), a key
// that is absent clears the job's setting, so removing it from chief.yaml takes effect.
const (
	// MetaTags is the job's tags, a JSON array of strings.
	MetaTags = "tags"
	// MetaFailureThreshold opens FAILURE only after that many consecutive failed runs.
	MetaFailureThreshold = "failure_threshold"
	// MetaRecoveryThreshold closes FAILURE only after that many consecutive successful runs.
	MetaRecoveryThreshold = "recovery_threshold"
	// MetaRealertMinutes reminds about a still-open alert every that many minutes.
	MetaRealertMinutes = "realert_minutes"
	// MetaMaxDurationSeconds flags a run that took longer than that (a SLOW alert).
	MetaMaxDurationSeconds = "max_duration_seconds"
	// MetaSlowFactor flags a run that took more than that many times the job's usual duration.
	MetaSlowFactor = "slow_factor"
)

// Run metadata, on every job-scoped event of a run.
const (
	// MetaTrigger says what started the run: TriggerSchedule, TriggerManual or TriggerQueued.
	MetaTrigger = "trigger"
	// MetaAttempt is the run's attempt number, 1-based; MetaMaxAttempts is retries + 1.
	MetaAttempt     = "attempt"
	MetaMaxAttempts = "max_attempts"
	// MetaFinalAttempt is on every job.failed: false when another attempt follows, so the
	// monitor opens FAILURE only for a final one.
	MetaFinalAttempt = "final_attempt"
	// MetaRetryDelaySeconds, MetaNextAttempt and MetaNextAttemptAt are on job.retrying.
	MetaRetryDelaySeconds = "retry_delay_seconds"
	MetaNextAttempt       = "next_attempt"
	MetaNextAttemptAt     = "next_attempt_at"
)

// Trigger values of MetaTrigger.
const (
	TriggerSchedule = "schedule" // the daemon's schedule (and --run-on-start)
	TriggerManual   = "manual"   // gulag-chief run
	TriggerQueued   = "queued"   // the daemon's overlap queue, after the previous run ended
)

// Runner metadata. MetaRunnerID is on every event Chief sends itself; the others are on
// chief.heartbeat and chief.config.
const (
	// MetaRunnerID is hex of the first 16 bytes of SHA-256(hostname + "\n" + config path).
	MetaRunnerID            = "runner_id"
	MetaHost                = "host"
	MetaPID                 = "pid"
	MetaVersion             = "version"
	MetaMode                = "mode"
	MetaConfigHash          = "config_hash"
	MetaPollIntervalSeconds = "poll_interval_seconds"
)

// chief.config metadata.
const (
	MetaConfigPath       = "config_path"
	MetaHeartbeatSeconds = "heartbeat_seconds"
	MetaJobs             = "jobs"
	// MetaPart and MetaParts number the events of one configuration (1-based; parts is 1 when
	// the jobs fit in one event).
	MetaPart  = "part"
	MetaParts = "parts"
)

// MetaError is Chief's kind of script failure ("timeout", "exception"), on script.completed.
const MetaError = "error"
