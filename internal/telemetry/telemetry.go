// Package telemetry is the wire contract shared by gulag-chief, the worker helpers and the
// monitor: the event payload, its level and source vocabularies, and the two timestamp formats.
// It imports nothing of ours.
package telemetry

import (
	"encoding/json"
	"time"
)

// Source types accepted by the monitor.
const (
	SourceChief   = "chief"
	SourceWorker  = "worker"
	SourceMonitor = "monitor"
)

// Levels accepted by the monitor, lowest first.
const (
	LevelDebug    = "DEBUG"
	LevelInfo     = "INFO"
	LevelWarn     = "WARN"
	LevelError    = "ERROR"
	LevelCritical = "CRITICAL"
)

// Levels lists every level in ascending severity.
var Levels = []string{LevelDebug, LevelInfo, LevelWarn, LevelError, LevelCritical}

// SourceTypes lists every accepted source type.
var SourceTypes = []string{SourceChief, SourceWorker, SourceMonitor}

// Event types produced by Chief and the worker helpers.
const (
	EventChiefHeartbeat   = "chief.heartbeat"
	EventDaemonDispatch   = "daemon.dispatch"
	EventJobStarted       = "job.started"
	EventScriptStarted    = "script.started"
	EventScriptCompleted  = "script.completed"
	EventJobCompleted     = "job.completed"
	EventJobFailed        = "job.failed"
	EventJobNextScheduled = "job.next_scheduled"
	EventOverlapSkipped   = "daemon.overlap_skipped"
	EventQueuedPending    = "daemon.queued_pending"
	EventWorkerMessage    = "worker.message"
	// EventChiefConfig describes the runner and every job of its configuration; Chief sends it
	// at start and after each successful reload, split into parts when it is large.
	EventChiefConfig = "chief.config"
	// EventJobRetrying follows a job.failed that is not the job's final attempt.
	EventJobRetrying = "job.retrying"
)

// Event is one telemetry payload as a producer sends it. Optional keys are pointers so that an
// absent key is omitted from the JSON entirely (never sent as null), as the monitor requires.
type Event struct {
	// EventID is an optional client-chosen id (at most 128 characters); the monitor acknowledges
	// but does not store or apply a repeated id, so replayed spools never double-count.
	EventID      string          `json:"eventId,omitempty"`
	SourceType   string          `json:"sourceType"`
	EventType    string          `json:"eventType"`
	Level        string          `json:"level"`
	Message      string          `json:"message"`
	EventAt      string          `json:"eventAt,omitempty"`
	JobName      *string         `json:"jobName,omitempty"`
	ScriptPath   *string         `json:"scriptPath,omitempty"`
	RunID        *string         `json:"runId,omitempty"`
	ScheduledFor *string         `json:"scheduledFor,omitempty"`
	Success      *bool           `json:"success,omitempty"`
	ReturnCode   *int64          `json:"returnCode,omitempty"`
	DurationMs   *int64          `json:"durationMs,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
}

// Batch is the wrapped body of POST /v1/events/batch.
type Batch struct {
	Events []Event `json:"events"`
}

// IngestResponse is the 202 body of both ingest routes.
type IngestResponse struct {
	Inserted int `json:"inserted"`
	Dropped  int `json:"dropped"`
	// Duplicates counts accepted events whose eventId was already stored (additive).
	Duplicates int `json:"duplicates,omitempty"`
}

// ServerTimeLayout is the monitor's timestamp format: UTC, milliseconds, literal Z (24 chars),
// what JavaScript's toISOString produces.
const ServerTimeLayout = "2006-01-02T15:04:05.000Z"

// ServerTime formats t the way the monitor stamps every value it generates.
func ServerTime(t time.Time) string {
	return t.UTC().Format(ServerTimeLayout)
}

// ChiefTime formats t the way Chief writes every timestamp it sends: seconds, then a six-digit
// microsecond fraction only when it is non-zero, then a +HH:MM offset (UTC is +00:00, never Z).
func ChiefTime(t time.Time) string {
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}

// ParseTime parses a client timestamp: RFC 3339 with any fraction and a Z or numeric offset,
// a date-time without an offset (taken as UTC), or a bare date (UTC midnight). ok is false when
// the text is none of these.
func ParseTime(s string) (t time.Time, ok bool) {
	for _, layout := range parseLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), true
		}
	}
	return time.Time{}, false
}

var parseLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}
