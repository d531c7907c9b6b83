package models

// RunStatus is what became of one run of a job.
type RunStatus string

// Run statuses.
const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
	RunTimedOut  RunStatus = "timed_out"
	RunHung      RunStatus = "hung"
	RunLost      RunStatus = "lost"
	RunSkipped   RunStatus = "skipped"
)

// Finished reports whether the run has an outcome.
func (s RunStatus) Finished() bool { return s != RunRunning && s != RunHung }

// Run is one row of runs: one execution of a job by a runner, built at ingest from the run's
// lifecycle events (job.started, script.*, job.completed/failed).
type Run struct {
	RunID        string    `gorm:"column:run_id;primaryKey"`
	JobName      string    `gorm:"column:job_name"`
	RunnerID     *string   `gorm:"column:runner_id"`
	Trigger      *string   `gorm:"column:trigger"`
	Attempt      *int64    `gorm:"column:attempt"`
	MaxAttempts  *int64    `gorm:"column:max_attempts"`
	ScheduledFor *string   `gorm:"column:scheduled_for"`
	StartedAt    *string   `gorm:"column:started_at"`
	StartedMs    *int64    `gorm:"column:started_ms"`
	FinishedAt   *string   `gorm:"column:finished_at"`
	FinishedMs   *int64    `gorm:"column:finished_ms"`
	DurationMs   *int64    `gorm:"column:duration_ms"`
	Status       RunStatus `gorm:"column:status"`
	// FailingScript, ExitCode, ErrorLine and the tails say why a run failed: the first
	// script that did, its exit code, the first line of its error output, and the end of both
	// its streams.
	FailingScript *string `gorm:"column:failing_script"`
	ExitCode      *int64  `gorm:"column:exit_code"`
	ErrorLine     *string `gorm:"column:error_line"`
	StderrTail    *string `gorm:"column:stderr_tail"`
	StdoutTail    *string `gorm:"column:stdout_tail"`
	// ScriptsJSON is the list of RunScript, in order, as JSON.
	ScriptsJSON string `gorm:"column:scripts_json"`
	// SortMs orders runs: when the run started, or when its first event happened.
	SortMs    int64  `gorm:"column:sort_ms"`
	UpdatedAt string `gorm:"column:updated_at"`
}

// TableName maps the struct to its table.
func (Run) TableName() string { return "runs" }

// RunScript is one script of a run.
type RunScript struct {
	Path       string  `json:"path"`
	StartedAt  *string `json:"startedAt"`
	FinishedAt *string `json:"finishedAt"`
	DurationMs *int64  `json:"durationMs"`
	ExitCode   *int64  `json:"exitCode"`
	Success    *bool   `json:"success"`
	// Error is Chief's kind of failure ("timeout", "exception"), if any.
	Error *string `json:"error"`
}
