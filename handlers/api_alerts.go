package handlers

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/apirow"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

type alertsResponse struct {
	Alerts []apirow.Alert `json:"alerts"`
	Limit  int            `json:"limit"`
	Offset int            `json:"offset"`
}

// alertFilter reads the alert filters from the query.
func alertFilter(c *fiber.Ctx) store.AlertFilter {
	limit, offset := pagination(c)
	return store.AlertFilter{JobName: singleQuery(c, "jobName"), Status: singleQuery(c, "status"),
		AlertType: singleQuery(c, "alertType"), Severity: singleQuery(c, "severity"), Tag: singleQuery(c, "tag"),
		Limit: limit, Offset: offset}
}

// listAlerts is GET /v1/alerts.
func (h *Handler) listAlerts(c *fiber.Ctx) error {
	if name := repeatedParam(c, alertFilterParams); name != "" {
		return repeatedParamError(c, name)
	}
	f := alertFilter(c)
	alerts, err := h.st.Alerts(c.UserContext(), f)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, alertsResponse{Alerts: apirow.FromAlerts(alerts), Limit: f.Limit, Offset: f.Offset})
}

// alertIDParam parses :alertId, which must be a plain positive decimal integer (digits only): a
// leading-integer reading would let "2x" or "2 OR 1=1" act on alert 2.
func alertIDParam(c *fiber.Ctx) (int64, bool) {
	raw, err := pathParam(c, "alertId")
	if err != nil || raw == "" || strings.Trim(raw, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	return n, err == nil && n > 0
}

type alertNotFound struct {
	Error   string `json:"error"`
	AlertID int64  `json:"alertId"`
}

type closedAlert struct {
	ID       int64   `json:"id"`
	Status   string  `json:"status"`
	ClosedAt *string `json:"closedAt"`
}

type closeResponse struct {
	Found   bool        `json:"found"`
	Updated bool        `json:"updated"`
	Reason  string      `json:"reason"`
	Alert   closedAlert `json:"alert"`
}

// closeReason validates the optional {"reason": string} body: trimmed, 1–200 characters,
// "manual" when absent.
func closeReason(body json.RawMessage) (string, *validationDetails) {
	bad := func(field, msg string) (string, *validationDetails) {
		d := validationDetails{FormErrors: []string{}, FieldErrors: map[string][]string{}}
		if field == "" {
			d.FormErrors = append(d.FormErrors, msg)
		} else {
			d.FieldErrors[field] = []string{msg}
			d.Issues = []issue{{Path: field, Message: msg}}
		}
		return "", &d
	}
	if t := telemetry.JSONType(body); t != "object" {
		return bad("", "Expected object, received "+t)
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m) // valid JSON object already
	raw, ok := m["reason"]
	if !ok {
		return "manual", nil
	}
	if t := telemetry.JSONType(raw); t != "string" {
		return bad("reason", "Expected string, received "+t)
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	s = strings.TrimSpace(s)
	n := services.ReasonUnits(s)
	switch {
	case n < 1:
		return bad("reason", "String must contain at least 1 character(s)")
	case n > services.ReasonMaxUnits:
		return bad("reason", "String must contain at most 200 character(s)")
	}
	return s, nil
}

// closeAlert is POST /v1/alerts/:alertId/close. It records the reason and who closed the alert
// and is idempotent.
func (h *Handler) closeAlert(c *fiber.Ctx) error {
	id, ok := alertIDParam(c)
	if !ok {
		return writeJSON(c, fiber.StatusBadRequest, errorBody{Error: "alertId must be a positive integer"})
	}
	reason, verr := closeReason(JSONBody(c))
	if verr != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid close payload", Details: *verr})
	}
	a, updated, err := h.alerts.Close(c.UserContext(), id, reason, actorFrom(c), h.now())
	if errors.Is(err, store.ErrNotFound) {
		return writeJSON(c, fiber.StatusNotFound, alertNotFound{Error: "Alert not found", AlertID: id})
	}
	if err != nil {
		return err
	}
	if updated {
		h.auditAlertClose(c, a, reason)
	}
	return writeJSON(c, fiber.StatusOK, closeResponse{Found: true, Updated: updated, Reason: reason,
		Alert: closedAlert{ID: a.ID, Status: a.Status, ClosedAt: a.ClosedAt}})
}

type deliveryRow struct {
	ID           int64   `json:"id"`
	AlertID      int64   `json:"alertId"`
	Channel      string  `json:"channel"`
	AttemptedAt  string  `json:"attemptedAt"`
	Status       string  `json:"status"`
	ResponseCode *int64  `json:"responseCode"`
	ErrorText    *string `json:"errorText"`
	// Additive: the channel instance, attempts so far, and when a PENDING row is due.
	Target        *string `json:"target"`
	Attempt       int64   `json:"attempt"`
	NextAttemptAt *string `json:"nextAttemptAt"`
}

func toDeliveryRows(in []models.AlertDelivery) []deliveryRow {
	out := make([]deliveryRow, len(in))
	for i, d := range in {
		out[i] = deliveryRow{ID: d.ID, AlertID: d.AlertID, Channel: d.Channel, AttemptedAt: d.AttemptedAt,
			Status: d.Status, ResponseCode: d.ResponseCode, ErrorText: d.ErrorText, Target: d.Target, Attempt: d.Attempt}
		if d.Status == models.DeliveryPending && d.NextAttemptAtMs != nil {
			ts := telemetry.ServerTime(time.UnixMilli(*d.NextAttemptAtMs))
			out[i].NextAttemptAt = &ts
		}
	}
	return out
}

// listDeliveries is GET /v1/alerts/:alertId/deliveries.
func (h *Handler) listDeliveries(c *fiber.Ctx) error {
	id, ok := alertIDParam(c)
	if !ok {
		return writeJSON(c, fiber.StatusBadRequest, errorBody{Error: "alertId must be a positive integer"})
	}
	if _, err := h.st.Alert(c.UserContext(), id); errors.Is(err, store.ErrNotFound) {
		return writeJSON(c, fiber.StatusNotFound, alertNotFound{Error: "Alert not found", AlertID: id})
	} else if err != nil {
		return err
	}
	ds, err := h.st.Deliveries(c.UserContext(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, struct {
		Deliveries []deliveryRow `json:"deliveries"`
	}{toDeliveryRows(ds)})
}
