package handlers

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/models"
)

// writeJSON answers with compact JSON and the reference's content type.
func writeJSON(c *fiber.Ctx, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
	return c.Send(b)
}

// errorBody is the common {"error": ...} shape.
type errorBody struct {
	Error string `json:"error"`
}

// eventRow is the EventRow of spec §4.0, keys in order.
type eventRow struct {
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

func objectOrEmpty(s string) json.RawMessage {
	b := []byte(s)
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return json.RawMessage("{}")
	}
	return json.RawMessage(b)
}

func toEventRow(e models.TelemetryEvent) eventRow {
	return eventRow{ID: e.ID, ReceivedAt: e.ReceivedAt, EventAt: e.EventAt, SourceType: e.SourceType,
		EventType: e.EventType, Level: e.Level, Message: e.Message, JobName: e.JobName, ScriptPath: e.ScriptPath,
		RunID: e.RunID, ScheduledFor: e.ScheduledFor, Success: e.Success, ReturnCode: e.ReturnCode,
		DurationMs: e.DurationMs, MetadataJSON: e.MetadataJSON, Metadata: objectOrEmpty(e.MetadataJSON)}
}

func toEventRows(in []models.TelemetryEvent) []eventRow {
	out := make([]eventRow, len(in))
	for i, e := range in {
		out[i] = toEventRow(e)
	}
	return out
}

// checkRow is the CheckState of spec §4.0, keys in order.
type checkRow struct {
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

func toCheckRow(c models.CheckState) checkRow {
	return checkRow{JobName: c.JobName, Enabled: c.Enabled, AlertOnFailure: c.AlertOnFailure, AlertOnMiss: c.AlertOnMiss,
		GraceSeconds: c.GraceSeconds, Status: string(c.Status), LastHeartbeatAt: c.LastHeartbeatAt,
		ExpectedNextAt: c.ExpectedNextAt, LastSuccessAt: c.LastSuccessAt, LastFailureAt: c.LastFailureAt,
		ConsecutiveFailures: c.ConsecutiveFailures, UpdatedAt: c.UpdatedAt}
}

// alertRow is the AlertRow of spec §4.0, keys in order, then the additive keys of fixes A7/A8.
type alertRow struct {
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
}

func toAlertRow(a models.Alert) alertRow {
	return alertRow{ID: a.ID, JobName: a.JobName, AlertType: string(a.AlertType), Severity: string(a.Severity),
		Status: a.Status, OpenedAt: a.OpenedAt, ClosedAt: a.ClosedAt, DedupeKey: a.DedupeKey, Title: a.Title,
		DetailsJSON: a.DetailsJSON, Details: objectOrEmpty(a.DetailsJSON), ClosedReason: a.ClosedReason,
		ClosedBy: a.ClosedBy, Occurrences: a.Occurrences, LastSeenAt: a.LastSeenAt}
}

func toAlertRows(in []models.Alert) []alertRow {
	out := make([]alertRow, len(in))
	for i, a := range in {
		out[i] = toAlertRow(a)
	}
	return out
}
