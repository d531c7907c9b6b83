package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gulag/chief-monitor/internal/apirow"
)

// Webhook signature headers. The signature is HMAC-SHA256, keyed by the webhook's secret,
// over "<timestamp>.<body>", so a receiver can reject replays of old bodies.
const (
	HeaderSignature = "X-Chief-Signature"
	HeaderTimestamp = "X-Chief-Timestamp"
	HeaderEvent     = "X-Chief-Event"
	HeaderDelivery  = "X-Chief-Delivery"
)

// Webhook posts a JSON document about the alert to a URL.
type Webhook struct {
	// URL receives the POST.
	URL string
	// Secret, when set, signs each body (HeaderSignature, HeaderTimestamp).
	Secret string
	// Client makes the request; the caller's context carries the timeout.
	Client *http.Client
	// Now stamps the signature; time.Now when nil.
	Now func() time.Time
}

var _ Sender = (*Webhook)(nil)

// WebhookPayload is the JSON body of a webhook.
type WebhookPayload struct {
	// Type is "alert.opened" or "test".
	Type       string        `json:"type"`
	DeliveryID string        `json:"deliveryId"`
	SentAt     string        `json:"sentAt"`
	Alert      *apirow.Alert `json:"alert"`
	Check      *apirow.Check `json:"check"`
	AlertURL   string        `json:"alertUrl"`
	Message    string        `json:"message"`
	// Run (additive) is the run the alert is about, as /v1/runs/:runId shows it, and RunURL
	// its page; both absent when the alert has no run.
	Run    *apirow.Run `json:"run,omitempty"`
	RunURL string      `json:"runUrl,omitempty"`
	// Reminder (additive) is n on the n-th reminder of a still-open alert, with Type
	// "alert.reminder".
	Reminder int64 `json:"reminder,omitempty"`
}

func webhookPayload(m Message) WebhookPayload {
	p := WebhookPayload{Type: "alert.opened", DeliveryID: m.ID, SentAt: m.SentAt, Check: checkRow(m.Check),
		AlertURL: m.AlertURL, Message: EmailSubject(m)}
	if m.Test {
		p.Type = "test"
		p.Message = "This is a test alert webhook from " + Brand + ". Requested by: " + m.RequestedBy
		return p
	}
	a := apirow.FromAlert(m.Alert)
	p.Alert = &a
	if m.Reminder > 0 {
		p.Type, p.Reminder = "alert.reminder", m.Reminder
	}
	if m.Run != nil {
		r := apirow.FromRun(*m.Run)
		p.Run, p.RunURL = &r, m.RunURL
	}
	return p
}

// Sign returns the signature header value for a body sent at ts (unix seconds).
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts the payload. Any 2xx is success.
func (w *Webhook) Send(ctx context.Context, m Message) (Result, error) {
	body, err := json.Marshal(webhookPayload(m))
	if err != nil {
		return Result{}, fmt.Errorf("delivery: webhook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Result{}, &Error{Text: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chief-monitor")
	req.Header.Set(HeaderEvent, webhookPayload(m).Type)
	if m.ID != "" {
		req.Header.Set(HeaderDelivery, m.ID)
	}
	if w.Secret != "" {
		now := time.Now
		if w.Now != nil {
			now = w.Now
		}
		ts := now().Unix()
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	}
	return postResult(client(w.Client), req)
}

// postResult runs a request whose answer only matters by status; a non-2xx records the start
// of the response body as the error text.
func postResult(c *http.Client, req *http.Request) (Result, error) {
	resp, err := c.Do(req)
	if err != nil {
		return Result{}, netError(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10)) // only the start is recorded
	if resp.StatusCode/100 == 2 {
		return Result{Code: resp.StatusCode}, nil
	}
	text := truncate(string(raw), 500)
	if text == "" {
		text = "HTTP " + strconv.Itoa(resp.StatusCode)
	} else {
		text = "HTTP " + strconv.Itoa(resp.StatusCode) + ": " + text
	}
	return Result{Code: resp.StatusCode}, httpError(resp.StatusCode, text)
}
