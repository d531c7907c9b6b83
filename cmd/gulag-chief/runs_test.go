package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

// waitFor polls cond every 20 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ofType(events []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, ev := range events {
		if ev["eventType"] == typ {
			out = append(out, ev)
		}
	}
	return out
}

func evMeta(ev map[string]any) map[string]any {
	m, _ := ev["metadata"].(map[string]any)
	return m
}

func TestRunSendsConfigAndRunnerIdentity(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	p.write("scripts/ok.sh", "#!/bin/sh\n", 0o755)
	p.config(fmt.Sprintf("monitor: {enabled: true, endpoint: %q, heartbeat_seconds: 60}\n", mon.URL),
		"  - name: job-1\n    retries: 1\n    monitor: {check: {max_runtime_seconds: 90}}\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.sh, args: [--x]}]\n"+
			"  - name: job-2\n    enabled: false\n    schedule: {frequency: interval, every: 90m}\n    scripts: [{path: scripts/ok.sh}]\n")
	if r := p.run(nil, "run", "--job", "job-1"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	events := mon.all()
	if len(events) == 0 || events[0]["eventType"] != "chief.config" {
		t.Fatalf("first event is not chief.config: %v", events)
	}
	host, _ := os.Hostname()
	cfgPath, _ := filepath.EvalSymlinks(filepath.Join(p.dir, "chief.yaml"))
	sum := sha256.Sum256([]byte(host + "\n" + cfgPath))
	wantID := hex.EncodeToString(sum[:16])
	for _, ev := range events {
		if ev["eventType"] != "worker.message" && evMeta(ev)["runner_id"] != wantID {
			t.Errorf("%s: runner_id %v, want %s", ev["eventType"], evMeta(ev)["runner_id"], wantID)
		}
	}
	cm := evMeta(events[0])
	if cm["mode"] != "run" || cm["host"] != host || cm["config_path"] != cfgPath || cm["poll_interval_seconds"] != nil ||
		cm["heartbeat_seconds"] != 60.0 || cm["part"] != 1.0 || cm["parts"] != 1.0 || cm["version"] == "" || len(cm["config_hash"].(string)) != 64 {
		t.Errorf("chief.config metadata: %v", cm)
	}
	jobs := cm["jobs"].([]any)
	if len(jobs) != 2 || jobs[1].(map[string]any)["enabled"] != false || jobs[0].(map[string]any)["cron"] != "0 9 * * *" ||
		jobs[0].(map[string]any)["check"].(map[string]any)["max_runtime_seconds"] != 90.0 {
		t.Errorf("chief.config jobs: %v", jobs)
	}
	hb := ofType(events, "chief.heartbeat")
	if len(hb) == 0 {
		t.Fatal("no heartbeat")
	}
	hm := evMeta(hb[0])
	if hm["config_hash"] != cm["config_hash"] || hm["host"] != host || hm["version"] != cm["version"] || hm["mode"] != "run" ||
		hm["ping_interval_seconds"] != 60.0 || hm["pid"] == nil {
		t.Errorf("heartbeat metadata: %v", hm)
	}
	for _, typ := range []string{"job.started", "script.started", "script.completed", "job.completed"} {
		evs := ofType(events, typ)
		if len(evs) != 1 {
			t.Fatalf("got %d %s", len(evs), typ)
		}
		m := evMeta(evs[0])
		if m["trigger"] != "manual" || m["attempt"] != 1.0 || m["max_attempts"] != 2.0 || m["max_runtime_seconds"] != 90.0 {
			t.Errorf("%s: run metadata %v", typ, m)
		}
	}
}

func TestRunRetriesFailedJob(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	p.write("scripts/fail.sh", "#!/bin/sh\necho attempt >> attempts\nexit 4\n", 0o755)
	p.config(fmt.Sprintf("monitor: {enabled: true, endpoint: %q, heartbeat_seconds: 60}\n", mon.URL),
		"  - name: flaky\n    retries: 2\n    retry_delay_seconds: 0\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/fail.sh}]\n")
	r := p.run(nil, "run")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stdout)
	}
	if got := strings.Count(p.read("attempts"), "attempt"); got != 3 {
		t.Fatalf("script ran %d times, want 3", got)
	}
	if !strings.Contains(r.stdout, "WARNING [flaky:") || !strings.Contains(r.stdout, "Job flaky failed (attempt 2 of 3); retrying in 0 s") {
		t.Errorf("log lacks the retry line:\n%s", r.stdout)
	}
	events := mon.all()
	var finals []string
	runs := map[any]bool{}
	for i, ev := range ofType(events, "job.failed") {
		m := evMeta(ev)
		finals = append(finals, fmt.Sprint(m["final_attempt"]))
		if m["attempt"] != float64(i+1) || m["max_attempts"] != 3.0 || m["trigger"] != "manual" {
			t.Errorf("job.failed %d: %v", i+1, m)
		}
		runs[ev["runId"]] = true
	}
	if got := strings.Join(finals, ","); got != "false,false,true" || len(runs) != 3 {
		t.Errorf("final_attempt: got %s over %d runs, want false,false,true over 3", got, len(runs))
	}
	if n := len(ofType(events, "job.retrying")); n != 2 {
		t.Errorf("got %d job.retrying, want 2", n)
	}
}

