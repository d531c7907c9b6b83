package services

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/gulag/chief-monitor/internal/delivery"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
)

// notifyRig is the engine rig with a notifier installed as the writer's outbox.
type notifyRig struct {
	*rig
	settings *Settings
	n        *Notifier
	opts     NotifierOptions
}

func newNotifyRig(t *testing.T, provider string, opts NotifierOptions) *notifyRig {
	t.Helper()
	r := &notifyRig{rig: newRig(t)}
	r.settings = NewSettings(r.st, r.w.Do, SettingsOptions{EmailProvider: provider, Cooldown: 300 * time.Second})
	if opts.Holder == "" {
		opts.Holder = "A"
	}
	r.opts = opts
	r.n = r.notifier(opts.Holder)
	r.w.SetOutbox(r.n.Outbox)
	r.at("2026-03-04T10:00:00Z")
	return r
}

// notifier builds another notifier instance (as after a restart) on the same database.
func (r *notifyRig) notifier(holder string) *Notifier {
	o := r.opts
	o.Holder = holder
	n := NewNotifier(r.st, r.w.Do, r.settings, slog.New(slog.DiscardHandler), o)
	n.SetClock(func() time.Time { return r.now })
	n.SetJitter(func(d time.Duration) time.Duration { return d })
	return n
}

func (r *notifyRig) putEmail(recipients []string, types ...string) {
	r.t.Helper()
	if err := r.settings.PutEmail(context.Background(), EmailSettings{Recipients: recipients, EnabledAlertTypes: types}, r.now); err != nil {
		r.t.Fatal(err)
	}
}

func (r *notifyRig) putChannels(kind string, chans ...ChannelConfig) {
	r.t.Helper()
	if _, err := r.settings.PutChannels(context.Background(), kind, ChannelSettings{Channels: chans}, r.now); err != nil {
		r.t.Fatal(err)
	}
}

func (r *notifyRig) fail(job string) {
	r.t.Helper()
	r.ingest(ev("job.failed", job, telemetry.ServerTime(r.now), ""))
}

func (r *notifyRig) succeed(job string) {
	r.t.Helper()
	r.ingest(withSuccess(ev("job.completed", job, telemetry.ServerTime(r.now), ""), true))
}

func (r *notifyRig) pass(n *Notifier) NotifyStats {
	r.t.Helper()
	st, err := n.Tick(context.Background(), r.now)
	if err != nil {
		r.t.Fatalf("notifier tick: %v", err)
	}
	return st
}

func (r *notifyRig) advance(d time.Duration) { r.now = r.now.Add(d) }

// rows renders every delivery row oldest first as "channel/target STATUS attempt code error".
func (r *notifyRig) rows() []string {
	r.t.Helper()
	var out []string
	rows, err := r.st.WriteDB().Query(`SELECT channel, COALESCE(target, ''), status, attempt,
		COALESCE(response_code, 0), COALESCE(error_text, '') FROM alert_deliveries ORDER BY id`)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch, target, status, errText string
		var attempt, code int64
		if err := rows.Scan(&ch, &target, &status, &attempt, &code, &errText); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s/%s %s %d %d %s", ch, target, status, attempt, code, errText)))
	}
	return out
}

