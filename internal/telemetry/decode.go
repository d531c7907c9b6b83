package telemetry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
)

// The monitor decodes every incoming event here, once, into an Event: type checks in the
// original's (zod's) wording first, then the values through the validator, then the input
// limits. Producers never need this; they build Events and send them.

// IssueKind separates type and enum problems from length problems: a batch collapses the
// former to "Invalid input" like the original's union schema did.
type IssueKind int

// Issue kinds.
const (
	IssueType IssueKind = iota
	IssueLength
)

// Issue is one problem of a decoded event: the top-level field ("" for the event as a whole),
// the message in the original's wording, and its kind.
type Issue struct {
	Field   string
	Message string
	Kind    IssueKind
}

// eventInput is an event after type checks; the validator checks its values.
type eventInput struct {
	EventID      *string `json:"eventId" validate:"omitempty,min=1,max=128"`
	SourceType   string  `json:"sourceType" validate:"oneof=chief worker monitor"`
	EventType    string  `json:"eventType" validate:"min=1"`
	Level        string  `json:"level" validate:"oneof=DEBUG INFO WARN ERROR CRITICAL"`
	Message      string  `json:"message" validate:"min=1"`
	EventAt      *string `json:"eventAt"`
	JobName      *string `json:"jobName"`
	ScriptPath   *string `json:"scriptPath"`
	RunID        *string `json:"runId"`
	ScheduledFor *string `json:"scheduledFor"`
	Success      *bool   `json:"success"`
	ReturnCode   *int64  `json:"returnCode"`
	DurationMs   *int64  `json:"durationMs"`
	Metadata     []byte  `json:"metadata"`
}

// validate checks decoded events; it caches what it learns of eventInput, and is safe for
// concurrent use.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		return name
	})
	return v
}

// JSONType names the JSON type of raw as JavaScript's typeof would in the original's messages
// ("undefined" when raw is empty).
func JSONType(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "undefined"
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// DecodeEvent type-checks one event object and validates its values. It returns the event,
// or the issues found.
func DecodeEvent(raw json.RawMessage) (Event, []Issue) {
	if t := JSONType(raw); t != "object" {
		return Event{}, []Issue{{Message: "Expected object, received " + t, Kind: IssueType}}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return Event{}, []Issue{{Message: "Invalid JSON object", Kind: IssueType}}
	}
	var in eventInput
	var issues []Issue
	str := func(name string, required bool) (string, *string) {
		v, ok := m[name]
		if !ok {
			if required {
				issues = append(issues, Issue{Field: name, Message: "Required", Kind: IssueType})
			}
			return "", nil
		}
		if t := JSONType(v); t != "string" {
			issues = append(issues, Issue{Field: name, Message: "Expected string, received " + t, Kind: IssueType})
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			issues = append(issues, Issue{Field: name, Message: "Invalid string", Kind: IssueType})
			return "", nil
		}
		if msg := textProblem(name, s); msg != "" {
			issues = append(issues, Issue{Field: name, Message: msg, Kind: IssueLength})
			return "", nil
		}
		return s, &s
	}
	in.SourceType, _ = str("sourceType", true)
	in.EventType, _ = str("eventType", true)
	in.Level, _ = str("level", true)
	in.Message, _ = str("message", true)
	_, in.EventID = str("eventId", false)
	_, in.EventAt = str("eventAt", false)
	_, in.JobName = str("jobName", false)
	_, in.ScriptPath = str("scriptPath", false)
	_, in.RunID = str("runId", false)
	_, in.ScheduledFor = str("scheduledFor", false)
	if v, ok := m["success"]; ok {
		if t := JSONType(v); t != "boolean" {
			issues = append(issues, Issue{Field: "success", Message: "Expected boolean, received " + t, Kind: IssueType})
		} else {
			b := bytes.HasPrefix(bytes.TrimSpace(v), []byte("t"))
			in.Success = &b
		}
	}
	for _, f := range []struct {
		name string
		dst  **int64
	}{{"returnCode", &in.ReturnCode}, {"durationMs", &in.DurationMs}} {
		v, ok := m[f.name]
		if !ok {
			continue
		}
		n, msg := parseInteger(v)
		if msg != "" {
			issues = append(issues, Issue{Field: f.name, Message: msg, Kind: IssueType})
			continue
		}
		*f.dst = &n
	}
	if v, ok := m["metadata"]; ok {
		if t := JSONType(v); t != "object" {
			issues = append(issues, Issue{Field: "metadata", Message: "Expected object, received " + t, Kind: IssueType})
		} else {
			var buf bytes.Buffer
			if err := json.Compact(&buf, v); err != nil {
				issues = append(issues, Issue{Field: "metadata", Message: "Invalid JSON object", Kind: IssueType})
			} else if msg := metadataProblem(buf.Bytes()); msg != "" {
				issues = append(issues, Issue{Field: "metadata", Message: msg, Kind: IssueLength})
			} else {
				in.Metadata = buf.Bytes()
			}
		}
	}
	if err := validate.Struct(&in); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return Event{}, []Issue{{Message: err.Error(), Kind: IssueType}}
		}
		typed := map[string]bool{}
		for _, is := range issues {
			typed[is.Field] = true
		}
		for _, fe := range verrs {
			if !typed[fe.Field()] { // a field with a type error has no value to check
				issues = append(issues, translate(fe))
			}
		}
	}
	if len(issues) > 0 {
		return Event{}, issues
	}
	ev := Event{SourceType: in.SourceType, EventType: in.EventType, Level: in.Level, Message: in.Message,
		JobName: in.JobName, ScriptPath: in.ScriptPath, RunID: in.RunID, ScheduledFor: in.ScheduledFor,
		Success: in.Success, ReturnCode: in.ReturnCode, DurationMs: in.DurationMs, Metadata: in.Metadata}
	if in.EventID != nil {
		ev.EventID = *in.EventID
	}
	if in.EventAt != nil {
		ev.EventAt = *in.EventAt
	}
	return ev, nil
}

