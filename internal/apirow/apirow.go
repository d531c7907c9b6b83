// Package apirow holds the JSON shapes of the original — the event, check and alert rows — shared
// by the /v1 API and the alert webhooks, with their keys in the order the contract lists them
// and nullable columns always present.
package apirow

import (
	"encoding/json"
	"strings"

	"github.com/gulag/chief-monitor/models"
)

// Event is the original's event row, keys in order.
type Event struct {
	ID           int64           `json:"id"`
	ReceivedAt   string          `json:"receivedAt"`
	EventAt      string          `json:"eventAt"`
	SourceType   string          `json:"sourceType"`
	EventType    string          `json:"eventType"`
	Level        string          `json:"level"`
	Message      string          `json:"message"`
	JobName      *string         `json:"jobName"`
	ScriptPath   *string         `json:"scriptPath"`
	RunID        *string         `json:"runId"`
	ScheduledFor *string         `json:"scheduledFor"`
	Success      *bool           `json:"success"`
	ReturnCode   *int64          `json:"returnCode"`
	DurationMs   *int64          `json:"durationMs"`
	MetadataJSON string          `json:"metadataJson"`
	Metadata     json.RawMessage `json:"metadata"`
}

// ObjectOrEmpty is the stored JSON text as an object, or {} when it is not one.
func ObjectOrEmpty(s string) json.RawMessage {
	if !isObject(s) {
		return json.RawMessage("{}")
	}
	return json.RawMessage(s)
}

// isObject reports whether s is one valid JSON object, whitespace around it allowed.
func isObject(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n")
	return t != "" && t[0] == '{' && json.Valid([]byte(s))
}

// FromEvent shapes one stored event, its message and metadata bounded.
func FromEvent(e models.TelemetryEvent) Event {
	meta := MetadataJSON(e.MetadataJSON)
	return Event{ID: e.ID, ReceivedAt: e.ReceivedAt, EventAt: e.EventAt, SourceType: e.SourceType,
		EventType: e.EventType, Level: e.Level, Message: Message(e.Message), JobName: e.JobName, ScriptPath: e.ScriptPath,
		RunID: e.RunID, ScheduledFor: e.ScheduledFor, Success: e.Success, ReturnCode: e.ReturnCode,
		DurationMs: e.DurationMs, MetadataJSON: meta, Metadata: ObjectOrEmpty(meta)}
}

// FromEvents shapes stored events.
func FromEvents(in []models.TelemetryEvent) []Event {
	out := make([]Event, len(in))
	for i, e := range in {
		out[i] = FromEvent(e)
	}
	return out
}

// Check is the original's check state, keys in order.
type Check struct {
	JobName             string  `json:"jobName"`
	Enabled             bool    `json:"enabled"`
	AlertOnFailure      bool    `json:"alertOnFailure"`
	AlertOnMiss         bool    `json:"alertOnMiss"`
	GraceSeconds        int64   `json:"graceSeconds"`
	Status              string  `json:"status"`
	LastHeartbeatAt     *string `json:"lastHeartbeatAt"`
	ExpectedNextAt      *string `json:"expectedNextAt"`
	LastSuccessAt       *string `json:"lastSuccessAt"`
	LastFailureAt       *string `json:"lastFailureAt"`
	ConsecutiveFailures int64   `json:"consecutiveFailures"`
	UpdatedAt           string  `json:"updatedAt"`
}

// CheckExtras are the additive keys of a check, which come after every key of the original
// (and after latestEvent in a status row): the job's tags from chief.yaml and the alert policy
// it set itself (absent keys take the settings' defaults).
type CheckExtras struct {
	Tags   []string     `json:"tags"`
	Policy *CheckPolicy `json:"policy,omitempty"`
}

// FromCheckExtras shapes a check's additive keys.
func FromCheckExtras(c models.CheckState) CheckExtras {
	return CheckExtras{Tags: c.TagList(), Policy: checkPolicy(c)}
}

// CheckPolicy is a job's own alert policy.
type CheckPolicy struct {
	FailureThreshold   *int64   `json:"failureThreshold,omitempty"`
	RecoveryThreshold  *int64   `json:"recoveryThreshold,omitempty"`
	RealertMinutes     *int64   `json:"realertMinutes,omitempty"`
	MaxDurationSeconds *int64   `json:"maxDurationSeconds,omitempty"`
	SlowFactor         *float64 `json:"slowFactor,omitempty"`
}

func checkPolicy(c models.CheckState) *CheckPolicy {
	p := CheckPolicy{c.FailureThreshold, c.RecoveryThreshold, c.RealertMinutes, c.MaxDurationSeconds, c.SlowFactor}
	if p == (CheckPolicy{}) {
		return nil
	}
	return &p
}

// FromCheck shapes one check row.
func FromCheck(c models.CheckState) Check {
	return Check{JobName: c.JobName, Enabled: c.Enabled, AlertOnFailure: c.AlertOnFailure, AlertOnMiss: c.AlertOnMiss,
		GraceSeconds: c.GraceSeconds, Status: string(c.Status), LastHeartbeatAt: c.LastHeartbeatAt,
		ExpectedNextAt: c.ExpectedNextAt, LastSuccessAt: c.LastSuccessAt, LastFailureAt: c.LastFailureAt,
		ConsecutiveFailures: c.ConsecutiveFailures, UpdatedAt: c.UpdatedAt}
}

// Alert is the original's alert row, keys in order, then the additive keys.
type Alert struct {
	ID           int64           `json:"id"`
	JobName      string          `json:"jobName"`
	AlertType    string          `json:"alertType"`
	Severity     string          `json:"severity"`
	Status       string          `json:"status"`
	OpenedAt     string          `json:"openedAt"`
	ClosedAt     *string         `json:"closedAt"`
	DedupeKey    string          `json:"dedupeKey"`
	Title        string          `json:"title"`
	DetailsJSON  string          `json:"detailsJson"`
	Details      json.RawMessage `json:"details"`
	ClosedReason *string         `json:"closedReason"`
	ClosedBy     *string         `json:"closedBy"`
	Occurrences  int64           `json:"occurrences"`
	LastSeenAt   *string         `json:"lastSeenAt"`
	// SuppressedReason (additive) says why an open alert is held back, not delivered: a pause
	// or a maintenance window. Reminders counts the reminders sent.
	SuppressedReason *string `json:"suppressedReason"`
	Reminders        int64   `json:"reminders"`
}

// FromAlert shapes one alert row.
func FromAlert(a models.Alert) Alert {
	return Alert{ID: a.ID, JobName: a.JobName, AlertType: string(a.AlertType), Severity: string(a.Severity),
		Status: a.Status, OpenedAt: a.OpenedAt, ClosedAt: a.ClosedAt, DedupeKey: a.DedupeKey, Title: a.Title,
		DetailsJSON: a.DetailsJSON, Details: ObjectOrEmpty(a.DetailsJSON), ClosedReason: a.ClosedReason,
		ClosedBy: a.ClosedBy, Occurrences: a.Occurrences, LastSeenAt: a.LastSeenAt,
		SuppressedReason: a.SuppressedReason, Reminders: a.Reminders}
}

// FromAlerts shapes alert rows.
func FromAlerts(in []models.Alert) []Alert {
	out := make([]Alert, len(in))
	for i, a := range in {
		out[i] = FromAlert(a)
	}
	return out
}