func (r *notifyRig) wantRows(want ...string) {
	r.t.Helper()
	got := r.rows()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		r.t.Fatalf("delivery rows:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

const stubRow = "webhook/ STUB 0 0 Webhook integration not configured in v1."

// fakeResend stands in for the Resend API: it answers each request with the next scripted
// status and body, repeating the last.
type fakeResend struct {
	srv    *httptest.Server
	mu     sync.Mutex
	script []string // "status body"
	bodies []map[string]any
	auth   []string
}

func newFakeResend(t *testing.T, script ...string) *fakeResend {
	f := &fakeResend{script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.bodies = append(f.bodies, body)
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		step := f.script[min(len(f.bodies), len(f.script))-1]
		f.mu.Unlock()
		code, text, _ := strings.Cut(step, " ")
		c, _ := strconv.Atoi(code)
		w.WriteHeader(c)
		_, _ = io.WriteString(w, text)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeResend) sender() *delivery.Resend {
	return &delivery.Resend{APIKey: "re_test", From: "alerts@example.org", APIBase: f.srv.URL, Client: f.srv.Client()}
}

func (f *fakeResend) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.bodies) }

// TestEmailRowRules: which e-mail rows are written.
func TestEmailRowRules(t *testing.T) {
	ok := `200 {"id":"e1"}`
	cases := []struct {
		name       string
		provider   bool
		recipients []string
		types      []string
		noSettings bool
		script     string
		want       []string
		wantSends  int
	}{
		{name: "defaults: no recipients, no row", noSettings: true, provider: true, script: ok,
			want: []string{stubRow}},
		{name: "type disabled", provider: true, recipients: []string{"ops@example.org"}, types: []string{"MISSED"},
			script: ok, want: []string{stubRow}},
		{name: "no recipients", provider: true, recipients: []string{}, types: []string{"FAILURE"}, script: ok,
			want: []string{stubRow}},
		{name: "no provider", recipients: []string{"ops@example.org"}, types: []string{"FAILURE"},
			want: []string{stubRow, "email/ FAILED 0 0 EMAIL_NOT_CONFIGURED"}},
		{name: "sent", provider: true, recipients: []string{"ops@example.org", "b@example.org"}, types: []string{"FAILURE"},
			script: ok, want: []string{stubRow, "email/resend SENT 1 200"}, wantSends: 1},
		{name: "provider rejects", provider: true, recipients: []string{"ops@example.org"}, types: []string{"FAILURE"},
			script: `422 {"message":"Invalid from field"}`,
			want:   []string{stubRow, "email/resend FAILED 1 422 Invalid from field"}, wantSends: 1},
		{name: "provider error.message", provider: true, recipients: []string{"ops@example.org"}, types: []string{"FAILURE"},
			script: `403 {"error":{"message":"API key is invalid"}}`,
			want:   []string{stubRow, "email/resend FAILED 1 403 API key is invalid"}, wantSends: 1},
		{name: "provider error without message", provider: true, recipients: []string{"ops@example.org"},
			types: []string{"FAILURE"}, script: `400 nope`,
			want: []string{stubRow, "email/resend FAILED 1 400 RESEND_REQUEST_FAILED_400"}, wantSends: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f *fakeResend
			opts := NotifierOptions{}
			provider := ""
			if tc.provider {
				f = newFakeResend(t, tc.script)
				opts.Email = f.sender()
				provider = "resend"
			}
			r := newNotifyRig(t, provider, opts)
			if !tc.noSettings {
				r.putEmail(tc.recipients, tc.types...)
			}
			r.fail("backup")
			r.pass(r.n)
			r.wantRows(tc.want...)
			if f != nil && f.count() != tc.wantSends {
				t.Fatalf("sends: got %d, want %d", f.count(), tc.wantSends)
			}
			if tc.wantSends > 0 {
				b := f.bodies[0]
				if b["subject"] != "[ALERT] FAILURE backup" || b["from"] != "Gulag Monitor <alerts@example.org>" ||
					f.auth[0] != "Bearer re_test" {
					t.Fatalf("request: %v auth %q", b, f.auth[0])
				}
				if to := fmt.Sprint(b["to"]); to != fmt.Sprint([]any{"ops@example.org"}) && to != fmt.Sprint([]any{"ops@example.org", "b@example.org"}) {
					t.Fatalf("to: %v", to)
				}
				text, _ := b["text"].(string)
				if !strings.HasPrefix(text, "Alert Type: FAILURE\nSeverity: ERROR\nJob: backup\nTitle: Job backup failed\nOpened At: 2026-03-04T10:00:00.000Z\n\nDetails:\n{\n  \"eventType\": \"job.failed\"") {
					t.Fatalf("text:\n%s", text)
				}
			}
		})
	}
}

// webhookServer answers each call with the next scripted status and records what it got.
type webhookServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	codes  []int
	delay  time.Duration
	bodies [][]byte
	heads  []http.Header
}

func newWebhookServer(t *testing.T, codes ...int) *webhookServer {
	w := &webhookServer{codes: codes}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.bodies = append(w.bodies, body)
		w.heads = append(w.heads, r.Header.Clone())
		code := w.codes[min(len(w.bodies), len(w.codes))-1]
		delay := w.delay
		w.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		rw.WriteHeader(code)
		_, _ = io.WriteString(rw, http.StatusText(code))
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookServer) count() int { w.mu.Lock(); defer w.mu.Unlock(); return len(w.bodies) }

