// Package models holds the gorm row structs of the monitor's tables and their enums, one file
// per concept. It does no I/O.
package models

import (
	"encoding/json"
	"time"
)

// CheckStatus is the health of one job's check.
type CheckStatus string

// Check statuses.
const (
	StatusUp   CheckStatus = "UP"
	StatusLate CheckStatus = "LATE"
	StatusDown CheckStatus = "DOWN"
)

// String returns the status text.
func (s CheckStatus) String() string { return string(s) }

// AlertType is the kind of an alert.
type AlertType string

// Alert types.
const (
	AlertFailure  AlertType = "FAILURE"
	AlertMissed   AlertType = "MISSED"
	AlertRecovery AlertType = "RECOVERY"
	// AlertRunnerDown is a Chief daemon that stopped sending heartbeats; the MISSED alerts of
	// its jobs are held under it.
	AlertRunnerDown AlertType = "RUNNER_DOWN"
	// AlertHung is a run still running past its job's maximum runtime while its runner is alive.
	AlertHung AlertType = "HUNG"
	// AlertSlow is a run that took longer than its job's max_duration_seconds, or slow_factor
	// times its usual duration.
	AlertSlow AlertType = "SLOW"
)

// String returns the type text.
func (t AlertType) String() string { return string(t) }

// AlertTypes lists every alert type in canonical order.
var AlertTypes = []AlertType{AlertFailure, AlertMissed, AlertRecovery}

// Severity is an alert's severity.
type Severity string

// Severities. CRITICAL exists for filters only; the engine never produces it.
const (
	SeverityInfo     Severity = "INFO"
	SeverityWarn     Severity = "WARN"
	SeverityError    Severity = "ERROR"
	SeverityCritical Severity = "CRITICAL"
)

// Alert statuses.
const (
	AlertOpen   = "OPEN"
	AlertClosed = "CLOSED"
)

// Reasons recorded in alerts.closed_reason for automatic closes.
const (
	CloseAutoHeartbeat = "auto:heartbeat"
	CloseAutoSuccess   = "auto:success"
	CloseAutoTTL       = "auto:ttl"
	CloseAutoDisabled  = "auto:disabled"
	CloseAutoRetired   = "auto:retired"
	CloseAutoFinished  = "auto:finished"
	CloseAutoNormal    = "auto:normal-duration"
)

// TelemetryEvent is one row of telemetry_events.
type TelemetryEvent struct {
	ID           int64   `gorm:"column:id;primaryKey"`
	ReceivedAt   string  `gorm:"column:received_at"`
	EventAt      string  `gorm:"column:event_at"`
	SourceType   string  `gorm:"column:source_type"`
	EventType    string  `gorm:"column:event_type"`
	Level        string  `gorm:"column:level"`
	Message      string  `gorm:"column:message"`
	JobName      *string `gorm:"column:job_name"`
	ScriptPath   *string `gorm:"column:script_path"`
	RunID        *string `gorm:"column:run_id"`
	ScheduledFor *string `gorm:"column:scheduled_for"`
	Success      *bool   `gorm:"column:success"`
	ReturnCode   *int64  `gorm:"column:return_code"`
	DurationMs   *int64  `gorm:"column:duration_ms"`
	MetadataJSON string  `gorm:"column:metadata_json"`
	EventAtMs    int64   `gorm:"column:event_at_ms"`
	EventID      *string `gorm:"column:event_id"`
	// ServerTimed is set at ingest when the producer sent no eventAt: the event is "now" and
	// can never be a late replay. Not stored.
	ServerTimed bool `gorm:"-"`
}

// TableName maps the struct to the reference table name.
func (TelemetryEvent) TableName() string { return "telemetry_events" }

// EventTime is the event's instant (the parsed eventAt, or its receipt when that did not parse).
func (e TelemetryEvent) EventTime() time.Time { return time.UnixMilli(e.EventAtMs).UTC() }

