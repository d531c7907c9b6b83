package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/models"
)

// chatServer is a local stand-in for one chat service: it records each request and answers
// with the next scripted status (repeating the last) and body.
type chatServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	codes []int
	reply string
	reqs  []chatRequest
}

type chatRequest struct {
	path, query string
	header      http.Header
	body        string
}

func newChatServer(t *testing.T, tls bool, reply string, codes ...int) *chatServer {
	t.Helper()
	s := &chatServer{codes: codes, reply: reply}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, chatRequest{r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		code := s.codes[min(len(s.reqs), len(s.codes))-1]
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if code < 300 {
			_, _ = io.WriteString(w, s.reply)
		} else {
			_, _ = io.WriteString(w, http.StatusText(code))
		}
	})
	if tls {
		s.srv = httptest.NewTLSServer(h)
	} else {
		s.srv = httptest.NewServer(h)
	}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *chatServer) requests() []chatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]chatRequest(nil), s.reqs...)
}

// hostPort is the server's 127.0.0.1:port.
func (s *chatServer) hostPort() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.srv.URL, "http://"), "https://")
}

// FixedHostClient is an HTTP client that reaches a service whose host the library fixes
// (discord.com, api.pushover.net) at the local TLS server instead, as DNS pointing the name at
// 127.0.0.1 would: the request, its host and TLS stay as the library made them.
func FixedHostClient(srv *httptest.Server, host string) *http.Client {
	tr := srv.Client().Transport.(*http.Transport).Clone()
	local := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == host+":443" {
			addr = local
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig.ServerName = "example.com" // the name httptest's certificate holds
	return &http.Client{Transport: tr}
}

func failedRunMessage() Message {
	script, line, tail := "workers/load.py", "KeyError: 'id'", "Traceback (most recent call last):\nKeyError: 'id'\n"
	code, dur := int64(3), int64(2000)
	return Message{ID: "7:chat:ops",
		Alert: models.Alert{ID: 7, JobName: "load", AlertType: models.AlertFailure, Severity: models.SeverityError,
			Title: "Job load failed", OpenedAt: "2026-03-04T10:00:00.000Z", DetailsJSON: `{"runId":"load:9"}`},
		Run: &models.Run{RunID: "load:9", Status: models.RunFailed, FailingScript: &script, ExitCode: &code,
			ErrorLine: &line, StderrTail: &tail, DurationMs: &dur},
		RunURL: "https://mon.example.org/runs/load:9", AlertURL: "https://mon.example.org/alerts?jobName=load"}
}

// wantFacts checks that text carries what a person needs to act on the alert.
func wantFacts(t *testing.T, text string) {
	t.Helper()
	for _, want := range []string{"Job load failed", "Job: load", "FAILURE", "ERROR", "Failing script: workers/load.py (exit code 3)",
		"Error: KeyError: 'id'", "Run duration: 2.0 s", "https://mon.example.org/runs/load:9",
		"https://mon.example.org/alerts?jobName=load"} {
		if !strings.Contains(text, want) {
			t.Errorf("message lacks %q:\n%s", want, text)
		}
	}
}

// TestChatServices sends one failure through each service the library lets us point at a
// local server, and checks what that server received.
func TestChatServices(t *testing.T) {
	cases := []struct {
		name  string
		tls   bool
		reply string
		url   func(s *chatServer) string
		// host is the fixed host of the service (reached through FixedHostClient), or "".
		host  string
		check func(t *testing.T, r chatRequest)
	}{
		{name: "ntfy", reply: `{"id":"x","event":"message"}`,
			url: func(s *chatServer) string { return "ntfy://" + s.hostPort() + "/backups?scheme=http" },
			check: func(t *testing.T, r chatRequest) {
				if r.path != "/backups" || r.header.Get("Title") != "[ALERT] FAILURE load" {
					t.Errorf("ntfy request: %s %v", r.path, r.header)
				}
				wantFacts(t, r.body)
			}},
		{name: "gotify", reply: `{"id":1}`,
			url: func(s *chatServer) string { return "gotify://" + s.hostPort() + "/Aaaaaaaaaaaaaaa?disabletls=yes" },
			check: func(t *testing.T, r chatRequest) {
				var p struct{ Title, Message string }
				if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.path != "/message" || p.Title != "[ALERT] FAILURE load" {
					t.Errorf("gotify request: %s %s %v", r.path, r.body, err)
				}
				wantFacts(t, p.Message)
			}},
		{name: "mattermost", reply: `ok`,
			url: func(s *chatServer) string { return "mattermost://" + s.hostPort() + "/hooktoken123?disabletls=yes" },
			check: func(t *testing.T, r chatRequest) {
				var p struct{ Text string }
				if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.path != "/hooks/hooktoken123" {
					t.Errorf("mattermost request: %s %s %v", r.path, r.body, err)
				}
				wantFacts(t, p.Text)
			}},
		{name: "generic JSON", reply: `{}`,
			url: func(s *chatServer) string { return "generic://" + s.hostPort() + "/hook?template=json&disabletls=yes" },
			check: func(t *testing.T, r chatRequest) {
				var p map[string]string
				if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.path != "/hook" || p["title"] != "[ALERT] FAILURE load" {
					t.Errorf("generic request: %s %s %v", r.path, r.body, err)
				}
				wantFacts(t, p["message"])
			}},
		{name: "generic custom URL", reply: `{}`,
			url: func(s *chatServer) string { return "generic+" + s.srv.URL + "/in?template=json" },
			check: func(t *testing.T, r chatRequest) {
				if r.path != "/in" || !strings.Contains(r.body, "KeyError") {
					t.Errorf("generic custom request: %s %s", r.path, r.body)
				}
			}},
		{name: "discord", tls: true, host: "discord.com",
			url: func(*chatServer) string { return "discord://tok3n@123456" },
			check: func(t *testing.T, r chatRequest) {
				var p struct {
					Embeds []struct{ Description string } `json:"embeds"`
				}
				if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.path != "/api/webhooks/123456/tok3n" || len(p.Embeds) != 1 {
					t.Fatalf("discord request: %s %s %v", r.path, r.body, err)
				}
				wantFacts(t, r.body)
			}},
		{name: "pushover", tls: true, host: "api.pushover.net", reply: `{"status":1}`,
			url: func(*chatServer) string { return "pushover://shoutrrr:apptoken1@userkey12/?devices=phone" },
			check: func(t *testing.T, r chatRequest) {
				if r.path != "/1/messages.json" || !strings.Contains(r.body, "title=%5BALERT%5D+FAILURE+load") {
					t.Errorf("pushover request: %s %s", r.path, r.body)
				}
				wantFacts(t, mustUnquery(t, r.body))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code := 200
			if tc.name == "discord" {
				code = 204
			}
			s := newChatServer(t, tc.tls, tc.reply, code)
			c := &Chat{URL: tc.url(s)}
			if tc.host != "" {
				c.Client = FixedHostClient(s.srv, tc.host)
			}
			if err := CheckChatURL(c.URL); err != nil {
				t.Fatalf("CheckChatURL(%s): %v", c.URL, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := c.Send(ctx, failedRunMessage()); err != nil {
				t.Fatalf("send: %v", err)
			}
			reqs := s.requests()
			if len(reqs) != 1 {
				t.Fatalf("requests: %d", len(reqs))
			}
			tc.check(t, reqs[0])
		})
	}
}

func mustUnquery(t *testing.T, s string) string {
	t.Helper()
	out, err := url.QueryUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestChatErrors: 5xx and 429 answers and an unreachable server are temporary, other 4xx are
// permanent, and no error text shows the token of the URL.
func TestChatErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		code      int
		temporary bool
	}{
		{"server error", 500, true},
		{"rate limited", 429, true},
		{"bad request", 400, false},
		{"not found", 404, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newChatServer(t, false, `{}`, tc.code)
			for _, raw := range []string{
				"generic://" + s.hostPort() + "/hook/s3cr3tpath?disabletls=yes",
				"mattermost://" + s.hostPort() + "/s3cr3tpath?disabletls=yes",
				"ntfy://" + s.hostPort() + "/s3cr3tpath?scheme=http",
			} {
				_, err := (&Chat{URL: raw}).Send(context.Background(), failedRunMessage())
				var de *Error
				if !errors.As(err, &de) || de.Temporary != tc.temporary || de.Code != tc.code {
					t.Errorf("%s: got %#v, want code %d temporary %v", raw, err, tc.code, tc.temporary)
				}
				if err != nil && strings.Contains(err.Error(), "s3cr3tpath") {
					t.Errorf("error text shows the secret: %v", err)
				}
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		s := newChatServer(t, false, `{}`, 200)
		s.srv.Close()
		_, err := (&Chat{URL: "ntfy://" + s.hostPort() + "/s3cr3tpath?scheme=http"}).Send(context.Background(), failedRunMessage())
		if err == nil || !IsTemporary(err) || strings.Contains(err.Error(), "s3cr3tpath") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("discord gives up after its own retries", func(t *testing.T) {
		s := newChatServer(t, true, ``, 503)
		c := &Chat{URL: "discord://tok3nsecret@123456", Client: FixedHostClient(s.srv, "discord.com")}
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, failedRunMessage())
		if err == nil || !IsTemporary(err) || strings.Contains(err.Error(), "tok3nsecret") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("discord refuses", func(t *testing.T) {
		s := newChatServer(t, true, ``, 401)
		c := &Chat{URL: "discord://tok3nsecret@123456", Client: FixedHostClient(s.srv, "discord.com")}
		_, err := c.Send(context.Background(), failedRunMessage())
		var de *Error
		if !errors.As(err, &de) || de.Temporary || de.Code != 401 {
			t.Fatalf("got %#v", err)
		}
	})
}

// TestCheckChatURL: the library's reason comes back for a refused URL, without the token.
func TestCheckChatURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://example.org/hook", `unsupported service "https"`},
		{"smtp://mail.example.org", `unsupported service "smtp"`},
		{"not a url", "not a URL"},
		{"discord://123456", "token missing"},
		{"telegram://bad@telegram?chats=@c", "invalid telegram token"},
		{"gotify://host/short", ""},
		{"matrix://user:pass@matrix.example.org/?rooms=!r:example.org", ""},
		{"ntfy://ntfy.sh/topic", ""},
		{"teams+https://example.webhook.office.com/webhookb2/11111111-1111-1111-1111-111111111111@22222222-2222-2222-2222-222222222222/IncomingWebhook/33333333333333333333333333333333/44444444-4444-4444-4444-444444444444/V2abc", ""},
	} {
		err := CheckChatURL(tc.url)
		var ue *ChatURLError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case tc.want != "" && (!errors.As(err, &ue) || !strings.Contains(ue.Reason, tc.want)):
			t.Errorf("%s: got %v, want %q", tc.url, err, tc.want)
		}
	}
}
