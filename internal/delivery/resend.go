package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Resend sends e-mail through the Resend HTTP API, as the reference did.
type Resend struct {
	// APIKey and From are MONITOR_RESEND_API_KEY and MONITOR_RESEND_FROM_EMAIL, trimmed.
	APIKey, From string
	// APIBase is MONITOR_RESEND_API_BASE without a trailing slash.
	APIBase string
	// Client makes the request; the caller's context carries the timeout.
	Client *http.Client
}

var _ Sender = (*Resend)(nil)

// Send posts one e-mail addressed to all recipients.
func (r *Resend) Send(ctx context.Context, m Message) (Result, error) {
	body, err := json.Marshal(struct {
		From    string   `json:"from"`
		To      []string `json:"to"`
		Subject string   `json:"subject"`
		Text    string   `json:"text"`
	}{FromHeader(r.From), m.Recipients, EmailSubject(m), EmailText(m)})
	if err != nil {
		return Result{}, fmt.Errorf("delivery: resend: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.APIBase+"/emails", bytes.NewReader(body))
	if err != nil {
		return Result{}, &Error{Text: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+r.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client(r.Client).Do(req)
	if err != nil {
		return Result{}, netError(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // a cut-off body only loses the error text
	if resp.StatusCode/100 == 2 {
		return Result{Code: resp.StatusCode}, nil
	}
	var eb struct {
		Message any `json:"message"`
		Error   struct {
			Message any `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &eb) // a non-JSON body falls through to the generic text
	text := "RESEND_REQUEST_FAILED_" + strconv.Itoa(resp.StatusCode)
	if s, ok := eb.Message.(string); ok && s != "" {
		text = s
	} else if s, ok := eb.Error.Message.(string); ok && s != "" {
		text = s
	}
	return Result{Code: resp.StatusCode}, httpError(resp.StatusCode, truncate(text, 1000))
}

func client(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return http.DefaultClient
}
