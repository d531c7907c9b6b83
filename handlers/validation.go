package handlers

import (
	"github.com/gulag/chief-monitor/internal/telemetry"
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
