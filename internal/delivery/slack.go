package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gulag/chief-monitor/models"
)

// Slack posts a readable message to a Slack incoming webhook, coloured by alert type.
type Slack struct {
	// URL is the incoming-webhook URL (a secret: it is never logged or shown).
	URL string
	// Client makes the request; the caller's context carries the timeout.
	Client *http.Client
}

var _ Sender = (*Slack)(nil)

// Slack attachment colours by alert type.
const (
	ColorFailure  = "#d93025"
	ColorMissed   = "#f2a600"
	ColorRecovery = "#2eb67d"
	ColorTest     = "#4a6ee0"
)

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

type slackAttachment struct {
	Color     string       `json:"color"`
	Fallback  string       `json:"fallback"`
	Title     string       `json:"title"`
	TitleLink string       `json:"title_link,omitempty"`
	Text      string       `json:"text,omitempty"`
	Fields    []slackField `json:"fields,omitempty"`
	Footer    string       `json:"footer"`
}

// SlackPayload is the JSON body of a Slack message.
type SlackPayload struct {
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments"`
}

// slackEscape escapes the three characters Slack's mrkdwn treats as control characters.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// SlackColor is the attachment colour of an alert type.
func SlackColor(t models.AlertType) string {
	switch t {
	case models.AlertFailure:
		return ColorFailure
	case models.AlertMissed:
		return ColorMissed
	case models.AlertRecovery:
		return ColorRecovery
	}
	return ColorTest
}

func slackPayload(m Message) SlackPayload {
	if m.Test {
		text := "Test alert message from " + Brand + ", requested by " + slackEscape(m.RequestedBy) + "."
		return SlackPayload{Text: text, Attachments: []slackAttachment{{Color: ColorTest, Fallback: text,
			Title: "Test alert", Text: "Sent at " + m.SentAt, Footer: Brand}}}
	}
	a := m.Alert
	subject := slackEscape(EmailSubject(m))
	fields := []slackField{
		{Title: "Job", Value: slackEscape(a.JobName), Short: true},
		{Title: "Severity", Value: string(a.Severity), Short: true},
		{Title: "Opened at", Value: a.OpenedAt, Short: true},
	}
	if m.Check != nil {
		fields = append(fields, slackField{Title: "Check status", Value: string(m.Check.Status), Short: true})
	}
	for _, f := range RunFacts(m.Run, m.RunURL) {
		fields = append(fields, slackField{Title: f[0], Value: slackEscape(f[1]), Short: f[0] != "Error" && f[0] != "Last error line"})
	}
	return SlackPayload{Text: subject, Attachments: []slackAttachment{{Color: SlackColor(a.AlertType),
		Fallback: subject, Title: slackEscape(a.Title), TitleLink: m.AlertURL,
		Text: "```" + slackEscape(indentDetails(a.DetailsJSON)) + "```", Fields: fields, Footer: Brand}}}
}

// Send posts the message. Slack answers 200 "ok"; anything else is a failure.
func (s *Slack) Send(ctx context.Context, m Message) (Result, error) {
	body, err := json.Marshal(slackPayload(m))
	if err != nil {
		return Result{}, fmt.Errorf("delivery: slack: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return Result{}, &Error{Text: "invalid Slack webhook URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	return postResult(client(s.Client), req)
}