func all() []string { return []string{"FAILURE", "MISSED", "RECOVERY"} }

// TestRetryWithBackoff: a webhook that fails twice with 500 then accepts is retried at the
// backoff times, every attempt recorded, and no STUB row once a webhook exists.
func TestRetryWithBackoff(t *testing.T) {
	hook := newWebhookServer(t, 500, 500, 200)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()})
	r.fail("backup")
	if st := r.pass(r.n); st.Retried != 1 {
		t.Fatalf("first pass: %+v", st)
	}
	r.advance(29 * time.Second)
	if st := r.pass(r.n); st.Claimed != 0 {
		t.Fatalf("claimed before the backoff ended: %+v", st)
	}
	r.advance(time.Second) // 30 s after the first attempt
	if st := r.pass(r.n); st.Retried != 1 {
		t.Fatalf("second pass: %+v", st)
	}
	r.advance(59 * time.Second)
	if st := r.pass(r.n); st.Claimed != 0 {
		t.Fatalf("claimed before the doubled backoff ended: %+v", st)
	}
	r.advance(time.Second)
	if st := r.pass(r.n); st.Sent != 1 {
		t.Fatalf("third pass: %+v", st)
	}
	r.wantRows("webhook/ops SENT 3 200",
		"webhook/ops RETRY 1 500 HTTP 500: Internal Server Error",
		"webhook/ops RETRY 2 500 HTTP 500: Internal Server Error")
	if hook.count() != 3 {
		t.Fatalf("webhook calls: %d", hook.count())
	}
	ids := map[string]bool{}
	for _, h := range hook.heads {
		ids[h.Get(delivery.HeaderDelivery)] = true
	}
	if len(ids) != 1 {
		t.Fatalf("every attempt should carry the same delivery id, got %v", ids)
	}
}

// TestGiveUpAfterMaxAttempts: a webhook that always fails is marked FAILED after the limit;
// a permanent error (404) is not retried at all.
func TestGiveUpAfterMaxAttempts(t *testing.T) {
	cases := []struct {
		name  string
		code  int
		want  []string
		calls int
	}{
		{name: "temporary", code: 503, calls: 3, want: []string{"webhook/ops FAILED 3 503 HTTP 503: Service Unavailable",
			"webhook/ops RETRY 1 503 HTTP 503: Service Unavailable", "webhook/ops RETRY 2 503 HTTP 503: Service Unavailable"}},
		{name: "permanent", code: 404, calls: 1, want: []string{"webhook/ops FAILED 1 404 HTTP 404: Not Found"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hook := newWebhookServer(t, tc.code)
			r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client(), MaxAttempts: 3})
			r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()})
			r.fail("backup")
			for range 5 {
				r.pass(r.n)
				r.advance(time.Hour)
			}
			r.wantRows(tc.want...)
			if hook.count() != tc.calls {
				t.Fatalf("calls: got %d, want %d", hook.count(), tc.calls)
			}
		})
	}
}

// TestSlowWebhookTimesOut: a send is cut at the send timeout and retried.
func TestSlowWebhookTimesOut(t *testing.T) {
	hook := newWebhookServer(t, 200)
	hook.delay = 5 * time.Second
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client(), SendTimeout: 100 * time.Millisecond})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "slow", URL: hook.srv.URL, EnabledAlertTypes: all()})
	r.fail("backup")
	start := time.Now()
	st := r.pass(r.n)
	if st.Retried != 1 || time.Since(start) > 3*time.Second {
		t.Fatalf("pass: %+v after %v", st, time.Since(start))
	}
	rows := r.rows()
	if len(rows) != 2 || !strings.HasPrefix(rows[1], "webhook/slow RETRY 1 0 timeout: context deadline exceeded") {
		t.Fatalf("rows: %q", rows)
	}
}

