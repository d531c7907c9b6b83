package handlers

import (
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/apirow"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// ingestEvent is POST /v1/events: one event, 202 once it is durable.
func (h *Handler) ingestEvent(c *fiber.Ctx) error {
	arrived := h.writer.Arriving()
	defer arrived()
	ev, issues := telemetry.DecodeEvent(JSONBody(c))
	if issues != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid event payload", Details: singleDetails(issues)})
	}
	return h.record(c, []telemetry.Event{ev}, arrived)
}

// ingestBatch is POST /v1/events/batch: a bare array or {"events": [...]}; one invalid element
// rejects the whole batch and nothing is stored.
func (h *Handler) ingestBatch(c *fiber.Ctx) error {
	arrived := h.writer.Arriving()
	defer arrived()
	body := JSONBody(c)
	var elems []json.RawMessage
	wrapped := false
	invalid := func(d validationDetails) error {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid batch payload", Details: d})
	}
	collapsed := validationDetails{FormErrors: []string{"Invalid input"}, FieldErrors: map[string][]string{}}
	switch telemetry.JSONType(body) {
	case "array":
		_ = json.Unmarshal(body, &elems) // valid JSON already
	case "object":
		var wrapper map[string]json.RawMessage
		_ = json.Unmarshal(body, &wrapper)
		raw, ok := wrapper["events"]
		if !ok || telemetry.JSONType(raw) != "array" {
			got := "undefined"
			if ok {
				got = telemetry.JSONType(raw)
			}
			collapsed.Issues = []issue{{Path: "events", Message: "Expected array, received " + got}}
			return invalid(collapsed)
		}
		_ = json.Unmarshal(raw, &elems)
		wrapped = true
	}
	events := make([]telemetry.Event, 0, len(elems))
	lengthOnly := validationDetails{FormErrors: []string{}, FieldErrors: map[string][]string{}}
	anyType := false
	for i, raw := range elems {
		ev, issues := telemetry.DecodeEvent(raw)
		if issues == nil {
			events = append(events, ev)
			continue
		}
		idx := strconv.Itoa(i)
		for _, is := range issues {
			path := idx
			if wrapped {
				path = "events." + idx
			}
			if is.Field != "" {
				path += "." + is.Field
			}
			collapsed.Issues = append(collapsed.Issues, issue{Path: path, Message: is.Message})
			lengthOnly.Issues = append(lengthOnly.Issues, issue{Path: path, Message: is.Message})
			if is.Kind == telemetry.IssueType {
				anyType = true
			}
			key := idx
			if wrapped {
				key = "events"
			}
			lengthOnly.FieldErrors[key] = append(lengthOnly.FieldErrors[key], is.Message)
		}
	}
	if anyType {
		return invalid(collapsed)
	}
	if len(lengthOnly.FieldErrors) > 0 {
		return invalid(lengthOnly)
	}
	return h.record(c, events, arrived)
}

// record submits events to the writer; arrived tells it this request is no longer on its way.
func (h *Handler) record(c *fiber.Ctx, events []telemetry.Event, arrived func()) error {
	arrived()
	res, err := h.writer.Record(c.UserContext(), events, h.now())
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusAccepted, telemetry.IngestResponse{Inserted: res.Inserted, Dropped: res.Dropped, Duplicates: res.Duplicates})
}

// eventFilter reads the /v1/events and /events filters from the query.
func eventFilter(c *fiber.Ctx) store.EventFilter {
	limit, offset := pagination(c)
	return store.EventFilter{JobName: singleQuery(c, "jobName"), ScriptPath: singleQuery(c, "scriptPath"),
		Level: singleQuery(c, "level"), EventType: singleQuery(c, "eventType"), From: singleQuery(c, "from"),
		To: singleQuery(c, "to"), Tag: singleQuery(c, "tag"), Limit: limit, Offset: offset}
}

// listEvents is GET /v1/events.
func (h *Handler) listEvents(c *fiber.Ctx) error {
	if name := repeatedParam(c, eventFilterParams); name != "" {
		return repeatedParamError(c, name)
	}
	f := eventFilter(c)
	evs, err := h.st.Events(c.UserContext(), f)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, eventsResponse{Events: apirow.FromEvents(evs), Limit: f.Limit, Offset: f.Offset})
}

type eventsResponse struct {
	Events []apirow.Event `json:"events"`
	Limit  int            `json:"limit"`
	Offset int            `json:"offset"`
}
