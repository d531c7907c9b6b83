package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
)

// TestDeliverySettingsCards: the settings page's webhook and Slack cards save, validate,
// remove, and the test card shows each test's outcome.
func TestDeliverySettingsCards(t *testing.T) {
	hook := newFakeProvider(t)
	r := newDash(t, nil)
	r.signIn()
	p := r.do("GET", "/settings", nil)
	for _, id := range []string{"settings-form", "channels-webhook", "channels-slack", "delivery-test"} {
		if p.testid(id).Length() != 1 {
			t.Fatalf("settings page lacks %s", id)
		}
	}
	tok := r.csrf("/settings")
	form := url.Values{"_csrf": {tok}, "name": {"ops"}, "url": {"ftp://nope"}, "enabledAlertTypes": {"FAILURE"}}
	p = r.do("POST", "/settings/channels/webhook", form, "Origin", sameOrigin, "HX-Request", "true")
	if p.status != 200 || !strings.Contains(p.testid("error-banner").Text(), "channels.0.url: Invalid url") ||
		p.doc.Find(`input[name="name"]`).AttrOr("value", "") != "ops" {
		t.Fatalf("invalid: %d %s", p.status, p.body)
	}
	form.Set("url", hook.srv.URL)
	form.Set("secret", "s3cret")
	form.Set("jobs", "backup-*, nightly")
	p = r.do("POST", "/settings/channels/webhook", form, "Origin", sameOrigin, "HX-Request", "true")
	if p.status != 200 || p.testid("channels-notice").Text() != "Saved ops." || p.testid("channel-row").Length() != 1 ||
		!strings.Contains(p.testid("channel-row").Text(), "backup-*, nightly") || strings.Contains(p.body, "s3cret") ||
		strings.Contains(p.body, "<html") {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	// Without htmx the whole page answers, 400 on a validation error.
	bad := url.Values{"_csrf": {tok}, "name": {"x"}, "url": {"https://hooks.slack.com/services/T/B/C"}, "cooldownSeconds": {"soon"}}
	if p := r.do("POST", "/settings/channels/slack", bad, "Origin", sameOrigin); p.status != 400 ||
		p.testid("settings-form").Length() != 1 || !strings.Contains(p.body, "Cooldown seconds must be a whole number.") {
		t.Fatalf("plain invalid: %d %s", p.status, p.body)
	}

	p = r.do("POST", "/settings/test/webhook", url.Values{"_csrf": {tok}}, "Origin", sameOrigin, "HX-Request", "true")
	if p.testid("test-notice").Text() != "Test webhook message sent." || len(hook.bodies) != 1 ||
		!strings.Contains(hook.bodies[0], `Requested by: `+testAdmin) {
		t.Fatalf("test: %s %v", p.body, hook.bodies)
	}
	p = r.do("POST", "/settings/test/webhook", url.Values{"_csrf": {tok}}, "Origin", sameOrigin, "HX-Request", "true")
	if !strings.Contains(p.testid("error-banner").Text(), "Too many test requests") {
		t.Fatalf("limited: %s", p.body)
	}
	p = r.do("POST", "/settings/test/email", url.Values{"_csrf": {tok}}, "Origin", sameOrigin)
	if p.status != 400 || p.testid("error-banner").Find("strong").Text() != "Test email failed" ||
		!strings.Contains(p.testid("error-banner").Text(), "Resend email provider is not configured.") {
		t.Fatalf("email test: %d %s", p.status, p.body)
	}
	if p := r.do("POST", "/settings/test/webhook", url.Values{"_csrf": {"bad"}}, "Origin", sameOrigin); p.status != 403 {
		t.Fatalf("without CSRF: %d", p.status)
	}

	p = r.do("POST", "/settings/channels/webhook/delete", url.Values{"_csrf": {tok}, "name": {"ops"}}, "Origin", sameOrigin, "HX-Request", "true")
	if p.testid("channels-notice").Text() != "Removed ops." || p.testid("channel-row").Length() != 0 {
		t.Fatalf("delete: %s", p.body)
	}
	if p := r.do("POST", "/settings/channels/email", url.Values{"_csrf": {tok}}, "Origin", sameOrigin); p.status != 404 {
		t.Fatalf("unknown kind: %d", p.status)
	}
}

// TestDeliveriesOnPages: the alert rows of /alerts and /jobs/:jobName show each message's
// outcome, and the overview warns when the last sends all failed.
func TestDeliveriesOnPages(t *testing.T) {
	r := newDash(t, nil)
	r.signIn()
	r.ingest(event("job.failed", "etl", "2026-03-04T09:30:00Z", ""))
	ctx := context.Background()
	alerts, err := r.st.Alerts(ctx, store.AlertFilter{Limit: 1})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts: %v %v", alerts, err)
	}
	id := alerts[0].ID
	err = r.st.Write(ctx, func(tx *store.Tx) error {
		for i, status := range []string{"RETRY", "FAILED", "FAILED", "FAILED", "FAILED", "FAILED"} {
			d := models.AlertDelivery{AlertID: id, Channel: "webhook",
				AttemptedAt: "2026-03-04T09:30:0" + fmt.Sprint(i) + ".000Z", Status: status, ErrorText: ptrTo("HTTP 500: boom"),
				Target: ptrTo("ops"), Attempt: int64(i + 1)}
			if status != "RETRY" {
				d.DeliveryKey = ptrTo(fmt.Sprintf("%d:webhook:ops%d", id, i))
			}
			if _, err := tx.QueueDelivery(&d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/alerts", "/partials/alerts/table", "/jobs/etl"} {
		p := r.do("GET", path, nil)
		cell := p.testid("alert-row").First().Find(`[data-testid="deliveries"]`)
		if cell.Find(`[data-testid="delivery"][data-status="STUB"]`).Length() != 1 ||
			cell.Find(`[data-testid="delivery"][data-status="FAILED"]`).Length() != 5 ||
			cell.Find(`[data-testid="delivery-attempts"] li`).Length() != 7 ||
			!strings.Contains(cell.Text(), "HTTP 500: boom") {
			t.Fatalf("%s deliveries cell: %s", path, p.body)
		}
	}
	p := r.do("GET", "/", nil)
	if !strings.Contains(p.testid("delivery-banner").Text(), "The last 5 alert deliveries failed") {
		t.Fatalf("overview banner: %s", p.body)
	}
	if p := r.do("GET", "/partials/overview/delivery", nil); p.testid("delivery-health").Length() != 1 || p.testid("delivery-banner").Length() != 1 {
		t.Fatalf("banner partial: %s", p.body)
	}
	r.now = r.now.Add(time.Minute)
}
