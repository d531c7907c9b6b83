package handlers

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/services"
)

// validationDetails is the zod-shaped "details" of a 400, plus an additive "issues" list that
// names every failing field by its full path.
type validationDetails struct {
	FormErrors  []string            `json:"formErrors"`
	FieldErrors map[string][]string `json:"fieldErrors"`
	Issues      []issue             `json:"issues,omitempty"`
}

type issue struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

type validationError struct {
	Error   string            `json:"error"`
	Details validationDetails `json:"details"`
}

// singleDetails builds the details of a rejected single event.
func singleDetails(issues []telemetry.Issue) validationDetails {
	d := validationDetails{FormErrors: []string{}, FieldErrors: map[string][]string{}}
	for _, is := range issues {
		if is.Field == "" {
			d.FormErrors = append(d.FormErrors, is.Message)
			continue
		}
		d.FieldErrors[is.Field] = append(d.FieldErrors[is.Field], is.Message)
		d.Issues = append(d.Issues, issue{Path: is.Field, Message: is.Message})
	}
	return d
}

// inputDetails are the details of a 400 for a services.InputError: each message under its
// top-level field, and each issue with its whole path.
func inputDetails(se *services.InputError) validationDetails {
	d := validationDetails{FormErrors: []string{}, FieldErrors: map[string][]string{}}
	for _, is := range se.Issues {
		top, _, _ := strings.Cut(is.Path, ".")
		d.FieldErrors[top] = append(d.FieldErrors[top], is.Message)
		d.Issues = append(d.Issues, issue{Path: is.Path, Message: is.Message})
	}
	return d
}

// decodeObject reads a JSON object body into dst. A body that is not an object, or a value of
// the wrong type, is returned as the details of a 400 naming the field; an empty body leaves
// dst as it is (for endpoints whose body is optional).
func decodeObject(body json.RawMessage, dst any) *validationDetails {
	bad := func(field, msg string) *validationDetails {
		d := validationDetails{FormErrors: []string{}, FieldErrors: map[string][]string{}}
		if field == "" {
			d.FormErrors = append(d.FormErrors, msg)
		} else {
			d.FieldErrors[field] = []string{msg}
			d.Issues = []issue{{Path: field, Message: msg}}
		}
		return &d
	}
	if len(body) == 0 {
		return nil
	}
	if t := telemetry.JSONType(body); t != "object" {
		return bad("", "Expected object, received "+t)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return bad(te.Field, "Expected "+jsonKind(te.Type.Kind().String())+", received "+te.Value)
		}
		return bad("", "Invalid input")
	}
	return nil
}

// jsonKind names a Go kind as JSON would.
func jsonKind(k string) string {
	switch k {
	case "bool":
		return "boolean"
	case "ptr", "string":
		return "string"
	}
	return k
}