func TestDaemonReloadsOnSIGHUP(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	p.write("scripts/ok.sh", "#!/bin/sh\n", 0o755)
	monitor := fmt.Sprintf("monitor: {enabled: true, endpoint: %q, heartbeat_seconds: 60, buffer: {flush_interval_ms: 50}}\n", mon.URL)
	p.config(monitor, "  - name: a\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.sh}]\n")
	cmd := p.cmd(nil, "daemon", "--poll-seconds", "1", "--run-on-start", "--log-file", "-")
	out := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	configs := func() []map[string]any { return ofType(mon.all(), "chief.config") }
	waitFor(t, "the run on start", func() bool { return len(ofType(mon.all(), "job.completed")) == 1 && len(configs()) == 1 })
	if m := evMeta(ofType(mon.all(), "job.started")[0]); m["trigger"] != "schedule" {
		t.Errorf("run on start: trigger %v, want schedule", m["trigger"])
	}
	if m := evMeta(configs()[0]); m["mode"] != "daemon" || m["poll_interval_seconds"] != 1.0 {
		t.Errorf("daemon chief.config: %v", m)
	}

	// A valid change: a new chief.config with another hash, and one INFO line.
	p.config(monitor, "  - name: a\n    schedule: {frequency: daily, time: \"09:30\"}\n    scripts: [{path: scripts/ok.sh}]\n"+
		"  - name: b\n    schedule: {frequency: daily, time: \"10:00\"}\n    scripts: [{path: scripts/ok.sh}]\n")
	_ = cmd.Process.Signal(syscall.SIGHUP)
	// The file watch may notice the change before the signal does; either reloads it.
	waitFor(t, "the reloaded chief.config", func() bool { return len(configs()) >= 2 })
	first, second := evMeta(configs()[0]), evMeta(configs()[len(configs())-1])
	if first["config_hash"] == second["config_hash"] || len(second["jobs"].([]any)) != 2 {
		t.Errorf("reloaded chief.config: hash %v (was %v), jobs %v", second["config_hash"], first["config_hash"], second["jobs"])
	}
	if !strings.Contains(out.String(), "INFO Reloaded configuration ") || !strings.Contains(out.String(), ": 2 job(s), 2 enabled") {
		t.Errorf("log lacks the reload line:\n%s", out.String())
	}

	// An invalid change: the loader's error, the old configuration stays, no chief.config.
	before := len(configs())
	p.config(monitor, "  - name: a\n    schedule: {frequency: daily, time: \"9am\"}\n    scripts: [{path: scripts/ok.sh}]\n")
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload error", func() bool {
		return strings.Contains(out.String(), `ERROR Error: jobs[0].schedule.time must be HH:MM (24-hour), got "9am"`)
	})
	if !strings.Contains(out.String(), "keeping the previous configuration (2 enabled job(s))") {
		t.Errorf("log lacks the kept configuration:\n%s", out.String())
	}
	time.Sleep(200 * time.Millisecond) // a chief.config would have been flushed by now
	if n := len(configs()); n != before {
		t.Errorf("got %d chief.config events, want no new one for an invalid file", n)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
		t.Fatalf("exit: got %v, want 143 (SIGHUP must not stop the daemon)\n%s", err, out.String())
	}
}

func TestPreviewAndValidateKnowRetries(t *testing.T) {
	p := newProject(t)
	p.write("scripts/ok.sh", "#!/bin/sh\n", 0o755)
	p.config("", "  - name: job-1\n    retries: 2\n    retry_delay_seconds: 45\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.sh}]\n")
	if r := p.run(nil, "preview"); r.code != 0 || !strings.Contains(r.stdout, "Retries: 2, 45 s apart (up to 3 attempts per run)") {
		t.Errorf("preview: exit %d\n%s", r.code, r.stdout)
	}
	p.config("", "  - name: job-1\n    retries: -1\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.sh}]\n")
	if r := p.run(nil, "validate"); r.code != 1 || !strings.Contains(r.stdout, "ERROR Error: jobs[0].retries must be >= 0") {
		t.Errorf("validate: exit %d\n%s", r.code, r.stdout)
	}
}