// CheckState is one row of check_states: the health of one job.
type CheckState struct {
	JobName             string      `gorm:"column:job_name;primaryKey"`
	Enabled             bool        `gorm:"column:enabled"`
	AlertOnFailure      bool        `gorm:"column:alert_on_failure"`
	AlertOnMiss         bool        `gorm:"column:alert_on_miss"`
	GraceSeconds        int64       `gorm:"column:grace_seconds"`
	Status              CheckStatus `gorm:"column:status"`
	LastHeartbeatAt     *string     `gorm:"column:last_heartbeat_at"`
	ExpectedNextAt      *string     `gorm:"column:expected_next_at"`
	LastSuccessAt       *string     `gorm:"column:last_success_at"`
	LastFailureAt       *string     `gorm:"column:last_failure_at"`
	ConsecutiveFailures int64       `gorm:"column:consecutive_failures"`
	UpdatedAt           string      `gorm:"column:updated_at"`
	ExpectedNextMs      *int64      `gorm:"column:expected_next_ms"`
	SatisfiedExpectedAt *string     `gorm:"column:satisfied_expected_at"`
	LastHeartbeatMs     *int64      `gorm:"column:last_heartbeat_ms"`
	LastSuccessMs       *int64      `gorm:"column:last_success_ms"`
	LastFailureMs       *int64      `gorm:"column:last_failure_ms"`
	LatestEventID       *int64      `gorm:"column:latest_event_id"`
	LatestEventMs       *int64      `gorm:"column:latest_event_ms"`
	// RetiredAt and RetiredReason are set while the job is in no runner's configuration: the
	// check is kept and shown, but no run is expected of it.
	RetiredAt     *string `gorm:"column:retired_at"`
	RetiredReason *string `gorm:"column:retired_reason"`
	// LastRunID and LastRunMs are the job's newest run, by when it started.
	LastRunID *string `gorm:"column:last_run_id"`
	LastRunMs *int64  `gorm:"column:last_run_ms"`
	// Tags is the job's tags from chief.yaml, as a sorted JSON array of strings.
	Tags string `gorm:"column:tags"`
	// The job's alert policy from its check metadata; nil takes the settings' default.
	FailureThreshold   *int64   `gorm:"column:failure_threshold"`
	RecoveryThreshold  *int64   `gorm:"column:recovery_threshold"`
	RealertMinutes     *int64   `gorm:"column:realert_minutes"`
	MaxDurationSeconds *int64   `gorm:"column:max_duration_seconds"`
	SlowFactor         *float64 `gorm:"column:slow_factor"`
	// ConsecutiveSuccesses counts successes since the last failure, for the recovery threshold.
	ConsecutiveSuccesses int64 `gorm:"column:consecutive_successes"`
}

// TableName maps the struct to the reference table name.
func (CheckState) TableName() string { return "check_states" }

// TagList is the job's tags, never nil; a damaged or empty column reads as none.
func (c CheckState) TagList() []string {
	tags := []string{}
	_ = json.Unmarshal([]byte(c.Tags), &tags)
	return tags
}

// Satisfied reports whether a heartbeat already met the current expectation.
func (c CheckState) Satisfied() bool {
	return c.ExpectedNextAt != nil && c.SatisfiedExpectedAt != nil && *c.ExpectedNextAt == *c.SatisfiedExpectedAt
}

// Alert is one row of alerts.
type Alert struct {
	ID           int64     `gorm:"column:id;primaryKey"`
	JobName      string    `gorm:"column:job_name"`
	AlertType    AlertType `gorm:"column:alert_type"`
	Severity     Severity  `gorm:"column:severity"`
	Status       string    `gorm:"column:status"`
	OpenedAt     string    `gorm:"column:opened_at"`
	ClosedAt     *string   `gorm:"column:closed_at"`
	DedupeKey    string    `gorm:"column:dedupe_key"`
	Title        string    `gorm:"column:title"`
	DetailsJSON  string    `gorm:"column:details_json"`
	ClosedReason *string   `gorm:"column:closed_reason"`
	ClosedBy     *string   `gorm:"column:closed_by"`
	LastSeenAt   *string   `gorm:"column:last_seen_at"`
	Occurrences  int64     `gorm:"column:occurrences"`
	// SuppressedReason is set while the alert is held back by a pause or a maintenance window:
	// it is open and shown, but not delivered.
	SuppressedReason *string `gorm:"column:suppressed_reason"`
	// Reminders counts the reminders sent; LastNotifiedAt is when the alert or its latest
	// reminder was queued for delivery.
	Reminders      int64   `gorm:"column:reminders"`
	LastNotifiedAt *string `gorm:"column:last_notified_at"`
}

// TableName maps the struct to the reference table name.
func (Alert) TableName() string { return "alerts" }
