package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/gulag/chief-monitor/internal/testutil"
)

// mailSink is a real SMTP server on loopback that keeps every message it receives.
type mailSink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{s: s}, nil }

type mailSession struct{ s *mailSink }

func (m *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (m *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (m *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	m.s.mu.Lock()
	m.s.msgs = append(m.s.msgs, string(b))
	m.s.mu.Unlock()
	return err
}
func (m *mailSession) Reset()        {}
func (m *mailSession) Logout() error { return nil }

// find returns the first message containing every one of parts, or "".
func (s *mailSink) find(parts ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
next:
	for _, m := range s.msgs {
		flat := strings.ReplaceAll(m, "=\r\n", "") // quoted-printable soft breaks
		for _, p := range parts {
			if !strings.Contains(flat, p) {
				continue next
			}
		}
		return flat
	}
	return ""
}

func startMailSink(t *testing.T) (*mailSink, int) {
	t.Helper()
	sink := &mailSink{}
	srv := smtp.NewServer(sink)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink, ln.Addr().(*net.TCPAddr).Port
}

// TestKilledDaemonIsOneRunnerDown: the real daemon runs a failing job and a long one; the
// FAILURE e-mail (a real SMTP server) says why the job failed; the daemon is then SIGKILLed:
// one RUNNER_DOWN opens, not a MISSED per job; restarted, it closes RUNNER_DOWN with a RECOVERY
// and the run it was running is lost.
func TestKilledDaemonIsOneRunnerDown(t *testing.T) {
	sink, smtpPort := startMailSink(t)
	port := testutil.FreePort(t)
	mon := testutil.StartMonitor(t, monitorBin, port, filepath.Join(t.TempDir(), "m.sqlite"), "MONITOR_AUTH_ENABLED=false",
		"MONITOR_API_KEY="+apiKey, "MONITOR_SMTP_HOST=127.0.0.1", fmt.Sprintf("MONITOR_SMTP_PORT=%d", smtpPort),
		"MONITOR_SMTP_FROM=monitor@example.org", "MONITOR_SMTP_TLS=none", "MONITOR_EVALUATOR_INTERVAL_SECONDS=1",
		"MONITOR_ALERT_COOLDOWN_SECONDS=0")
	req, _ := http.NewRequest(http.MethodPut, mon.Base+"/v1/settings/alerts/email",
		strings.NewReader(`{"recipients":["ops@example.org"],"enabledAlertTypes":["FAILURE","MISSED","RECOVERY"]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", apiKey)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("e-mail settings: %v %v", res, err)
	}

	dir := chiefProject(t, mon.Base, map[string]string{
		"fail.sh": "#!/bin/sh\necho 'ERROR: table customers is missing' >&2\nexit 4\n",
		"slow.sh": "#!/bin/sh\nsleep 120\n"},
		"  - name: broken\n    schedule: {frequency: daily, time: \"03:00\"}\n    scripts: [{path: fail.sh}]\n"+
			"  - name: slow\n    schedule: {frequency: daily, time: \"04:00\"}\n    scripts: [{path: slow.sh}]\n")
	var dlog bytes.Buffer
	defer func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s\nmonitor log:\n%s", dlog.String(), mon.Logs.String())
		}
	}()
	daemon := startDaemon(t, dir, &dlog, "--run-on-start")

	waitFor(t, 60*time.Second, "the FAILURE e-mail with the error line and the run link", func() (bool, string) {
		return sink.find("FAILURE broken", "Error: ERROR: table customers is missing", "(exit code 4)", "/runs/") != "", ""
	})
	var slowRuns struct {
		Runs []struct{ RunID, Status string }
	}
	waitFor(t, 30*time.Second, "the slow job running", func() (bool, string) {
		if err := getJSON(mon.Base+"/v1/runs?jobName=slow", &slowRuns); err != nil {
			return false, err.Error()
		}
		return len(slowRuns.Runs) == 1 && slowRuns.Runs[0].Status == "running", fmt.Sprint(slowRuns)
	})
	_ = daemon.Process.Kill()
	_ = daemon.Wait()

	type alert struct{ AlertType, JobName, Status string }
	var alerts struct{ Alerts []alert }
	waitFor(t, 30*time.Second, "one RUNNER_DOWN", func() (bool, string) {
		if err := getJSON(mon.Base+"/v1/alerts?alertType=RUNNER_DOWN", &alerts); err != nil {
			return false, err.Error()
		}
		return len(alerts.Alerts) == 1 && alerts.Alerts[0].Status == "OPEN", fmt.Sprint(alerts)
	})
	startDaemon(t, dir, &dlog)
	waitFor(t, 30*time.Second, "RUNNER_DOWN closed by the restarted daemon", func() (bool, string) {
		if err := getJSON(mon.Base+"/v1/alerts?alertType=RUNNER_DOWN", &alerts); err != nil {
			return false, err.Error()
		}
		return len(alerts.Alerts) == 1 && alerts.Alerts[0].Status == "CLOSED", fmt.Sprint(alerts)
	})
	var run struct{ Run struct{ Status string } }
	if err := getJSON(mon.Base+"/v1/runs/"+slowRuns.Runs[0].RunID, &run); err != nil || run.Run.Status != "lost" {
		t.Fatalf("the run of the killed daemon: %+v %v", run, err)
	}
	if err := getJSON(mon.Base+"/v1/alerts?alertType=MISSED", &alerts); err != nil || len(alerts.Alerts) != 0 {
		t.Fatalf("MISSED alerts: %+v %v", alerts, err)
	}
	if err := getJSON(mon.Base+"/v1/alerts?alertType=RECOVERY&status=OPEN", &alerts); err != nil || len(alerts.Alerts) == 0 {
		t.Fatalf("RECOVERY of the runner: %+v %v", alerts, err)
	}
}
