package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/delivery"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/services"
)

// fakeProvider stands in for Resend, webhooks and Slack: it answers with code and keeps bodies.
type fakeProvider struct {
	srv    *httptest.Server
	mu     sync.Mutex
	code   int
	body   string
	bodies []string
}

func newFakeProvider(t *testing.T) *fakeProvider {
	f := &fakeProvider{code: 200, body: `{"id":"x"}`}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.bodies = append(f.bodies, string(b))
		w.WriteHeader(f.code)
		_, _ = io.WriteString(w, f.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProvider) answer(code int, body string) {
	f.mu.Lock()
	f.code, f.body = code, body
	f.mu.Unlock()
}

type settingsRig struct {
	*apiRig
	st       *store.Store
	provider *fakeProvider
}

// newSettingsAPI builds the app as main does, with Resend pointed at a fake when withProvider.
func newSettingsAPI(t *testing.T, withProvider bool) *settingsRig {
	t.Helper()
	st := testutil.NewStore(t)
	r := &settingsRig{apiRig: &apiRig{t: t, now: testutil.Time(t, "2026-03-04T10:00:00Z")}, st: st, provider: newFakeProvider(t)}
	log := slog.New(slog.DiscardHandler)
	r.w = services.NewWriter(st, log, services.WriterOptions{})
	r.w.SetClock(func() time.Time { return r.now })
	go r.w.Run()
	t.Cleanup(r.w.Close)
	name := ""
	opts := services.NotifierOptions{HTTPClient: r.provider.srv.Client()}
	if withProvider {
		name = "resend"
		opts.Email = &delivery.Resend{APIKey: "k", From: "alerts@example.org", APIBase: r.provider.srv.URL, Client: r.provider.srv.Client()}
	}
	settings := services.NewSettings(st, r.w.Do, services.SettingsOptions{EmailProvider: name, Cooldown: 300 * time.Second})
	n := services.NewNotifier(st, r.w.Do, settings, log, opts)
	n.SetClock(func() time.Time { return r.now })
	r.w.SetOutbox(n.Outbox)
	h := New(Options{APIKey: "key", AuthEnabled: true, DBPath: "/data/monitor.sqlite"}, st, r.w,
		services.NewStatus(st), fakeSessions{})
	h.SetClock(func() time.Time { return r.now })
	h.SetAlerting(settings, n)
	r.app = NewApp(h)
	return r
}

const key = "x-api-key"

// TestEmailSettingsContract: the e-mail settings API as the original answered it.
func TestEmailSettingsContract(t *testing.T) {
	r := newSettingsAPI(t, true)
	r.want(r.do("GET", "/v1/settings/alerts/email", "", key, "key"), 200,
		`{"recipients":[],"enabledAlertTypes":["FAILURE","MISSED"],"providerConfigured":true}`)
	r.want(r.do("GET", "/v1/settings/alerts/email", ""), 401, `{"error":"Unauthorized"}`)

	fifty := make([]string, 51)
	for i := range fifty {
		fifty[i] = `"same@example.org"`
	}
	cases := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{name: "normalizes case and duplicates, keeps type order",
			body:   `{"recipients":[" Ops@Example.ORG ","ops@example.org","b@x.io"],"enabledAlertTypes":["RECOVERY","FAILURE","RECOVERY"]}`,
			status: 200, want: `{"recipients":["ops@example.org","b@x.io"],"enabledAlertTypes":["RECOVERY","FAILURE"],"providerConfigured":true}`},
		{name: "empty lists", body: `{"recipients":[],"enabledAlertTypes":[]}`, status: 200,
			want: `{"recipients":[],"enabledAlertTypes":[],"providerConfigured":true}`},
		{name: "51 entries counted before de-duplication",
			body: `{"recipients":[` + strings.Join(fifty, ",") + `],"enabledAlertTypes":[]}`, status: 400,
			want: `{"error":"Invalid email settings payload","details":{"formErrors":[],"fieldErrors":{"recipients":["Array must contain at most 50 element(s)"]},"issues":[{"path":"recipients","message":"Array must contain at most 50 element(s)"}]}}`},
		{name: "lower-case alert type", body: `{"recipients":[],"enabledAlertTypes":["failure"]}`, status: 400,
			want: `{"error":"Invalid email settings payload","details":{"formErrors":[],"fieldErrors":{"enabledAlertTypes":["Invalid enum value. Expected 'FAILURE' | 'MISSED' | 'RECOVERY', received 'failure'"]},"issues":[{"path":"enabledAlertTypes.0","message":"Invalid enum value. Expected 'FAILURE' | 'MISSED' | 'RECOVERY', received 'failure'"}]}}`},
		{name: "invalid and empty addresses", body: `{"recipients":["a@b","",7],"enabledAlertTypes":["MISSED"]}`, status: 400,
			want: `{"error":"Invalid email settings payload","details":{"formErrors":[],"fieldErrors":{"recipients":["Invalid email","Invalid email","Expected string, received number"]},"issues":[{"path":"recipients.0","message":"Invalid email"},{"path":"recipients.1","message":"Invalid email"},{"path":"recipients.2","message":"Expected string, received number"}]}}`},
		{name: "both keys required", body: `{}`, status: 400,
			want: `{"error":"Invalid email settings payload","details":{"formErrors":[],"fieldErrors":{"enabledAlertTypes":["Required"],"recipients":["Required"]},"issues":[{"path":"recipients","message":"Required"},{"path":"enabledAlertTypes","message":"Required"}]}}`},
		{name: "array body", body: `[]`, status: 400,
			want: `{"error":"Invalid email settings payload","details":{"formErrors":["Expected object, received array"],"fieldErrors":{}}}`},
		{name: "zod regex edge cases", body: `{"recipients":[".a@x.io","a..b@x.io","a@x.c","o'neil+tag@sub.example.co"],"enabledAlertTypes":[]}`, status: 400,
			want: `"fieldErrors":{"recipients":["Invalid email","Invalid email","Invalid email"]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := r.do("PUT", "/v1/settings/alerts/email", tc.body, key, "key")
			if got.status != tc.status || !strings.Contains(got.body, tc.want) {
				t.Fatalf("got %d %s\nwant %d %s", got.status, got.body, tc.status, tc.want)
			}
		})
	}
	r.want(r.do("PUT", "/v1/settings/alerts/email", `{"recipients":["ops@example.org"],"enabledAlertTypes":["FAILURE"]}`, key, "key"), 200, "")
	raw, err := r.st.ConfigValue(context.Background(), store.KeyEmailSettings)
	if err != nil || raw != `{"recipients":["ops@example.org"],"enabledAlertTypes":["FAILURE"]}` {
		t.Fatalf("stored %q %v", raw, err)
	}
	r.want(r.do("GET", "/v1/settings/alerts/email", "", "Cookie", "ok"), 200,
		`{"recipients":["ops@example.org"],"enabledAlertTypes":["FAILURE"],"providerConfigured":true}`)
}

// TestEmailTestEndpoint: 400, 400, 200, 502 in the original's cases, then the rate limit.
func TestEmailTestEndpoint(t *testing.T) {
	off := newSettingsAPI(t, false)
	off.want(off.do("POST", "/v1/settings/alerts/email/test", `{}`, key, "key"), 400,
		`{"attempted":0,"sent":0,"failed":0,"message":"Resend email provider is not configured."}`)

	r := newSettingsAPI(t, true)
	r.want(r.do("POST", "/v1/settings/alerts/email/test", `{}`, key, "key"), 400,
		`{"attempted":0,"sent":0,"failed":0,"message":"No alert email recipients configured."}`)
	r.want(r.do("PUT", "/v1/settings/alerts/email", `{"recipients":["a@example.org","b@example.org"],"enabledAlertTypes":[]}`, key, "key"), 200, "")
	r.want(r.do("POST", "/v1/settings/alerts/email/test", `{}`, "Cookie", "ok", "Origin", "http://example.com"), 200,
		`{"attempted":2,"sent":2,"failed":0,"message":"Test email sent."}`)
	if b := r.provider.bodies[0]; !strings.Contains(b, `"subject":"[ALERT] Test email alert"`) ||
		!strings.Contains(b, `Requested by: admin@example.org\nSent at: 2026-03-04T10:00:00.000Z\nEnabled alert types: (none)`) {
		t.Fatalf("test e-mail: %s", b)
	}

	got := r.do("POST", "/v1/settings/alerts/email/test", `{}`, key, "key")
	if got.status != 429 || got.header.Get("Retry-After") != "30" || !strings.Contains(got.body, `"message":"Too many test requests; try again in 30 s."`) {
		t.Fatalf("rate limit: %d %s %v", got.status, got.body, got.header)
	}
	r.now = r.now.Add(31 * time.Second)
	r.provider.answer(422, `{"message":"The from address is not verified"}`)
	r.want(r.do("POST", "/v1/settings/alerts/email/test", `{}`, key, "key"), 502,
		`{"attempted":2,"sent":0,"failed":2,"message":"The from address is not verified"}`)
	if b := r.provider.bodies[1]; !strings.Contains(b, `Requested by: unknown`) {
		t.Fatalf("API-key caller: %s", b)
	}
	if n := countRows(t, r.st); n != 0 {
		t.Fatalf("test sends must not be recorded, got %d rows", n)
	}
}

func countRows(t *testing.T, st *store.Store) int {
	var n int
	if err := st.WriteDB().QueryRow(`SELECT COUNT(*) FROM alert_deliveries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChannelSettings: webhook and Slack settings validate with field-named errors, never
// return secrets, and keep them when a PUT leaves them out.
func TestChannelSettings(t *testing.T) {
	r := newSettingsAPI(t, false)
	r.want(r.do("GET", "/v1/settings/alerts/webhooks", "", key, "key"), 200, `{"channels":[],"defaultCooldownSeconds":300}`)
	bad := []struct {
		name, body, want string
	}{
		{name: "missing list", body: `{}`, want: `"fieldErrors":{"channels":["Required"]}`},
		{name: "bad url", body: `{"channels":[{"name":"ops","url":"ftp://x","enabledAlertTypes":[]}]}`,
			want: `"issues":[{"path":"channels.0.url","message":"Invalid url"}]`},
		{name: "bad type", body: `{"channels":[{"name":"ops","url":"https://x.io/h","enabledAlertTypes":["failure"]}]}`,
			want: `{"path":"channels.0.enabledAlertTypes.0","message":"Invalid enum value. Expected 'FAILURE' | 'MISSED' | 'RECOVERY', received 'failure'"}`},
		{name: "bad glob", body: `{"channels":[{"name":"ops","url":"https://x.io/h","jobs":["[a-"]}]}`,
			want: `{"path":"channels.0.jobs.0","message":"Invalid job name pattern"}`},
		{name: "no name", body: `{"channels":[{"url":"https://x.io/h"}]}`, want: `{"path":"channels.0.name","message":"Required"}`},
		{name: "duplicate", body: `{"channels":[{"name":"a","url":"https://x.io/h"},{"name":"a","url":"https://x.io/h"}]}`,
			want: `{"path":"channels.1.name","message":"Duplicate channel name \"a\""}`},
		{name: "no url for a new channel", body: `{"channels":[{"name":"new"}]}`, want: `{"path":"channels.0.url","message":"Required"}`},
		{name: "wrong JSON type", body: `{"channels":[{"name":"a","url":"https://x.io/h","cooldownSeconds":"5"}]}`,
			want: `"error":"Invalid webhook settings payload"`},
		{name: "negative cooldown", body: `{"channels":[{"name":"a","url":"https://x.io/h","cooldownSeconds":-1}]}`,
			want: `{"path":"channels.0.cooldownSeconds","message":"Number must be greater than or equal to 0"}`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got := r.do("PUT", "/v1/settings/alerts/webhooks", tc.body, key, "key")
			if got.status != 400 || !strings.Contains(got.body, tc.want) {
				t.Fatalf("got %d %s\nwant 400 containing %s", got.status, got.body, tc.want)
			}
		})
	}
	r.want(r.do("PUT", "/v1/settings/alerts/webhooks",
		`{"channels":[{"name":"ops","url":"https://hooks.example.org/a","secret":"s3cret","enabledAlertTypes":["FAILURE"],"jobs":["backup-*"],"cooldownSeconds":60}]}`,
		key, "key"), 200,
		`{"channels":[{"name":"ops","url":"https://hooks.example.org/a","hasSecret":true,"enabledAlertTypes":["FAILURE"],"jobs":["backup-*"],"tags":[],"severities":[],"cooldownSeconds":60}],"defaultCooldownSeconds":300}`)
	r.want(r.do("PUT", "/v1/settings/alerts/webhooks", `{"channels":[{"name":"ops","enabledAlertTypes":["MISSED"]}]}`, key, "key"), 200,
		`{"channels":[{"name":"ops","url":"https://hooks.example.org/a","hasSecret":true,"enabledAlertTypes":["MISSED"],"jobs":[],"tags":[],"severities":[],"cooldownSeconds":null}],"defaultCooldownSeconds":300}`)
	r.want(r.do("PUT", "/v1/settings/alerts/webhooks", `{"channels":[{"name":"ops","secret":""}]}`, key, "key"), 200,
		`{"channels":[{"name":"ops","url":"https://hooks.example.org/a","hasSecret":false,"enabledAlertTypes":[],"jobs":[],"tags":[],"severities":[],"cooldownSeconds":null}],"defaultCooldownSeconds":300}`)

	slackURL := "https://hooks.slack.com/services/T000/B000/XXXX"
	r.want(r.do("PUT", "/v1/settings/alerts/slack", `{"channels":[{"name":"alerts","url":"`+slackURL+`","enabledAlertTypes":["FAILURE"]}]}`, key, "key"), 200,
		`{"channels":[{"name":"alerts","url":"https://hooks.slack.com/…","hasSecret":false,"enabledAlertTypes":["FAILURE"],"jobs":[],"tags":[],"severities":[],"cooldownSeconds":null}],"defaultCooldownSeconds":300}`)
	// The form sends the masked URL back: the stored one is kept.
	r.want(r.do("PUT", "/v1/settings/alerts/slack", `{"channels":[{"name":"alerts","url":"https://hooks.slack.com/…","enabledAlertTypes":["MISSED"]}]}`, key, "key"), 200, "")
	raw, _ := r.st.ConfigValue(context.Background(), store.KeySlackSettings)
	if !strings.Contains(raw, slackURL) || strings.Contains(r.do("GET", "/v1/settings/alerts/slack", "", key, "key").body, "XXXX") {
		t.Fatalf("slack URL: stored %s", raw)
	}
}

// TestChannelTestEndpoints: 400 with none, 200 when accepted, 502 when not, 429 when repeated.
func TestChannelTestEndpoints(t *testing.T) {
	for _, kind := range []string{"webhooks", "slack"} {
		t.Run(kind, func(t *testing.T) {
			r := newSettingsAPI(t, false)
			path := "/v1/settings/alerts/" + kind
			got := r.do("POST", path+"/test", `{}`, key, "key")
			if got.status != 400 || !strings.Contains(got.body, `configured."`) {
				t.Fatalf("none: %d %s", got.status, got.body)
			}
			r.want(r.do("PUT", path, fmt.Sprintf(`{"channels":[{"name":"one","url":%q,"enabledAlertTypes":["FAILURE"]}]}`, r.provider.srv.URL), key, "key"), 200, "")
			got = r.do("POST", path+"/test", `{"name":"one"}`, key, "key")
			if got.status != 200 || !strings.Contains(got.body, `"attempted":1,"sent":1,"failed":0`) ||
				!strings.Contains(got.body, `"channels":[{"name":"one","ok":true,"responseCode":200,"error":null}]`) {
				t.Fatalf("ok: %d %s", got.status, got.body)
			}
			if got := r.do("POST", path+"/test", `{}`, key, "key"); got.status != 429 || got.header.Get("Retry-After") == "" {
				t.Fatalf("limit: %d %s", got.status, got.body)
			}
			r.now = r.now.Add(30 * time.Second)
			r.provider.answer(500, "boom")
			got = r.do("POST", path+"/test", `{}`, key, "key")
			if got.status != 502 || !strings.Contains(got.body, `"message":"HTTP 500: boom"`) {
				t.Fatalf("failing: %d %s", got.status, got.body)
			}
		})
	}
}

// TestDeliveriesEndpointRows: /v1/alerts/:id/deliveries shows the outbox rows with the
// additive keys.
func TestDeliveriesEndpointRows(t *testing.T) {
	r := newSettingsAPI(t, false)
	r.want(r.do("PUT", "/v1/settings/alerts/email", `{"recipients":["a@example.org"],"enabledAlertTypes":["FAILURE"]}`, key, "key"), 200, "")
	r.want(r.do("PUT", "/v1/settings/alerts/webhooks", fmt.Sprintf(`{"channels":[{"name":"ops","url":%q,"enabledAlertTypes":["FAILURE"]}]}`, r.provider.srv.URL), key, "key"), 200, "")
	r.want(r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.failed","level":"ERROR","message":"boom","jobName":"etl"}`, key, "key"), 202, "")
	r.want(r.do("GET", "/v1/alerts/1/deliveries", "", key, "key"), 200,
		`{"deliveries":[{"id":1,"alertId":1,"channel":"email","attemptedAt":"2026-03-04T10:00:00.000Z","status":"FAILED","responseCode":null,"errorText":"EMAIL_NOT_CONFIGURED","target":null,"attempt":0,"nextAttemptAt":null},`+
			`{"id":2,"alertId":1,"channel":"webhook","attemptedAt":"2026-03-04T10:00:00.000Z","status":"PENDING","responseCode":null,"errorText":null,"target":"ops","attempt":0,"nextAttemptAt":"2026-03-04T10:00:00.000Z"}]}`)
}