// TestRestartMidDelivery kills a notifier between its claim and its record: the message is
// neither lost nor recorded twice; a new instance re-sends it once the claim expired.
func TestRestartMidDelivery(t *testing.T) {
	hook := newWebhookServer(t, 200)
	hook.delay = time.Minute // the first instance never gets an answer
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()})
	r.fail("backup")

	ctx, kill := context.WithCancel(context.Background())
	done := make(chan NotifyStats)
	go func() {
		st, _ := r.n.Tick(ctx, r.now)
		done <- st
	}()
	for hook.count() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	kill() // the process dies mid-send
	if st := <-done; st.Claimed != 1 || st.Sent+st.Retried+st.Failed != 0 {
		t.Fatalf("killed pass: %+v", st)
	}
	r.wantRows("webhook/ops PENDING 1 0")

	hook.mu.Lock()
	hook.delay = 0
	hook.mu.Unlock()
	b := r.notifier("B")
	r.advance(30 * time.Second) // the claim (60 s) and A's lease (15 s) ...
	if st := r.pass(b); st.Claimed != 0 {
		t.Fatalf("claimed while A's claim was live: %+v", st)
	}
	r.advance(31 * time.Second) // ... have both expired now
	if st := r.pass(b); st.Sent != 1 {
		t.Fatalf("restarted pass: %+v", st)
	}
	r.wantRows("webhook/ops SENT 2 200")
	if st := r.pass(b); st.Claimed != 0 {
		t.Fatalf("sent twice: %+v", st)
	}
	if hook.count() != 2 {
		t.Fatalf("webhook calls: got %d, want 2 (one cut off, one delivered)", hook.count())
	}
}

// TestLease: a second instance does not deliver while the first holds the lease.
func TestLease(t *testing.T) {
	hook := newWebhookServer(t, 200)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()})
	b := r.notifier("B")
	if st := r.pass(b); st.Skipped || st.Claimed != 0 {
		t.Fatalf("idle pass: %+v", st)
	}
	r.fail("first")
	if st := r.pass(r.n); st.Sent != 1 {
		t.Fatalf("lease holder: %+v", st)
	}
	r.fail("backup")
	if st := r.pass(b); !st.Skipped || st.Claimed != 0 {
		t.Fatalf("second instance: %+v", st)
	}
	if st := r.pass(r.n); st.Sent != 1 {
		t.Fatalf("lease holder: %+v", st)
	}
}

// TestCooldownFlapping: a flapping job sends one message per type per window; the others are
// recorded as SUPPRESSED. A channel's own cooldown overrides the default.
func TestCooldownFlapping(t *testing.T) {
	hook := newWebhookServer(t, 200)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	zero := 0
	r.putChannels(ChannelWebhook,
		ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: []string{"FAILURE"}},
		ChannelConfig{Name: "audit", URL: hook.srv.URL, EnabledAlertTypes: []string{"FAILURE"}, CooldownSeconds: &zero})
	for i := range 3 { // fail, recover, fail ... within 2 minutes
		r.fail("flappy")
		r.pass(r.n)
		r.advance(20 * time.Second)
		r.succeed("flappy")
		r.advance(20 * time.Second)
		_ = i
	}
	r.advance(5 * time.Minute)
	r.fail("flappy")
	r.pass(r.n)
	sup := "COOLDOWN: a FAILURE message for this job was sent less than 5m0s ago"
	r.wantRows(
		"webhook/ops SENT 1 200", "webhook/audit SENT 1 200",
		"webhook/ops SUPPRESSED 0 0 "+sup, "webhook/audit SENT 1 200",
		"webhook/ops SUPPRESSED 0 0 "+sup, "webhook/audit SENT 1 200",
		"webhook/ops SENT 1 200", "webhook/audit SENT 1 200")
}

// TestJobGlobs: a channel's job patterns select the alerts it gets.
func TestJobGlobs(t *testing.T) {
	hook := newWebhookServer(t, 200)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	r.putChannels(ChannelSlack, ChannelConfig{Name: "backups", URL: hook.srv.URL, EnabledAlertTypes: all(),
		Jobs: []string{"backup-*"}})
	r.fail("backup-db")
	r.fail("report")
	r.pass(r.n)
	r.wantRows(stubRow, "slack/backups SENT 1 200", stubRow)
}

