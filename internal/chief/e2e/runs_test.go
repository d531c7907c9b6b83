package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

// TestFailingRunThroughRealDaemon: the real daemon runs a job whose script fails with a known
// stderr line; the real monitor then knows the runner, the job's spec and schedule, and the
// run, and says why it failed.
func TestFailingRunThroughRealDaemon(t *testing.T) {
	port := testutil.FreePort(t)
	mon := startMonitor(t, port, filepath.Join(t.TempDir(), "m.sqlite"))
	dir := chiefProject(t, mon.Base, map[string]string{"ok.sh": "#!/bin/sh\necho fine\n",
		"fail.sh": "#!/bin/sh\necho 'loading rows'\necho 'ERROR: table customers is missing' >&2\necho 'see the log' >&2\nexit 4\n"},
		"  - name: nightly-load\n    schedule: {frequency: daily, time: \"03:00\"}\n    scripts: [{path: ok.sh}, {path: fail.sh}]\n")
	var dlog bytes.Buffer
	startDaemon(t, dir, &dlog, "--run-on-start")
	defer func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s\nmonitor log:\n%s", dlog.String(), mon.Logs.String())
		}
	}()

	type run struct {
		RunID, Status, Trigger   string
		FailingScript, ErrorLine *string
		ExitCode                 *int64
		StderrTail               *string
		Scripts                  []struct{ Path string }
	}
	var runs struct{ Runs []run }
	waitFor(t, 60*time.Second, "a failed run in /v1/runs", func() (bool, string) {
		if err := getJSON(mon.Base+"/v1/runs?jobName=nightly-load", &runs); err != nil {
			return false, err.Error()
		}
		return len(runs.Runs) > 0 && runs.Runs[0].Status == "failed", fmt.Sprint(runs.Runs)
	})
	r := runs.Runs[0]
	if r.FailingScript == nil || !strings.HasSuffix(*r.FailingScript, "fail.sh") || r.ExitCode == nil || *r.ExitCode != 4 ||
		r.ErrorLine == nil || *r.ErrorLine != "ERROR: table customers is missing" || len(r.Scripts) != 2 ||
		r.StderrTail == nil || !strings.Contains(*r.StderrTail, "see the log") || r.Trigger != "schedule" {
		t.Fatalf("run: %+v", r)
	}
	var runners struct {
		Runners []struct {
			RunnerID, Host, Mode, Status, ConfigHash string
			Jobs                                     []string
		}
	}
	if err := getJSON(mon.Base+"/v1/runners", &runners); err != nil || len(runners.Runners) != 1 {
		t.Fatalf("runners: %+v %v", runners, err)
	}
	if got := runners.Runners[0]; got.Mode != "daemon" || got.Status != "online" || got.ConfigHash == "" ||
		len(got.Jobs) != 1 || got.Jobs[0] != "nightly-load" {
		t.Fatalf("runner: %+v", got)
	}
	var jobs struct {
		Jobs []struct {
			JobName, Status, Health string
			LastRun                 *run
		}
	}
	if err := getJSON(mon.Base+"/v1/status/jobs", &jobs); err != nil || len(jobs.Jobs) != 1 {
		t.Fatalf("jobs: %+v %v", jobs, err)
	}
	if j := jobs.Jobs[0]; j.Status != "UP" || j.Health != "failing" || j.LastRun == nil || j.LastRun.RunID != r.RunID {
		t.Fatalf("a job whose last run failed: %+v", j)
	}
	var detail struct {
		Spec []struct {
			RunnerID string
			Spec     struct {
				ScheduleText string `json:"schedule_text"`
				Cron         string
			}
		}
	}
	if err := getJSON(mon.Base+"/v1/status/jobs/nightly-load", &detail); err != nil || len(detail.Spec) != 1 ||
		!strings.Contains(detail.Spec[0].Spec.ScheduleText, "03:00") || detail.Spec[0].Spec.Cron != "0 3 * * *" {
		t.Fatalf("spec: %+v %v", detail, err)
	}
}

// chiefProject is a temp dir with the given executable scripts and a chief.yaml that sends to
// the monitor at base with a 1 s heartbeat and a fast flush, followed by jobs (YAML list items).
func chiefProject(t *testing.T, base string, scripts map[string]string, jobs string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf("monitor:\n  enabled: true\n  endpoint: %s\n  api_key: %s\n  heartbeat_seconds: 1\n"+
		"  buffer: {flush_interval_ms: 200}\njobs:\n%s", base, apiKey, jobs)
	if err := os.WriteFile(filepath.Join(dir, "chief.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startDaemon starts `gulag-chief daemon` in dir, polling every second, its output in out; it
// is killed at cleanup.
func startDaemon(t *testing.T, dir string, out *bytes.Buffer, args ...string) *exec.Cmd {
	t.Helper()
	d := exec.Command(chiefBin, append([]string{"daemon", "--config", "chief.yaml", "--poll-seconds", "1"}, args...)...)
	d.Dir, d.Stdout, d.Stderr = dir, out, out
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Process.Kill(); _ = d.Wait() })
	return d
}
