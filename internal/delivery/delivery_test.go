package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/gulag/chief-monitor/models"
)

// received is one message the test SMTP server accepted.
type received struct {
	from string
	to   []string
	data []byte
	user string
}

// smtpBackend is a small in-memory SMTP server backend: it keeps every message and can
// require PLAIN authentication or reject recipients with a scripted reply.
type smtpBackend struct {
	mu       sync.Mutex
	msgs     []received
	user     string
	password string
	rcptErr  *smtp.SMTPError
}

type smtpSession struct {
	b   *smtpBackend
	cur received
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.b.user || pass != s.b.password {
			return &smtp.SMTPError{Code: 535, Message: "bad credentials"}
		}
		s.cur.user = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.cur.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.cur.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.rcptErr != nil {
		return s.b.rcptErr
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = received{user: s.cur.user} }
func (s *smtpSession) Logout() error { return nil }

// startSMTP runs the backend on a loopback port, with STARTTLS offered when cert is set.
func startSMTP(t *testing.T, b *smtpBackend, cert *tls.Certificate) (host string, port int) {
	t.Helper()
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = cert == nil
	srv.ErrorLog = nopLogger{}
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }() // returns when closed at cleanup
	t.Cleanup(func() { _ = srv.Close() })
	a := ln.Addr().(*net.TCPAddr)
	return "127.0.0.1", a.Port
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}

func failureAlert() models.Alert {
	return models.Alert{ID: 7, JobName: "nightly-backup", AlertType: models.AlertMissed, Severity: models.SeverityWarn,
		Status: "OPEN", OpenedAt: "2026-03-04T10:02:01.000Z", DedupeKey: "nightly-backup:MISSED",
		Title:       "Job nightly-backup missed expected heartbeat",
		DetailsJSON: `{"expectedNextAt":"2026-03-04T10:00:00Z","graceSeconds":120,"observedAt":"2026-03-04T10:02:01.000Z"}`}
}

// TestSMTPDelivers sends through a real SMTP server on loopback and checks the message.
func TestSMTPDelivers(t *testing.T) {
	// httptest's self-signed certificate (valid for 127.0.0.1) serves STARTTLS and TLS.
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	defer ts.Close()
	cert := ts.TLS.Certificates[0]
	roots := ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	cases := []struct {
		name string
		mode string
		tls  bool
		user string
	}{
		{name: "plain relay on loopback", mode: TLSNone},
		{name: "auth without tls on loopback", mode: TLSNone, user: "mon"},
		{name: "starttls with auth", mode: TLSStartTLS, tls: true, user: "mon"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &smtpBackend{user: tc.user, password: "pw"}
			var c *tls.Certificate
			if tc.tls {
				c = &cert
			}
			host, port := startSMTP(t, b, c)
			s := &SMTP{Host: host, Port: port, Username: tc.user, Password: "pw", From: "alerts@example.org", TLS: tc.mode,
				TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := s.Send(ctx, Message{ID: "7:email:smtp", Alert: failureAlert(),
				Recipients: []string{"ops@example.org", "oncall@example.org"}})
			if err != nil || res.Code != 250 {
				t.Fatalf("send: %v %+v", err, res)
			}
			if len(b.msgs) != 1 {
				t.Fatalf("messages: %d", len(b.msgs))
			}
			got := b.msgs[0]
			if got.from != "alerts@example.org" || strings.Join(got.to, ",") != "ops@example.org,oncall@example.org" {
				t.Fatalf("envelope: %q %q", got.from, got.to)
			}
			m, err := mail.ReadMessage(strings.NewReader(string(got.data)))
			if err != nil {
				t.Fatal(err)
			}
			if s := m.Header.Get("Subject"); s != "[ALERT] MISSED nightly-backup" {
				t.Errorf("subject %q", s)
			}
			if f := m.Header.Get("From"); f != "Gulag Monitor <alerts@example.org>" {
				t.Errorf("from %q", f)
			}
			body, _ := io.ReadAll(m.Body)
			want := strings.Join([]string{
				"Alert Type: MISSED",
				"Severity: WARN",
				"Job: nightly-backup",
				"Title: Job nightly-backup missed expected heartbeat",
				"Opened At: 2026-03-04T10:02:01.000Z",
				"",
				"Details:",
				"{",
				`  "expectedNextAt": "2026-03-04T10:00:00Z",`,
				`  "graceSeconds": 120,`,
				`  "observedAt": "2026-03-04T10:02:01.000Z"`,
				"}",
				"",
			}, "\r\n")
			if string(body) != want {
				t.Errorf("body:\n%q\nwant:\n%q", body, want)
			}
		})
	}
}