// TestWebhookSignatureAndPayload checks the HMAC with an independent implementation and the
// body's alert, check and link.
func TestWebhookSignatureAndPayload(t *testing.T) {
	hook := newWebhookServer(t, 204)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client(), BaseURL: "https://mon.example.org"})
	secret := "s3cret"
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "signed", URL: hook.srv.URL, Secret: &secret, EnabledAlertTypes: all()})
	r.fail("nightly backup")
	if st := r.pass(r.n); st.Sent != 1 {
		t.Fatalf("pass: %+v", st)
	}
	body, h := hook.bodies[0], hook.heads[0]
	ts := h.Get("X-Chief-Timestamp")
	if ts != strconv.FormatInt(r.now.Unix(), 10) {
		t.Fatalf("timestamp header %q", ts)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := h.Get("X-Chief-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
		t.Fatalf("signature: got %q, want %q", got, want)
	}
	var p struct {
		Type  string `json:"type"`
		Alert struct {
			ID        int64  `json:"id"`
			AlertType string `json:"alertType"`
			JobName   string `json:"jobName"`
		} `json:"alert"`
		Check struct {
			Status              string `json:"status"`
			ConsecutiveFailures int    `json:"consecutiveFailures"`
		} `json:"check"`
		AlertURL string `json:"alertUrl"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "alert.opened" || p.Alert.AlertType != "FAILURE" || p.Alert.JobName != "nightly backup" ||
		p.Check.ConsecutiveFailures != 1 || p.AlertURL != "https://mon.example.org/alerts?jobName=nightly+backup" {
		t.Fatalf("payload: %s", body)
	}
	// Without a secret there is no signature.
	hook2 := newWebhookServer(t, 200)
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "signed", URL: hook2.srv.URL, Secret: new(string), EnabledAlertTypes: all()})
	r.advance(time.Hour)
	r.succeed("nightly backup")
	r.pass(r.n)
	if hook2.count() != 1 || hook2.heads[0].Get("X-Chief-Signature") != "" {
		t.Fatalf("unsigned webhook: %d calls, headers %v", hook2.count(), hook2.heads)
	}
}

// TestSlackColours: one message per alert type, coloured by type.
func TestSlackColours(t *testing.T) {
	hook := newWebhookServer(t, 200)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	r.putChannels(ChannelSlack, ChannelConfig{Name: "alerts", URL: hook.srv.URL, EnabledAlertTypes: all()})
	r.fail("etl")
	r.advance(time.Minute)
	r.succeed("etl")
	r.pass(r.n)
	if hook.count() != 2 {
		t.Fatalf("calls: %d", hook.count())
	}
	var colours []string
	for _, b := range hook.bodies {
		var p struct {
			Text        string `json:"text"`
			Attachments []struct {
				Color string `json:"color"`
			} `json:"attachments"`
		}
		if err := json.Unmarshal(b, &p); err != nil || len(p.Attachments) != 1 {
			t.Fatalf("payload %s: %v", b, err)
		}
		colours = append(colours, p.Text+" "+p.Attachments[0].Color)
	}
	slices.Sort(colours) // sent in parallel
	want := "[ALERT] FAILURE etl #d93025,[ALERT] RECOVERY etl #2eb67d"
	if strings.Join(colours, ",") != want {
		t.Fatalf("got %q, want %q", colours, want)
	}
}

// TestChannelRemovedBeforeSend: a message whose channel was deleted fails without retries.
func TestChannelRemovedBeforeSend(t *testing.T) {
	hook := newWebhookServer(t, 200)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()},
		ChannelConfig{Name: "keep", URL: hook.srv.URL, EnabledAlertTypes: []string{}})
	r.fail("backup")
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "keep", EnabledAlertTypes: []string{}})
	r.pass(r.n)
	r.wantRows("webhook/ops FAILED 1 0 " + ErrChannelGone.Error() + ": ops")
}

// TestHealth: the banner states, stalled and failing.
func TestHealth(t *testing.T) {
	hook := newWebhookServer(t, 400)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()})
	ctx := context.Background()
	h, err := r.n.Health(ctx, r.now)
	if err != nil || h.Stalled || h.Failing {
		t.Fatalf("empty: %+v %v", h, err)
	}
	r.fail("j1")
	r.advance(11 * time.Second)
	if h, _ := r.n.Health(ctx, r.now); !h.Stalled || h.Pending != 1 {
		t.Fatalf("pending with no pass: %+v", h)
	}
	for i := range 5 {
		r.fail(fmt.Sprintf("j%d", i+2))
		r.pass(r.n)
	}
	h, _ = r.n.Health(ctx, r.now)
	if h.Stalled || !h.Failing || h.Message == "" {
		t.Fatalf("five failures: %+v", h)
	}
	hook.mu.Lock()
	hook.codes = []int{200}
	hook.mu.Unlock()
	r.fail("j9")
	r.pass(r.n)
	if h, _ := r.n.Health(ctx, r.now); h.Failing || h.Stalled {
		t.Fatalf("after a success: %+v", h)
	}
}

// TestRunDrainsOnShutdown: Run wakes on new alerts and finishes the pass in progress when
// its context ends.
func TestRunDrainsOnShutdown(t *testing.T) {
	hook := newWebhookServer(t, 200)
	hook.delay = 300 * time.Millisecond
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client(), Interval: time.Hour})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()})
	var woke atomic.Int32
	r.w.OnAlerts(func([]models.Alert) { woke.Add(1); r.n.Wake() })
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.n.Run(ctx); close(stopped) }()
	r.fail("backup")
	for hook.count() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel() // shut down while the send is in flight
	<-stopped
	r.wantRows("webhook/ops SENT 1 200")
	if woke.Load() != 1 {
		t.Fatalf("wake-ups: %d", woke.Load())
	}
}

// rejectingSMTP is a loopback SMTP server that answers every DATA with code and text.
type rejectingSMTP struct{ reply *smtp.SMTPError }

func (b rejectingSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return b, nil }
func (b rejectingSMTP) Mail(string, *smtp.MailOptions) error        { return nil }
func (b rejectingSMTP) Rcpt(string, *smtp.RcptOptions) error        { return nil }
func (b rejectingSMTP) Data(r io.Reader) error                      { _, _ = io.Copy(io.Discard, r); return b.reply }
func (b rejectingSMTP) Reset()                                      {}
func (b rejectingSMTP) Logout() error                               { return nil }

// TestSMTPReplyCodeRecorded: an SMTP 4xx (retry) or 5xx (failure) keeps its reply code in
// response_code, as docs/alerting.md promises ("FAILED with the code and error text").
func TestSMTPReplyCodeRecorded(t *testing.T) {
	for _, tc := range []struct {
		code int
		want []string
	}{
		{451, []string{"email/smtp PENDING 1 451 SMTP 451: try later", "email/smtp RETRY 1 451 SMTP 451: try later"}},
		{554, []string{"email/smtp FAILED 1 554 SMTP 554: rejected"}},
	} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			text := map[int]string{451: "try later", 554: "rejected"}[tc.code]
			srv := smtp.NewServer(rejectingSMTP{&smtp.SMTPError{Code: tc.code, Message: text}})
			srv.Domain = "localhost"
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(func() { _ = srv.Close() })
			sender := &delivery.SMTP{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "a@example.org", TLS: delivery.TLSNone}
			r := newNotifyRig(t, "smtp", NotifierOptions{Email: sender})
			r.putChannels(ChannelWebhook, ChannelConfig{Name: "x", URL: "http://127.0.0.1:1/", EnabledAlertTypes: []string{"MISSED"}})
			r.putEmail([]string{"ops@example.org"}, "FAILURE")
			r.fail("backup")
			r.pass(r.n)
			r.wantRows(tc.want...)
		})
	}
}

// TestShutdownSendsNoMoreThanInFlight: on shutdown a pass finishes the sends in flight but
// starts no new one, and the claimed rows it did not send are given back, due at once with
// their attempt count unchanged; no further pass starts. (A slow target once held a SIGTERM
// for minutes: every claimed row was sent, then new passes ran.)
func TestShutdownSendsNoMoreThanInFlight(t *testing.T) {
	hook := newWebhookServer(t, 200)
	hook.delay = 300 * time.Millisecond
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client(), Interval: time.Hour, Parallel: 1})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()})
	for _, job := range []string{"a", "b", "c", "d"} {
		r.fail(job)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.n.Run(ctx); close(stopped) }()
	r.n.Wake()
	for hook.count() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel() // shut down while the first send is in flight
	<-stopped
	if hook.count() != 1 {
		t.Fatalf("sends after shutdown: %d, want only the one in flight", hook.count())
	}
	r.wantRows("webhook/ops SENT 1 200", "webhook/ops PENDING 0 0", "webhook/ops PENDING 0 0", "webhook/ops PENDING 0 0")
	r.advance(4 * time.Hour) // the stopped instance's lease (3 intervals) lapses
	if st := r.pass(r.notifier("B")); st.Sent != 3 {
		t.Fatalf("next start: %+v", st)
	}
}

// TestRecordSurvivesShortDatabaseOutage: when the database cannot take the outcome of a send
// it knows (it went read-only, or PostgreSQL restarted, as the target answered), the notifier
// keeps trying while its claim lasts, so the message is recorded SENT and not sent again.
func TestRecordSurvivesShortDatabaseOutage(t *testing.T) {
	if testutil.PostgresURL() != "" {
		t.Skip("SQLite only: query_only stands in for the outage")
	}
	var r *notifyRig
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		if _, err := r.st.WriteDB().Exec("PRAGMA query_only = 1"); err != nil {
			t.Error(err)
		}
		time.AfterFunc(300*time.Millisecond, func() { _, _ = r.st.WriteDB().Exec("PRAGMA query_only = 0") })
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	r = newNotifyRig(t, "", NotifierOptions{HTTPClient: srv.Client(), ClaimTTL: 4 * time.Second})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: srv.URL, EnabledAlertTypes: all()})
	r.fail("backup")
	if st := r.pass(r.n); st.Sent != 1 {
		t.Fatalf("pass: %+v", st)
	}
	r.advance(time.Hour) // any claim would have expired
	r.pass(r.notifier("B"))
	r.wantRows("webhook/ops SENT 1 200")
	if calls.Load() != 1 {
		t.Fatalf("sends: %d", calls.Load())
	}
}

// TestFailureMessageSaysWhatHappened: the FAILURE of a run whose script failed carries the
// failing script, its exit code, the first and last error lines, the duration and a link to the
// run, in the webhook payload and the e-mail text alike.
func TestFailureMessageSaysWhatHappened(t *testing.T) {
	hook := newWebhookServer(t, 204)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client(), BaseURL: "https://mon.example.org"})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "ops", URL: hook.srv.URL, EnabledAlertTypes: all()})
	at := telemetry.ServerTime(r.now)
	r.ingest(scriptDone("load", "load:9", at, "workers/load.py", false, 3,
		`{"stderr_tail":"Traceback (most recent call last):\n  File \"load.py\", line 3\nKeyError: 'id'\n"}`),
		jobDone(telemetry.EventJobFailed, "load", "load:9", at, false, `{}`))
	if st := r.pass(r.n); st.Sent != 1 {
		t.Fatalf("pass: %+v", st)
	}
	var p struct {
		Run struct {
			FailingScript string `json:"failingScript"`
			ExitCode      int    `json:"exitCode"`
			ErrorLine     string `json:"errorLine"`
			DurationMs    int64  `json:"durationMs"`
		} `json:"run"`
		RunURL string `json:"runUrl"`
	}
	if err := json.Unmarshal(hook.bodies[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.Run.FailingScript != "workers/load.py" || p.Run.ExitCode != 3 || p.Run.ErrorLine != "KeyError: 'id'" ||
		p.Run.DurationMs != 2000 || p.RunURL != "https://mon.example.org/runs/load:9" {
		t.Fatalf("payload: %s", hook.bodies[0])
	}
	alerts, err := r.st.Alerts(context.Background(), store.AlertFilter{JobName: "load", Limit: 1})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts: %v %v", alerts, err)
	}
	run, _ := r.st.Run(context.Background(), "load:9")
	text := delivery.EmailText(delivery.Message{Alert: alerts[0], Run: run, RunURL: p.RunURL})
	for _, want := range []string{"Failing script: workers/load.py (exit code 3)", "Error: KeyError: 'id'",
		"First error line: Traceback (most recent call last):", "Run duration: 2.0 s", "Run: https://mon.example.org/runs/load:9"} {
		if !strings.Contains(text, want) {
			t.Errorf("e-mail text lacks %q:\n%s", want, text)
		}
	}
}
