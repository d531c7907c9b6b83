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
