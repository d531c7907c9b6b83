package models

// Runner is one row of runners: one gulag-chief process identity (a host and a config file),
// as its heartbeats and chief.config events describe it.
type Runner struct {
	ID                  string `gorm:"column:runner_id;primaryKey"`
	Host                string `gorm:"column:host"`
	PID                 *int64 `gorm:"column:pid"`
	Version             string `gorm:"column:version"`
	Mode                string `gorm:"column:mode"`
	ConfigPath          string `gorm:"column:config_path"`
	ConfigHash          string `gorm:"column:config_hash"`
	PollIntervalSeconds *int64 `gorm:"column:poll_interval_seconds"`
	HeartbeatSeconds    *int64 `gorm:"column:heartbeat_seconds"`
	FirstSeenAt         string `gorm:"column:first_seen_at"`
	LastSeenAt          string `gorm:"column:last_seen_at"`
	LastSeenMs          int64  `gorm:"column:last_seen_ms"`
}

// TableName maps the struct to its table.
func (Runner) TableName() string { return "runners" }

// JobSpec is one row of job_specs: how one runner's configuration declares one job, as the
// JSON object of its chief.config event.
type JobSpec struct {
	JobName    string `gorm:"column:job_name;primaryKey"`
	RunnerID   string `gorm:"column:runner_id;primaryKey"`
	ConfigHash string `gorm:"column:config_hash"`
	SpecJSON   string `gorm:"column:spec_json"`
	UpdatedAt  string `gorm:"column:updated_at"`
}

// TableName maps the struct to its table.
func (JobSpec) TableName() string { return "job_specs" }
