package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

const apiKey = "e2e-key"

var (
	chiefBin, monitorBin string // built by TestMain
	repoRoot             = filepath.Join("..", "..", "..")
)

func TestMain(m *testing.M) {
	testutil.RunWithBinaries(m, map[string]*string{testutil.ChiefPkg: &chiefBin, testutil.MonitorPkg: &monitorBin})
}

func startMonitor(t *testing.T, port int, db string) *testutil.Proc {
	t.Helper()
	return testutil.StartMonitor(t, monitorBin, port, db, "MONITOR_AUTH_ENABLED=false", "MONITOR_API_KEY="+apiKey)
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	last := ""
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
	}
	t.Fatalf("timed out after %s waiting for %s (last state: %s)", limit, what, last)
}

func getJSON(url string, v any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("x-api-key", apiKey)
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// sampleProject copies the sample workers into a temp dir with a chief.yaml like the root one
// but with a 1 s heartbeat and a fast flush, so an outage produces events quickly.
func sampleProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "workers", "sample"), os.DirFS(filepath.Join(repoRoot, "workers", "sample"))); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(repoRoot, "chief.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(cfg), "heartbeat_seconds: 15", "heartbeat_seconds: 1", 1)
	s = strings.Replace(s, "flush_interval_ms: 1000", "flush_interval_ms: 200", 1)
	if err := os.WriteFile(filepath.Join(dir, "chief.yaml"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type event struct {
	EventType  string  `json:"eventType"`
	EventAt    string  `json:"eventAt"`
	JobName    *string `json:"jobName"`
	RunID      *string `json:"runId"`
	ScriptPath *string `json:"scriptPath"`
	Message    string  `json:"message"`
	SourceType string  `json:"sourceType"`
}

func TestDaemonAgainstRealMonitor(t *testing.T) {
	port := testutil.FreePort(t)
	db := filepath.Join(t.TempDir(), "m.sqlite")
	mon := startMonitor(t, port, db)
	dir := sampleProject(t)
	chief := func(args ...string) *exec.Cmd {
		cmd := exec.Command(chiefBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(dir, ".cache"),
			"CHIEF_MONITOR_ENDPOINT_OVERRIDE="+mon.Base, "CHIEF_MONITOR_API_KEY_OVERRIDE="+apiKey)
		return cmd
	}
	daemon := chief("daemon", "--config", "chief.yaml", "--poll-seconds", "1", "--run-on-start")
	var dlog bytes.Buffer
	daemon.Stdout, daemon.Stderr = &dlog, &dlog
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if daemon.ProcessState == nil {
			_ = daemon.Process.Kill()
			_ = daemon.Wait()
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s\nmonitor log:\n%s", dlog.String(), mon.Logs.String())
		}
	}()

	jobsUp := func() (bool, string) {
		var body struct {
			Jobs []struct{ JobName, Status string }
		}
		if err := getJSON(mon.Base+"/v1/status/jobs", &body); err != nil {
			return false, err.Error()
		}
		up := map[string]bool{}
		for _, j := range body.Jobs {
			up[j.JobName] = j.Status == "UP"
		}
		return up["sample-etl-pipeline"] && up["sample-quality-check"], fmt.Sprint(body.Jobs)
	}
	waitFor(t, 60*time.Second, "both sample jobs UP in /v1/status/jobs", jobsUp)
	// The quality check reads what the ETL run writes: a job is UP as soon as Chief announces
	// it, so wait for the run-on-start ETL to finish before running the check by hand.
	waitFor(t, 60*time.Second, "the first ETL run's job.completed", func() (bool, string) {
		var body struct{ Events []event }
		if err := getJSON(mon.Base+"/v1/events?jobName=sample-etl-pipeline&eventType=job.completed&limit=1", &body); err != nil {
			return false, err.Error()
		}
		return len(body.Events) > 0, "not yet"
	})

	// Outage: the daemon keeps heartbeating and a manual run shares its spool.
	mon.Stop()
	run := chief("run", "--config", "chief.yaml", "--job", "sample-quality-check")
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("manual run during the outage: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Failed to send batch") {
		t.Errorf("manual run did not report the outage:\n%s", out)
	}
	spool := filepath.Join(dir, ".chief", "telemetry_spool.jsonl")
	waitFor(t, 10*time.Second, "events in the spool", func() (bool, string) {
		st, err := os.Stat(spool)
		return err == nil && st.Size() > 0, fmt.Sprint(err)
	})
	time.Sleep(2 * time.Second) // let some daemon heartbeats spool too

	mon = startMonitor(t, port, db)
	waitFor(t, 30*time.Second, "the spool to drain", func() (bool, string) {
		st, err := os.Stat(spool)
		return err == nil && st.Size() == 0, fmt.Sprint(st.Size())
	})
	_ = daemon.Process.Signal(syscall.SIGINT)
	err = daemon.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("daemon exit: got %v, want 130", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".chief", "telemetry_spool.deadletter.jsonl")); err == nil {
		t.Error("the monitor rejected some events (dead-letter file exists)")
	}

	var body struct{ Events []event }
	if err := getJSON(mon.Base+"/v1/events?limit=1000", &body); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	manualRun := ""
	for _, e := range body.Events {
		key := strings.Join([]string{e.EventType, e.EventAt, deref(e.RunID), deref(e.ScriptPath), e.Message}, "|")
		seen[key]++
		if e.EventType == "job.started" && !strings.Contains(dlog.String(), deref(e.RunID)) {
			manualRun = deref(e.RunID)
		}
	}
	for key, n := range seen {
		if n != 1 {
			t.Errorf("event stored %d times: %s", n, key)
		}
	}
	if manualRun == "" {
		t.Fatal("the run made during the outage never reached the monitor")
	}
	perRun := map[string]int{}
	for _, e := range body.Events {
		if deref(e.RunID) == manualRun && e.SourceType == "chief" {
			perRun[e.EventType]++
		}
	}
	want := map[string]int{"job.started": 1, "script.started": 1, "script.completed": 1, "job.completed": 1, "job.next_scheduled": 1}
	for typ, n := range want {
		if perRun[typ] != n {
			t.Errorf("outage run %s: got %d %s events, want %d", manualRun, perRun[typ], typ, n)
		}
	}
	heartbeats := 0
	for _, e := range body.Events {
		if e.EventType == "chief.heartbeat" {
			heartbeats++
		}
	}
	if heartbeats < 3 {
		t.Errorf("got %d heartbeats, want the ones spooled during the outage as well", heartbeats)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
