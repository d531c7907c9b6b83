package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

var monitorBin string

func TestMain(m *testing.M) {
	testutil.RunWithBinaries(m, map[string]*string{testutil.MonitorPkg: &monitorBin})
}

type proc struct {
	*testutil.Proc
	t *testing.T
}

// startMonitor starts the binary with INFO logging (so the start-up settings are logged).
func startMonitor(t *testing.T, dbPath string, env ...string) *proc {
	t.Helper()
	env = append([]string{"MONITOR_LOG_LEVEL=info"}, env...)
	return &proc{Proc: testutil.StartMonitor(t, monitorBin, testutil.FreePort(t), dbPath, env...), t: t}
}

func (p *proc) req(method, path, body string, headers ...string) (int, string) {
	p.t.Helper()
	r, _ := http.NewRequest(method, p.Base+path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// waitExit fails the test unless the process exits cleanly within 15 s (after a SIGTERM).
func (p *proc) waitExit() {
	p.t.Helper()
	select {
	case <-p.Exited:
		if p.WaitErr != nil {
			p.t.Fatalf("exit after SIGTERM: %v\n%s", p.WaitErr, p.Logs)
		}
	case <-time.After(15 * time.Second):
		p.t.Fatalf("no exit after SIGTERM:\n%s", p.Logs)
	}
}

// rawStatusLine sends a hand-written request (one net/http would refuse to build).
func (p *proc) rawStatusLine(raw string) string {
	p.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.Base, "http://"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(raw)); err != nil {
		p.t.Fatal(err)
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return line
}

func TestBinaryServesTheAPIAndShutsDownGracefully(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.sqlite")
	p := startMonitor(t, db, "MONITOR_AUTH_ENABLED=false", "MONITOR_API_KEY=secret-key")
	key := []string{"x-api-key", "secret-key"}
	if code, body := p.req("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.failed","level":"ERROR","message":"boom","jobName":"a/b"}`, key...); code != 202 || body != `{"inserted":1,"dropped":0}` {
		t.Fatalf("ingest: %d %s", code, body)
	}
	// A body one byte over 2 MB is refused from its Content-Length, before it is read.
	if status := p.rawStatusLine("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2097153\r\n\r\n{"); !strings.Contains(status, " 413 ") {
		t.Fatalf("2 MB + 1: %q", status)
	}
	if code, _ := p.req("GET", "/v1/status/jobs/a%2Fb", "", key...); code != 200 {
		t.Fatalf("encoded slash in job name: %d", code)
	}
	if status := p.rawStatusLine("GET /v1/status/jobs/%ZZ HTTP/1.1\r\nHost: x\r\nx-api-key: secret-key\r\nConnection: close\r\n\r\n"); !strings.Contains(status, " 400 ") {
		t.Fatalf("malformed escape: %q", status)
	}
	if code, body := p.req("GET", "/v1/status/summary", ""); code != 401 || body != `{"error":"Unauthorized"}` {
		t.Fatalf("no key: %d %s", code, body)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitExit()
	if strings.Contains(p.Logs.String(), "secret-key") {
		t.Fatalf("the API key was logged:\n%s", p.Logs)
	}
	// The acknowledged event is there after a restart.
	p2 := startMonitor(t, db, "MONITOR_AUTH_ENABLED=false", "MONITOR_API_KEY=secret-key")
	_, body := p2.req("GET", "/v1/events", "", key...)
	var list struct{ Events []struct{ Message string } }
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Events) != 1 || list.Events[0].Message != "boom" {
		t.Fatalf("after restart: %s", body)
	}
}

// A connection that never sends a request (HTTP clients open spares: Go's transport dials one
// while it waits for a busy connection, browsers preconnect) does not hold up a SIGTERM, while a
// request in flight is still answered.
func TestShutdownIsNotHeldByUnusedConnections(t *testing.T) {
	p := startMonitor(t, filepath.Join(t.TempDir(), "m.sqlite"), "MONITOR_AUTH_ENABLED=false")
	addr := strings.TrimPrefix(p.Base, "http://")
	var unused []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		unused = append(unused, c)
	}
	// A keep-alive connection between requests, and one with half a request sent.
	if code, _ := p.req("GET", "/v1/health", ""); code != 200 {
		t.Fatalf("health: %d", code)
	}
	partial, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer partial.Close()
	if _, err := partial.Write([]byte("GET /v1/health HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them all
	start := time.Now()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The half-sent request is completed during the shutdown and still answered.
	time.Sleep(200 * time.Millisecond)
	if _, err := partial.Write([]byte("Connection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = partial.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, _ := bufio.NewReader(partial).ReadString('\n'); !strings.Contains(line, " 200 ") {
		t.Errorf("request in flight at shutdown: %q", line)
	}
	p.waitExit()
	if d := time.Since(start); d > 3*time.Second || strings.Contains(p.Logs.String(), "level=ERROR") {
		t.Fatalf("shutdown took %v:\n%s", d, p.Logs)
	}
	for _, c := range unused {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Errorf("unused connection still open after exit: %d, %v", n, err)
		}
	}
}

func TestBinaryRefusesToStartWithoutAuthSettings(t *testing.T) {
	cmd := exec.Command(monitorBin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"MONITOR_DB_PATH=" + filepath.Join(t.TempDir(), "m.sqlite"), "MONITOR_AUTH_ADMIN_EMAIL=a@b.co"}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	if !strings.Contains(string(out), "MONITOR_AUTH_SECRET, MONITOR_AUTH_ADMIN_PASSWORD") {
		t.Fatalf("message does not name the missing variables: %s", out)
	}
}

func TestBinaryReadsDotEnvWithoutOverriding(t *testing.T) {
	dir := t.TempDir()
	port := testutil.FreePort(t)
	env := fmt.Sprintf("MONITOR_AUTH_ENABLED=false\nMONITOR_PORT=%d\nMONITOR_API_KEY=\"from-dotenv\" \n# comment\nMONITOR_DB_PATH=./m.sqlite\n", port)
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(monitorBin)
	cmd.Dir = dir
	cmd.Env = []string{"MONITOR_HOST=127.0.0.1"}
	logs := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	p := &proc{t: t, Proc: &testutil.Proc{Cmd: cmd, Base: fmt.Sprintf("http://127.0.0.1:%d", port), Logs: logs}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := func() (int, string) {
			res, err := http.Get(p.Base + "/v1/health")
			if err != nil {
				return 0, ""
			}
			res.Body.Close()
			return res.StatusCode, ""
		}()
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not started:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _ := p.req("GET", "/v1/status/summary", "", "x-api-key", "from-dotenv"); code != 200 {
		t.Fatalf("key from .env not applied: %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.sqlite")); err != nil {
		t.Fatalf("db path from .env not used: %v", err)
	}
}

// `monitor healthcheck` needs only the address: it answers 0 for a running service without the
// service's secrets in its environment (a container probe, a shell on the host), and 1 when
// nothing answers there.
func TestHealthcheckNeedsOnlyTheAddress(t *testing.T) {
	p := startMonitor(t, filepath.Join(t.TempDir(), "m.sqlite"), "MONITOR_AUTH_ENABLED=false")
	_, port, err := net.SplitHostPort(strings.TrimPrefix(p.Base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(port string) (int, string) {
		cmd := exec.Command(monitorBin, "healthcheck")
		cmd.Dir = t.TempDir()
		// Auth is on by default and its variables are missing; a wrong SMTP port is irrelevant here.
		cmd.Env = []string{"MONITOR_PORT=" + port, "MONITOR_SMTP_PORT=abc"}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := check(port); code != 0 {
		t.Fatalf("healthcheck of a running monitor: exit %d\n%s", code, out)
	}
	if code, out := check(fmt.Sprint(testutil.FreePort(t))); code != 1 || !strings.Contains(out, "healthcheck") {
		t.Fatalf("healthcheck with nothing listening: exit %d\n%s", code, out)
	}
}

// A password in the query of MONITOR_DB_URL (which pgx reads like the userinfo one) is masked in
// the start-up log, as the userinfo password is.
func TestBinaryDoesNotLogDBURLQueryPassword(t *testing.T) {
	cmd := exec.Command(monitorBin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"MONITOR_AUTH_ENABLED=false", "MONITOR_PORT=1",
		"MONITOR_DB_URL=postgres://bob:userinfo-pw@127.0.0.1:1/db?sslmode=disable&password=query-pw&sslpassword=ssl-pw"}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1 (no database), got %v: %s", err, out)
	}
	if !strings.Contains(string(out), "db_url=") {
		t.Fatalf("start-up log lacks db_url: %s", out)
	}
	for _, secret := range []string{"userinfo-pw", "query-pw", "ssl-pw"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("log leaks %q: %s", secret, out)
		}
	}
}

// A webhook endpoint that answers with a redirect does not steer the monitor to another address
// (say an internal one, whose answer would then be shown as the delivery error).
func TestWebhookRedirectNotFollowed(t *testing.T) {
	internalHit := make(chan string, 4)
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHit <- r.Method + " " + r.URL.Path
		http.Error(w, "internal-only-data", http.StatusInternalServerError)
	}))
	defer internal.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/latest/meta-data", http.StatusFound)
	}))
	defer hook.Close()
	p := startMonitor(t, filepath.Join(t.TempDir(), "m.sqlite"), "MONITOR_AUTH_ENABLED=false", "MONITOR_API_KEY=k")
	if code, body := p.req("PUT", "/v1/settings/alerts/webhooks",
		`{"channels":[{"name":"ops","url":"`+hook.URL+`/hook","enabledAlertTypes":["FAILURE"]}]}`, "x-api-key", "k"); code != 200 {
		t.Fatalf("put webhooks: %d %s", code, body)
	}
	code, body := p.req("POST", "/v1/settings/alerts/webhooks/test", "", "x-api-key", "k")
	select {
	case hit := <-internalHit:
		t.Fatalf("the redirect was followed (%s); test answered %d %s", hit, code, body)
	default:
	}
	if code != http.StatusBadGateway || strings.Contains(body, "internal-only-data") {
		t.Errorf("test: got %d %s, want 502 without the internal answer", code, body)
	}
}
