package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/services"
)

// ntfyFake is a local ntfy-style server: it keeps each published message.
type ntfyFake struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []string
}

func newNtfyFake(t *testing.T) *ntfyFake {
	f := &ntfyFake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.msgs = append(f.msgs, r.URL.Path+" "+r.Header.Get("Title")+" "+string(b))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"m1","event":"message"}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *ntfyFake) url(topic string) string {
	return "ntfy://" + strings.TrimPrefix(f.srv.URL, "http://") + "/" + topic + "?scheme=http"
}

func (f *ntfyFake) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.msgs...)
}

// TestChatChannelSettings: PUT validates each URL with the library (400 naming the field, with
// its reason and the accepted services), GET never shows the token, an empty or masked URL
// keeps the stored one, and a client that predates tags and severities still works.
func TestChatChannelSettings(t *testing.T) {
	r := newSettingsAPI(t, false)
	const path = "/v1/settings/chat-channels"
	r.want(r.do("GET", path, "", key, "key"), 200, `{"channels":[],"defaultCooldownSeconds":300}`)
	for _, tc := range []struct{ name, body, want string }{
		{"unknown service", `{"channels":[{"name":"a","url":"https://x.io/h","enabledAlertTypes":["FAILURE"]}]}`,
			`{"path":"channels.0.url","message":"Invalid chat service URL: unsupported service \"https\". Supported services: bark, discord,`},
		{"library refuses", `{"channels":[{"name":"a","url":"ntfy://ntfy.sh/ok"},{"name":"b","url":"discord://onlyid"}]}`,
			`{"path":"channels.1.url","message":"Invalid chat service URL: setting config URL: token missing from config URL. Supported services:`},
		{"bad severity", `{"channels":[{"name":"a","url":"ntfy://ntfy.sh/t","severities":["error"]}]}`,
			`{"path":"channels.0.severities.0","message":"Invalid enum value. Expected 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL', received 'error'"}`},
		{"bad tag pattern", `{"channels":[{"name":"a","url":"ntfy://ntfy.sh/t","tags":["[db"]}]}`,
			`{"path":"channels.0.tags.0","message":"Invalid tag pattern"}`},
		{"no url", `{"channels":[{"name":"a"}]}`, `{"path":"channels.0.url","message":"Required"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.wantContains(r.do("PUT", path, tc.body, key, "key"), 400, `"error":"Invalid chat channel settings payload"`, tc.want)
		})
	}
	r.want(r.do("PUT", path, `{"channels":[{"name":"dc","url":"discord://t0k3n-secret@123456","enabledAlertTypes":["FAILURE"],"tags":["db*"],"severities":["ERROR","CRITICAL"]},`+
		`{"name":"phone","url":"ntfy://user:pa55word@ntfy.example.org/s3cret-topic","enabledAlertTypes":["MISSED"]}]}`, key, "key"), 200,
		`{"channels":[{"name":"dc","service":"discord","url":"discord://123456/…","hasSecret":false,"enabledAlertTypes":["FAILURE"],"jobs":[],"tags":["db*"],"severities":["ERROR","CRITICAL"],"cooldownSeconds":null},`+
			`{"name":"phone","service":"ntfy","url":"ntfy://ntfy.example.org/…","hasSecret":false,"enabledAlertTypes":["MISSED"],"jobs":[],"tags":[],"severities":[],"cooldownSeconds":null}],"defaultCooldownSeconds":300}`)
	got := r.do("GET", path, "", key, "key")
	for _, secret := range []string{"t0k3n-secret", "pa55word", "s3cret-topic"} {
		if strings.Contains(got.body, secret) {
			t.Fatalf("GET shows %q: %s", secret, got.body)
		}
	}
	// An old client sends the masked URL back (or none) and no tags or severities.
	r.want(r.do("PUT", path, `{"channels":[{"name":"dc","url":"discord://123456/…","enabledAlertTypes":["FAILURE","MISSED"]},{"name":"phone","enabledAlertTypes":["MISSED"]}]}`, key, "key"), 200, "")
	raw, err := r.st.ConfigValue(t.Context(), store.KeyChatSettings)
	cs := services.ParseChannelSettings(raw)
	if err != nil || len(cs.Channels) != 2 || cs.Channels[0].URL != "discord://t0k3n-secret@123456" ||
		cs.Channels[1].URL != "ntfy://user:pa55word@ntfy.example.org/s3cret-topic" || len(cs.Channels[0].Tags) != 0 {
		t.Fatalf("stored: %+v %v", cs, err)
	}
}

// TestChatChannelTest: the test endpoint sends through each chat channel, and a second test
// within the limiter's period is a 429 with Retry-After.
func TestChatChannelTest(t *testing.T) {
	r := newSettingsAPI(t, false)
	ntfy := newNtfyFake(t)
	r.want(r.do("POST", "/v1/settings/chat-channels/test", `{}`, key, "key"), 400, `{"attempted":0,"sent":0,"failed":0,"message":"No chat channels configured."}`)
	r.want(r.do("PUT", "/v1/settings/chat-channels", `{"channels":[{"name":"phone","url":"`+ntfy.url("ops")+`","enabledAlertTypes":["FAILURE"]}]}`, key, "key"), 200, "")
	r.wantContains(r.do("POST", "/v1/settings/chat-channels/test", `{}`, key, "key"), 200,
		`"message":"Test chat channel message sent."`, `"channels":[{"name":"phone","ok":true`)
	if msgs := ntfy.got(); len(msgs) != 1 || !strings.Contains(msgs[0], "/ops Test alert from Gulag Monitor") ||
		!strings.Contains(msgs[0], "Enabled alert types: FAILURE") {
		t.Fatalf("ntfy got %q", msgs)
	}
	got := r.do("POST", "/v1/settings/chat-channels/test", `{}`, key, "key")
	if got.status != 429 || got.header.Get("Retry-After") == "" || len(ntfy.got()) != 1 {
		t.Fatalf("second test: %d %s %v", got.status, got.body, got.header)
	}
}

// TestChatSettingsCard: the settings page's chat card saves a channel with its filters from a
// plain form (no JavaScript), shows it masked with its filters, and validates with the field.
func TestChatSettingsCard(t *testing.T) {
	r := newDash(t, nil)
	r.signIn()
	if p := r.do("GET", "/settings", nil); p.testid("channels-chat").Length() != 1 || p.testid("test-chat").Length() != 1 {
		t.Fatalf("settings page lacks the chat card: %s", p.body)
	}
	tok := r.csrf("/settings")
	form := url.Values{"_csrf": {tok}, "name": {"dc"}, "url": {"discord://nothing"}, "enabledAlertTypes": {"FAILURE"}}
	p := r.do("POST", "/settings/channels/chat", form, "Origin", sameOrigin)
	if p.status != 400 || !strings.Contains(p.testid("error-banner").Text(), "channels.0.url: Invalid chat service URL: ") {
		t.Fatalf("invalid: %d %s", p.status, p.body)
	}
	form.Set("url", "discord://t0k3n-secret@123456")
	form.Set("tags", "db*, storage")
	form["severities"] = []string{"ERROR", "CRITICAL"}
	p = r.do("POST", "/settings/channels/chat", form, "Origin", sameOrigin)
	row := p.testid("channel-row")
	if p.status != 200 || row.Length() != 1 || strings.Contains(p.body, "t0k3n-secret") ||
		!strings.Contains(row.Text(), "discord://123456/…") || !strings.Contains(row.Text(), "db*, storage") ||
		!strings.Contains(row.Text(), "ERROR, CRITICAL") {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	if p := r.do("GET", "/settings", nil); strings.Contains(p.body, "t0k3n-secret") {
		t.Fatal("the settings page shows the token")
	}
}
