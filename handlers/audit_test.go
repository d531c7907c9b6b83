package handlers

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/models"
)

type auditList struct {
	Entries []auditEntryView `json:"entries"`
	Page    int              `json:"page"`
	HasNext bool             `json:"hasNext"`
}

func (r *dashRig) auditLog(query string) auditList {
	r.t.Helper()
	p := r.api("GET", "/v1/audit"+query, "", "Cookie", "", "x-api-key", "k")
	var out auditList
	if p.status != 200 || json.Unmarshal([]byte(p.body), &out) != nil {
		r.t.Fatalf("GET /v1/audit%s: %d %s", query, p.status, p.body)
	}
	return out
}

// TestAuditLogRecordsEveryChange makes each kind of change once, through the API and through
// the pages, and finds it in the log with the right actor and no secret.
func TestAuditLogRecordsEveryChange(t *testing.T) {
	r := newDash(t, func(o *Options) { o.APIKey = "k" })
	admin := r.browser(testAdmin, testPassword)
	key := func(method, path, body string) {
		t.Helper()
		if p := admin.api(method, path, body, "Cookie", "", "x-api-key", "k"); p.status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, p.status, p.body)
		}
	}
	session := func(method, path, body string) {
		t.Helper()
		if p := admin.api(method, path, body); p.status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, p.status, p.body)
		}
	}
	key("PUT", "/v1/settings/alerts/email", `{"recipients":["ops@example.org"],"enabledAlertTypes":["FAILURE"]}`)
	session("PUT", "/v1/settings/alerts/webhooks", `{"channels":[{"name":"ops","url":"https://hooks.example.org/T0/secret-token","secret":"hmac-secret","enabledAlertTypes":["FAILURE"]}]}`)
	session("PUT", "/v1/settings/alerts/slack", `{"channels":[{"name":"chat","url":"https://hooks.slack.com/services/T1/B2/slack-token","enabledAlertTypes":["MISSED"]}]}`)
	tok := admin.csrf("/settings")
	for _, form := range []struct {
		path string
		vals url.Values
	}{
		{"/settings", url.Values{"recipients": {"oncall@example.org"}, "enabledAlertTypes": {"MISSED"}}},
		{"/settings/channels/webhook", url.Values{"name": {"pager"}, "url": {"https://pager.example.org/hook?token=page-token"}}},
		{"/settings/channels/webhook/delete", url.Values{"name": {"pager"}}},
	} {
		form.vals.Set("_csrf", tok)
		if p := admin.do("POST", form.path, form.vals, "Origin", sameOrigin); p.status >= 400 {
			t.Fatalf("POST %s: %d %s", form.path, p.status, p.body)
		}
	}
	created := decodeUser(t, admin.api("POST", "/v1/users", `{"email":"vic@example.org","role":"viewer","password":"vic-password-1"}`))
	session("PATCH", "/v1/users/"+created.User.ID, `{"role":"admin"}`)
	session("PATCH", "/v1/users/"+created.User.ID, `{"disabled":true}`)
	session("POST", "/v1/users/"+created.User.ID+"/reset-password", "")

	// An alert, closed by the key through the API; closing it again changes nothing.
	admin.ingestWithKey(event("job.failed", "etl", "2026-03-04T09:01:00Z", ""))
	var alertID string
	r.st.DB().Raw(`SELECT CAST(id AS TEXT) FROM alerts LIMIT 1`).Scan(&alertID)
	key("POST", "/v1/alerts/"+alertID+"/close", `{"reason":"fixed"}`)
	key("POST", "/v1/alerts/"+alertID+"/close", `{"reason":"again"}`)

	log := r.auditLog("?limit=100")
	want := []struct{ actor, action, target, detail string }{
		{"api-key", "settings.email.update", "email", "recipients: ops@example.org; alert types: FAILURE"},
		{testAdmin, "settings.webhook.update", "webhook", `"ops" (https://hooks.example.org/…, types FAILURE, signed)`},
		{testAdmin, "settings.slack.update", "slack", `"chat" (https://hooks.slack.com/…, types MISSED)`},
		{testAdmin, "settings.email.update", "email", "recipients: oncall@example.org; alert types: MISSED"},
		{testAdmin, "settings.webhook.update", "webhook", `saved "pager" (https://pager.example.org/…`},
		{testAdmin, "settings.webhook.update", "webhook", `removed "pager"`},
		{testAdmin, "user.create", "vic@example.org", "role viewer, password set by the admin"},
		{testAdmin, "user.role", "vic@example.org", "role viewer → admin"},
		{testAdmin, "user.disable", "vic@example.org", "disabled"},
		{testAdmin, "user.reset_password", "vic@example.org", "password generated"},
		{"api-key", "alert.close", alertID, `job "etl", FAILURE, reason: fixed`},
	}
	if len(log.Entries) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(log.Entries), len(want), log.Entries)
	}
	for i, w := range want {
		e := log.Entries[len(log.Entries)-1-i] // newest first
		if e.Actor != w.actor || e.Action != w.action || e.Target != w.target || !strings.Contains(e.Detail, w.detail) {
			t.Errorf("entry %d: got %+v, want %+v", i, e, w)
		}
	}
	raw := r.api("GET", "/v1/audit?limit=100", "", "Cookie", "", "x-api-key", "k").body
	for _, secret := range []string{"secret-token", "hmac-secret", "slack-token", "page-token", "vic-password-1"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the audit log holds the secret %q", secret)
		}
	}

	// Filters and pages.
	if got := r.auditLog("?action=user.role"); len(got.Entries) != 1 || got.Entries[0].Target != "vic@example.org" {
		t.Errorf("action filter: %+v", got.Entries)
	}
	if got := r.auditLog("?actor=api-key"); len(got.Entries) != 2 {
		t.Errorf("actor filter: %+v", got.Entries)
	}
	if got := r.auditLog("?limit=4&page=2"); len(got.Entries) != 4 || !got.HasNext || got.Entries[0].ID != log.Entries[4].ID {
		t.Errorf("second page: %+v", got)
	}
	p := admin.do("GET", "/settings/audit?action=settings.webhook.update", nil)
	if p.status != 200 || p.testid("audit-row").Length() != 3 || p.testid("audit-actor").First().Text() != testAdmin ||
		p.testid("audit-ago").First().Text() == "" {
		t.Errorf("audit page: got %d, %d rows", p.status, p.testid("audit-row").Length())
	}
	if p := admin.do("GET", "/settings/audit?actor=nobody", nil); p.testid("empty-state").Length() != 1 {
		t.Errorf("audit page without matches: no empty state")
	}
	// Viewers see neither.
	vu, vpw := r.addUser("viewer@example.org", models.RoleViewer)
	viewer := r.browser(vu.Email, vpw)
	if p := viewer.api("GET", "/v1/audit", ""); p.status != 403 {
		t.Errorf("viewer GET /v1/audit: got %d", p.status)
	}
}

// ingestWithKey posts events with the API key (the rig's ingest sends none).
func (r *dashRig) ingestWithKey(events ...string) {
	r.t.Helper()
	p := r.api("POST", "/v1/events/batch", `{"events":[`+strings.Join(events, ",")+`]}`, "Cookie", "", "x-api-key", "k")
	if p.status != 202 {
		r.t.Fatalf("ingest: %d %s", p.status, p.body)
	}
}