// translate renders a validator error in the reference's (zod 3) wording.
func translate(fe validator.FieldError) Issue {
	field := fe.Field()
	switch fe.Tag() {
	case "oneof":
		opts := strings.Fields(fe.Param())
		for i, o := range opts {
			opts[i] = "'" + o + "'"
		}
		return Issue{Field: field, Kind: IssueType, Message: fmt.Sprintf("Invalid enum value. Expected %s, received '%v'",
			strings.Join(opts, " | "), fe.Value())}
	case "min":
		return Issue{Field: field, Kind: IssueLength, Message: "String must contain at least " + fe.Param() + " character(s)"}
	case "max":
		return Issue{Field: field, Kind: IssueLength, Message: "String must contain at most " + fe.Param() + " character(s)"}
	}
	return Issue{Field: field, Kind: IssueType, Message: "Invalid input"}
}

// textProblem checks a decoded string field against the input limits: no NUL (PostgreSQL text
// cannot hold one, and a 5xx would make Chief retry the event forever) and a byte cap, so one
// event cannot bloat every page and list that shows it. It returns "" when s is fine.
func textProblem(field, s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return "String must not contain NUL (U+0000)"
	}
	limit := MaxTextBytes
	switch field {
	case "message":
		limit = MaxMessageBytes
	case "eventId":
		return "" // its 128-character rule (the validator's) is already tighter
	}
	if len(s) > limit {
		return "String must contain at most " + strconv.Itoa(limit) + " byte(s)"
	}
	return ""
}

// metadataProblem checks compact metadata JSON against the input limits, or returns "". It scans
// the bytes instead of decoding them, so a deep document costs neither stack nor allocations:
// outside strings it counts brackets, inside them it looks for the \u0000 escape (valid JSON
// holds no raw NUL). Invalid UTF-8, which json.Valid lets through, would fail on PostgreSQL.
func metadataProblem(b []byte) string {
	if len(b) > MaxMetadataBytes {
		return "Metadata must be at most " + strconv.Itoa(MaxMetadataBytes) + " bytes of JSON"
	}
	if !utf8.Valid(b) {
		return "Metadata must be valid UTF-8"
	}
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			if b[i+1] == 'u' && string(b[i+2:i+6]) == "0000" {
				return "Metadata must not contain NUL (U+0000) in keys or strings"
			}
			i++ // the escaped character cannot end the string
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			if depth++; depth > MaxMetadataDepth {
				return "Metadata must nest at most " + strconv.Itoa(MaxMetadataDepth) + " levels deep"
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return ""
}

// parseInteger accepts a JSON number with an integral value that fits in 53 bits, as a
// JavaScript integer would.
func parseInteger(v json.RawMessage) (int64, string) {
	if t := JSONType(v); t != "number" {
		return 0, "Expected number, received " + t
	}
	s := string(bytes.TrimSpace(v))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 1<<53 || n < -(1<<53) {
			return 0, "Number must be a safe integer"
		}
		return n, ""
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, "Expected number, received " + s
	}
	if f != math.Trunc(f) {
		return 0, "Expected integer, received float"
	}
	if f > 1<<53 || f < -(1<<53) {
		return 0, "Number must be a safe integer"
	}
	return int64(f), ""
}
