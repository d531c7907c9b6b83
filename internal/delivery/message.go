// Package delivery holds the alert notification channels: e-mail over SMTP or through the
// Resend HTTP API, generic JSON webhooks and Slack incoming webhooks. Each channel is a small
// type with Send(ctx, Message) (Result, error); none of them retries, queues or logs: the
// notifier in services does that.
package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gulag/chief-monitor/internal/apirow"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// Brand is the product name shown in messages (spec: "Gulag Monitor").
const Brand = "Gulag Monitor"

// Sender is one configured channel.
type Sender interface {
	Send(ctx context.Context, m Message) (Result, error)
}

// Message is one notification: an opened alert, or a test.
type Message struct {
	// ID identifies the queued message (the delivery key); receivers can de-duplicate on it.
	ID string
	// Alert is the alert being announced; zero for a test.
	Alert models.Alert
	// Check is the job's check state when the message was sent, or nil.
	Check *models.CheckState
	// Test marks a test message.
	Test bool
	// RequestedBy names who asked for a test: an e-mail or "unknown".
	RequestedBy string
	// SentAt is the server timestamp of the send.
	SentAt string
	// EnabledTypes are the alert types the channel sends, named in the test message.
	EnabledTypes []string
	// Recipients are the e-mail addresses (e-mail channels only).
	Recipients []string
	// AlertURL links to the alert in the dashboard.
	AlertURL string
	// Run is the run the alert is about (a FAILURE's failed run), or nil; RunURL its page.
	Run    *models.Run
	RunURL string
	// Reminder is n for the n-th reminder of a still-open alert, 0 for its first message.
	Reminder int64
}

// Result is what the provider answered to a send that reached it.
type Result struct {
	// Code is the HTTP status or the SMTP reply code; 0 when there was no answer.
	Code int
}

// Error is a failed send: the text recorded in alert_deliveries.error_text, the provider's
// code if any, and whether trying again later may succeed.
type Error struct {
	Code      int
	Text      string
	Temporary bool
}

func (e *Error) Error() string { return e.Text }

// IsTemporary reports whether err is worth retrying. Unknown errors are.
func IsTemporary(err error) bool {
	var de *Error
	if errors.As(err, &de) {
		return de.Temporary
	}
	return true
}

// httpError classifies an HTTP status that is not 2xx: 408, 429 and 5xx are temporary.
func httpError(code int, text string) *Error {
	return &Error{Code: code, Text: text, Temporary: code == 408 || code == 429 || code >= 500}
}

// netError wraps a transport failure: no code, the runtime's text, temporary. The URL is left
// out of the text: a Slack webhook URL is a secret.
func netError(err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	text := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		text = "timeout: " + text
	}
	return &Error{Text: text, Temporary: true}
}

// EmailSubject is the subject of an alert or test e-mail.
func EmailSubject(m Message) string {
	if m.Test {
		return "[ALERT] Test email alert"
	}
	if m.Reminder > 0 {
		return "[ALERT] Reminder: " + string(m.Alert.AlertType) + " " + m.Alert.JobName + " is still open"
	}
	return "[ALERT] " + string(m.Alert.AlertType) + " " + m.Alert.JobName
}

// enabledTypes names a test message's enabled alert types.
func enabledTypes(m Message) string {
	if len(m.EnabledTypes) == 0 {
		return "(none)"
	}
	return strings.Join(m.EnabledTypes, ", ")
}

// EmailText is the plain-text body of an alert or test e-mail.
func EmailText(m Message) string {
	if m.Test {
		return strings.Join([]string{
			"This is a test alert email from " + Brand + ".",
			"",
			"Requested by: " + m.RequestedBy,
			"Sent at: " + m.SentAt,
			"Enabled alert types: " + enabledTypes(m),
		}, "\n")
	}
	a := m.Alert
	lines := []string{
		"Alert Type: " + string(a.AlertType),
		"Severity: " + string(a.Severity),
		"Job: " + a.JobName,
		"Title: " + a.Title,
		"Opened At: " + a.OpenedAt,
	}
	if run := runText(m); run != "" {
		lines = append(lines, "", "What happened:", run)
	}
	return strings.Join(append(lines, "", "Details:", indentDetails(a.DetailsJSON)), "\n")
}

// indentDetails renders the details JSON indented by two spaces, keys in stored order, as
// JSON.stringify(details, null, 2) did; unparsable text gives {}.
func indentDetails(s string) string {
	var buf bytes.Buffer
	if !json.Valid([]byte(s)) || json.Indent(&buf, []byte(s), "", "  ") != nil {
		return "{}"
	}
	return buf.String()
}

// FromHeader applies the reference's sender rule: an address with both < and > is used as
// given, a bare one becomes "Gulag Monitor <address>".
func FromHeader(from string) string {
	from = strings.TrimSpace(from)
	if strings.Contains(from, "<") && strings.Contains(from, ">") {
		return from
	}
	return fmt.Sprintf("%s <%s>", Brand, from)
}

func checkRow(c *models.CheckState) *apirow.Check {
	if c == nil {
		return nil
	}
	r := apirow.FromCheck(*c)
	return &r
}

// truncate caps provider error text recorded in the database.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return telemetry.CutUTF8(s, n) + "…"
}
