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
	dir := t.TempDir()
	write := func(rel, body string) {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("ok.sh", "#!/bin/sh\necho fine\n")
	write("fail.sh", "#!/bin/sh\necho 'loading rows'\necho 'ERROR: table customers is missing' >&2\necho 'see the log' >&2\nexit 4\n")
	write("chief.yaml", fmt.Sprintf(`monitor:
  enabled: true
  endpoint: %s
  api_key: %s
  heartbeat_seconds: 1
  buffer: {flush_interval_ms: 200}
jobs:
  - name: nightly-load
    schedule: {frequency: daily, time: "03:00"}
    scripts: [{path: ok.sh}, {path: fail.sh}]
`, mon.Base, apiKey))
	daemon := exec.Command(chiefBin, "daemon", "--config", "chief.yaml", "--poll-seconds", "1", "--run-on-start")
	daemon.Dir = dir
	var dlog bytes.Buffer
	daemon.Stdout, daemon.Stderr = &dlog, &dlog
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = daemon.Process.Kill()
		_ = daemon.Wait()
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
