package services

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// chatFake is a local stand-in for a chat service: it records each request body and answers
// with the next scripted status, repeating the last.
type chatFake struct {
	srv    *httptest.Server
	mu     sync.Mutex
	codes  []int
	reply  string
	paths  []string
	bodies []string
}

func newChatFake(t *testing.T, tls bool, reply string, codes ...int) *chatFake {
	f := &chatFake{codes: codes, reply: reply}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.paths, f.bodies = append(f.paths, r.URL.Path), append(f.bodies, string(b))
		code := f.codes[min(len(f.bodies), len(f.codes))-1]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if code < 300 {
			_, _ = io.WriteString(w, f.reply)
		} else {
			_, _ = io.WriteString(w, http.StatusText(code))
		}
	})
	if tls {
		f.srv = httptest.NewTLSServer(h)
	} else {
		f.srv = httptest.NewServer(h)
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *chatFake) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

func (f *chatFake) hostPort() string { return strings.TrimPrefix(f.srv.URL, "http://") }

// ntfyURL points an ntfy channel at the fake over plain HTTP.
func (f *chatFake) ntfyURL(topic string) string {
	return "ntfy://" + f.hostPort() + "/" + topic + "?scheme=http"
}

// discordClient reaches discord.com at the local TLS fake, as DNS naming 127.0.0.1 would: the
// Discord service's host is fixed in the library, which takes the caller's HTTP client instead.
func discordClient(f *chatFake) *http.Client {
	tr := f.srv.Client().Transport.(*http.Transport).Clone()
	local := f.srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "discord.com:443" {
			addr = local
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig.ServerName = "example.com" // the name httptest's certificate holds
	return &http.Client{Transport: tr}
}

// failRun ingests a run of job with the job's tags in its start (a batch of its own, as the
// tags are read from the stored check), then its script's traceback and its failure.
func (r *notifyRig) failRun(job, run string, tags ...string) {
	r.t.Helper()
	at := telemetry.ServerTime(r.now)
	tj, _ := json.Marshal(tags)
	meta := `{"check_enabled":true,"alert_on_failure":true,"alert_on_miss":true,"tags":` + string(tj) + `}`
	r.ingest(runEvent(telemetry.EventJobStarted, job, run, at, meta))
	r.ingest(scriptDone(job, run, at, "workers/load.py", false, 3,
		`{"stderr_tail":"Traceback (most recent call last):\n  File \"load.py\", line 3\nKeyError: 'id'\n"}`),
		jobDone(telemetry.EventJobFailed, job, run, at, false, meta))
}

// TestChatChannelsGetTheFailure: a Discord-style and an ntfy-style server each receive exactly
// one message for a failed run, carrying the run's error line and the links, and each send
// is a SENT chat row named after its channel.
func TestChatChannelsGetTheFailure(t *testing.T) {
	discord := newChatFake(t, true, ``, 204)
	ntfy := newChatFake(t, false, `{"id":"m1","event":"message"}`, 200)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: discordClient(discord), BaseURL: "https://mon.example.org"})
	r.putChannels(ChannelChat,
		ChannelConfig{Name: "discord-ops", URL: "discord://tok3n@123456", EnabledAlertTypes: all()},
		ChannelConfig{Name: "phone", URL: ntfy.ntfyURL("ops-alerts"), EnabledAlertTypes: all()})
	r.failRun("load", "load:9")
	if st := r.pass(r.n); st.Sent != 2 {
		t.Fatalf("pass: %+v, rows %v", st, r.rows())
	}
	r.wantRows(stubRow, "chat/discord-ops SENT 1 204", "chat/phone SENT 1 0")
	for name, f := range map[string]*chatFake{"discord": discord, "ntfy": ntfy} {
		bodies := f.got()
		if len(bodies) != 1 {
			t.Fatalf("%s received %d messages", name, len(bodies))
		}
		for _, want := range []string{"KeyError: 'id'", "Failing script: workers/load.py (exit code 3)",
			"https://mon.example.org/runs/load:9", "https://mon.example.org/alerts?jobName=load", "Job: load"} {
			if !strings.Contains(bodies[0], want) {
				t.Errorf("%s message lacks %q: %s", name, want, bodies[0])
			}
		}
	}
	if discord.paths[0] != "/api/webhooks/123456/tok3n" || ntfy.paths[0] != "/ops-alerts" {
		t.Fatalf("paths: %v %v", discord.paths, ntfy.paths)
	}
}

// TestChatRetriesThenSends: a 500 is retried at the backoff time and every attempt recorded.
func TestChatRetriesThenSends(t *testing.T) {
	ntfy := newChatFake(t, false, `{"id":"m1"}`, 500, 200)
	r := newNotifyRig(t, "", NotifierOptions{})
	r.putChannels(ChannelChat, ChannelConfig{Name: "phone", URL: ntfy.ntfyURL("t0pic-secret"), EnabledAlertTypes: all()})
	r.fail("backup")
	if st := r.pass(r.n); st.Retried != 1 {
		t.Fatalf("first pass: %+v", st)
	}
	r.advance(30 * time.Second)
	if st := r.pass(r.n); st.Sent != 1 {
		t.Fatalf("second pass: %+v", st)
	}
	rows := r.rows()
	if len(rows) != 3 || rows[1] != "chat/phone SENT 2 0" || !strings.HasPrefix(rows[2], "chat/phone RETRY 1 500 ") {
		t.Fatalf("rows: %q", rows)
	}
	if strings.Contains(strings.Join(rows, " "), "t0pic-secret") {
		t.Fatalf("an error text shows the URL's secret: %q", rows)
	}
	if len(ntfy.got()) != 2 {
		t.Fatalf("ntfy calls: %d", len(ntfy.got()))
	}
}