// TestSMTPErrors: 4xx replies are temporary, 5xx permanent, a dead port temporary, and a
// job name cannot inject headers.
func TestSMTPErrors(t *testing.T) {
	cases := []struct {
		name      string
		rcptErr   *smtp.SMTPError
		user      string
		wantCode  int
		wantTemp  bool
		wantInErr string
	}{
		{name: "mailbox busy", rcptErr: &smtp.SMTPError{Code: 450, Message: "mailbox busy"}, wantCode: 450, wantTemp: true, wantInErr: "SMTP 450"},
		{name: "no such user", rcptErr: &smtp.SMTPError{Code: 550, Message: "no such user"}, wantCode: 550, wantInErr: "no such user"},
		{name: "bad password", user: "other", wantCode: 535, wantInErr: "bad credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &smtpBackend{rcptErr: tc.rcptErr, user: "mon", password: "pw"}
			host, port := startSMTP(t, b, nil)
			user := "mon"
			if tc.user != "" {
				user = tc.user
			}
			s := &SMTP{Host: host, Port: port, Username: user, Password: "pw", From: "a@example.org", TLS: TLSNone}
			_, err := s.Send(context.Background(), Message{Alert: failureAlert(), Recipients: []string{"x@example.org"}})
			var de *Error
			if !errors.As(err, &de) || de.Code != tc.wantCode || de.Temporary != tc.wantTemp || !strings.Contains(de.Text, tc.wantInErr) {
				t.Fatalf("got %#v", err)
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		s := &SMTP{Host: "127.0.0.1", Port: port, From: "a@example.org", TLS: TLSNone}
		_, err := s.Send(context.Background(), Message{Alert: failureAlert(), Recipients: []string{"x@example.org"}})
		if !IsTemporary(err) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("header injection", func(t *testing.T) {
		b := &smtpBackend{}
		host, port := startSMTP(t, b, nil)
		a := failureAlert()
		a.JobName = "evil\r\nBcc: victim@example.org"
		s := &SMTP{Host: host, Port: port, From: "a@example.org", TLS: TLSNone}
		if _, err := s.Send(context.Background(), Message{Alert: a, Recipients: []string{"x@example.org"}}); err != nil {
			t.Fatal(err)
		}
		m, _ := mail.ReadMessage(strings.NewReader(string(b.msgs[0].data)))
		if m.Header.Get("Bcc") != "" || !strings.HasPrefix(m.Header.Get("Subject"), "[ALERT] MISSED evil") {
			t.Fatalf("headers: %v", m.Header)
		}
	})
}

func TestTestEmailText(t *testing.T) {
	cases := []struct {
		name  string
		types []string
		want  string
	}{
		{name: "types", types: []string{"FAILURE", "MISSED"}, want: "Enabled alert types: FAILURE, MISSED"},
		{name: "none", types: nil, want: "Enabled alert types: (none)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Message{Test: true, RequestedBy: "unknown", SentAt: "2026-03-04T10:00:00.000Z", EnabledTypes: tc.types}
			if EmailSubject(m) != "[ALERT] Test email alert" {
				t.Fatalf("subject %q", EmailSubject(m))
			}
			lines := strings.Split(EmailText(m), "\n")
			if len(lines) != 5 || lines[1] != "" || lines[2] != "Requested by: unknown" ||
				lines[3] != "Sent at: 2026-03-04T10:00:00.000Z" || lines[4] != tc.want {
				t.Fatalf("lines %q", lines)
			}
		})
	}
}

func TestFromHeader(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{name: "bare", in: " alerts@example.org ", want: "Gulag Monitor <alerts@example.org>"},
		{name: "named", in: "Ops <ops@example.org>", want: "Ops <ops@example.org>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromHeader(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNetworkErrorHidesURL: a Slack URL is a secret and must not end up in error_text.
func TestNetworkErrorHidesURL(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	s := &Slack{URL: "http://" + addr + "/services/T000/B000/SECRET"}
	_, err := s.Send(context.Background(), Message{Alert: failureAlert()})
	if err == nil || strings.Contains(err.Error(), "SECRET") || !IsTemporary(err) {
		t.Fatalf("got %v", err)
	}
}