// TestRoutingByTagAndSeverity: a channel with tags [db*] gets the alert of a job tagged
// db-backup and not of one tagged web; a channel for ERROR and CRITICAL gets failures, not
// recoveries; filters are ANDed, patterns within a filter ORed.
func TestRoutingByTagAndSeverity(t *testing.T) {
	hook := newWebhookServer(t, 200)
	ntfy := newChatFake(t, false, `{"id":"m1"}`, 200)
	r := newNotifyRig(t, "", NotifierOptions{HTTPClient: hook.srv.Client()})
	r.putChannels(ChannelChat,
		ChannelConfig{Name: "dba", URL: ntfy.ntfyURL("dba"), EnabledAlertTypes: all(), Tags: []string{"db*", "storage"}},
		ChannelConfig{Name: "pager", URL: ntfy.ntfyURL("pager"), EnabledAlertTypes: all(), Severities: []string{"ERROR", "CRITICAL"}},
		ChannelConfig{Name: "db-nightly", URL: ntfy.ntfyURL("dbn"), EnabledAlertTypes: all(), Tags: []string{"db*"}, Jobs: []string{"nightly-*"}})
	r.putChannels(ChannelWebhook, ChannelConfig{Name: "web-team", URL: hook.srv.URL, EnabledAlertTypes: all(), Tags: []string{"web"}})
	r.failRun("db-dump", "db-dump:1", "db-backup")
	r.failRun("site", "site:1", "web")
	r.failRun("untagged", "untagged:1")
	r.pass(r.n)
	r.advance(time.Minute)
	r.succeed("site") // a RECOVERY is INFO: not for the pager
	r.pass(r.n)
	r.wantRows(
		"chat/dba SENT 1 0", "chat/pager SENT 1 0", // db-dump: tag db-backup matches db*; not a nightly job
		"webhook/web-team SENT 1 200", "chat/pager SENT 1 0", // site
		"chat/pager SENT 1 0",         // untagged
		"webhook/web-team SENT 1 200") // site's recovery
}

// TestMatches covers the filters one by one, an old channel without the new keys included.
func TestMatches(t *testing.T) {
	failure := models.Alert{JobName: "db-dump", AlertType: models.AlertFailure, Severity: models.SeverityError}
	hung := models.Alert{JobName: "db-dump", AlertType: models.AlertHung, Severity: models.SeverityError}
	for _, tc := range []struct {
		name string
		ch   ChannelConfig
		a    models.Alert
		tags []string
		want bool
	}{
		{"old channel: every job and severity", ChannelConfig{EnabledAlertTypes: []string{"FAILURE"}}, failure, nil, true},
		{"type not enabled", ChannelConfig{EnabledAlertTypes: []string{"MISSED"}}, failure, nil, false},
		{"HUNG goes where FAILURE goes", ChannelConfig{EnabledAlertTypes: []string{"FAILURE"}}, hung, nil, true},
		{"tag matches one pattern", ChannelConfig{EnabledAlertTypes: all(), Tags: []string{"web", "db*"}}, failure, []string{"x", "db-backup"}, true},
		{"tag filter, job untagged", ChannelConfig{EnabledAlertTypes: all(), Tags: []string{"db*"}}, failure, nil, false},
		{"severity not chosen", ChannelConfig{EnabledAlertTypes: all(), Severities: []string{"CRITICAL"}}, failure, nil, false},
		{"severity chosen", ChannelConfig{EnabledAlertTypes: all(), Severities: []string{"WARN", "ERROR"}}, failure, nil, true},
		{"job and tag both required", ChannelConfig{EnabledAlertTypes: all(), Jobs: []string{"web-*"}, Tags: []string{"db*"}}, failure, []string{"db"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ch.Matches(tc.a, tc.tags); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFirstAlertRoutesByTheTagsOfItsOwnBatch: a new job's first events bring its tags and its
// failure in one batch; the failure is routed by those tags.
func TestFirstAlertRoutesByTheTagsOfItsOwnBatch(t *testing.T) {
	ntfy := newChatFake(t, false, `{"id":"m1"}`, 200)
	r := newNotifyRig(t, "", NotifierOptions{})
	r.putChannels(ChannelChat, ChannelConfig{Name: "dba", URL: ntfy.ntfyURL("dba"), EnabledAlertTypes: all(), Tags: []string{"db*"}})
	at := telemetry.ServerTime(r.now)
	meta := `{"check_enabled":true,"tags":["db-backup"]}`
	r.ingest(runEvent(telemetry.EventJobStarted, "fresh", "fresh:1", at, meta),
		jobDone(telemetry.EventJobFailed, "fresh", "fresh:1", at, false, meta))
	r.pass(r.n)
	r.wantRows("webhook/ STUB 0 0 Webhook integration not configured in v1.", "chat/dba SENT 1 0")
}
