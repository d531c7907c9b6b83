package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/monitorclient"
)

// binary is the gulag-chief built once for every test in this package.
var binary string

func TestMain(m *testing.M) {
	testutil.RunWithBinaries(m, map[string]*string{testutil.ChiefPkg: &binary})
}

// project is a temp dir with chief.yaml and scripts/.
type project struct {
	t   *testing.T
	dir string
}

func newProject(t *testing.T) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir()}
	p.write("scripts/.keep", "", 0o644)
	return p
}

func (p *project) write(rel, body string, mode os.FileMode) string {
	p.t.Helper()
	path := filepath.Join(p.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		p.t.Fatal(err)
	}
	return path
}

func (p *project) read(rel string) string {
	p.t.Helper()
	data, err := os.ReadFile(filepath.Join(p.dir, rel))
	if err != nil {
		return ""
	}
	return string(data)
}

// config writes chief.yaml with the spec's test defaults and the given jobs block.
func (p *project) config(monitor, jobs string) {
	p.write("chief.yaml", "defaults: {working_dir: ., stop_on_failure: true, overlap: skip, timezone: UTC}\n"+monitor+"jobs:\n"+jobs, 0o644)
}

// result is one finished gulag-chief invocation.
type result struct {
	code           int
	stdout, stderr string
}

func (p *project) cmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(p.dir, ".cache"))
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

func (p *project) run(env []string, args ...string) result {
	p.t.Helper()
	cmd := p.cmd(env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

const oneJob = `  - name: job-1
    schedule: {frequency: daily, time: "09:00"}
    scripts:
%s`

func TestScriptsRunInOrderAndStopOnFailure(t *testing.T) {
	cases := []struct {
		name     string
		stop     string
		wantCode int
		want     string
	}{
		{name: "stop on failure", stop: "true", wantCode: 1, want: "ab"},
		{name: "keep going", stop: "false", wantCode: 1, want: "abc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t)
			for _, s := range []struct{ name, code string }{{"a", "0"}, {"b", "1"}, {"c", "0"}} {
				p.write("scripts/"+s.name+".py", fmt.Sprintf("import sys\nopen('marker', 'a').write(%q)\nsys.exit(%s)\n", s.name, s.code), 0o644)
			}
			p.config("", fmt.Sprintf(`  - name: job-1
    stop_on_failure: %s
    schedule: {frequency: daily, time: "09:00"}
    scripts: [{path: scripts/a.py}, {path: scripts/b.py}, {path: scripts/c.py}]
`, tc.stop))
			r := p.run(nil, "run", "--job", "job-1")
			if r.code != tc.wantCode {
				t.Fatalf("exit: got %d, want %d\n%s", r.code, tc.wantCode, r.stdout)
			}
			if got := p.read("marker"); got != tc.want {
				t.Fatalf("marker: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestArgsAndWorkingDir(t *testing.T) {
	p := newProject(t)
	p.write("work/.keep", "", 0o644)
	p.write("scripts/argv.py", "import json, os, sys\nopen(os.path.join(os.environ['OUT'], 'argv-' + sys.argv[1]), 'w').write(json.dumps({'argv': sys.argv[2:], 'cwd': os.getcwd()}))\n", 0o644)
	p.config("", `  - name: job-1
    working_dir: work
    schedule: {frequency: daily, time: "09:00"}
    scripts:
      - path: ../scripts/argv.py
        args: ["list", "--start-date", 2026-01-01, "--flag"]
      - path: ../scripts/argv.py
        args: string --mode full --label "weekly summary"
`)
	if r := p.run([]string{"OUT=" + p.dir}, "run"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	cases := []struct {
		name, file string
		want       []string
	}{
		{name: "list args", file: "argv-list", want: []string{"--start-date", "2026-01-01", "--flag"}},
		{name: "string args", file: "argv-string", want: []string{"--mode", "full", "--label", "weekly summary"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				Argv []string
				Cwd  string
			}
			if err := json.Unmarshal([]byte(p.read(tc.file)), &got); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Argv, "|") != strings.Join(tc.want, "|") {
				t.Errorf("argv: got %q, want %q", got.Argv, tc.want)
			}
			if wantDir, _ := filepath.EvalSymlinks(filepath.Join(p.dir, "work")); got.Cwd != wantDir {
				t.Errorf("cwd: got %q, want %q", got.Cwd, wantDir)
			}
		})
	}
}

func TestNonPythonScriptRunsDirectly(t *testing.T) {
	p := newProject(t)
	p.write("scripts/hello.sh", "#!/bin/sh\necho \"$CHIEF_JOB_NAME\" > out\n", 0o755)
	p.config("", fmt.Sprintf(oneJob, "      - path: scripts/hello.sh\n"))
	if r := p.run(nil, "run"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if got := p.read("out"); got != "job-1\n" {
		t.Fatalf("got %q, want job-1", got)
	}
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	p := newProject(t)
	p.write("scripts/hang.py", "import subprocess, time\np = subprocess.Popen(['sleep', '60'])\nopen('child.pid', 'w').write(str(p.pid))\ntime.sleep(60)\n", 0o644)
	p.config("", fmt.Sprintf(oneJob, "      - {path: scripts/hang.py, timeout: 1}\n"))
	start := time.Now()
	r := p.run(nil, "run")
	if r.code != 1 || !strings.Contains(r.stdout, "Script failed: scripts/hang.py (code=-1") || !strings.Contains(r.stdout, "stderr: Timed out after 1 seconds.") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("run took %s", d)
	}
	pid, _ := strconv.Atoi(p.read("child.pid"))
	if pid == 0 {
		t.Fatal("child pid not recorded")
	}
	waitGone(t, pid)
}

// waitGone fails unless pid exits (or is a zombie) within two seconds.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Fields(string(stat))[2] == "Z" {
			return
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL) // clean up after the failure
	t.Fatalf("process %d survived", pid)
}

func TestEnvironmentInjection(t *testing.T) {
	p := newProject(t)
	p.write("scripts/env.py", "import json, os\nopen('env-' + os.environ['CHIEF_JOB_NAME'], 'w').write(json.dumps({k: v for k, v in os.environ.items() if k.startswith('CHIEF_')}))\n", 0o644)
	monitor := "monitor: {enabled: %s, endpoint: \"http://127.0.0.1:9\", api_key: demo-key, timeout_ms: 1, buffer: {max_events: 50, flush_interval_ms: 25, spool_file: .chief/test-spool.jsonl}}\n"
	job := func(name, extra string) string {
		return fmt.Sprintf("  - name: %s\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/env.py}]\n%s", name, extra)
	}
	inherited := []string{"CHIEF_SCHEDULED_FOR=stale", "CHIEF_MONITOR_ENDPOINT=http://stale", "CHIEF_ANYTHING=x"}
	cases := []struct {
		name, global, job, extra string
		want                     map[string]string
		absent                   []string
	}{
		{name: "global monitor on", global: "true", job: "plain",
			want:   map[string]string{"CHIEF_MONITOR_ENDPOINT": "http://127.0.0.1:9", "CHIEF_MONITOR_API_KEY": "demo-key", "CHIEF_JOB_NAME": "plain"},
			absent: []string{"CHIEF_SCHEDULED_FOR", "CHIEF_ANYTHING"}},
		{name: "job override turns telemetry on", global: "false", job: "override", extra: "    monitor: {enabled: true}\n",
			want: map[string]string{"CHIEF_MONITOR_ENDPOINT": "http://127.0.0.1:9"}},
		{name: "disabled job sees no endpoint", global: "true", job: "quiet", extra: "    monitor: {enabled: false}\n",
			absent: []string{"CHIEF_MONITOR_ENDPOINT", "CHIEF_MONITOR_API_KEY", "CHIEF_SCHEDULED_FOR"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.config(fmt.Sprintf(monitor, tc.global), job(tc.job, tc.extra))
			start := time.Now()
			r := p.run(inherited, "run")
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stdout)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("run with an unreachable monitor took %s", d)
			}
			var env map[string]string
			if err := json.Unmarshal([]byte(p.read("env-"+tc.job)), &env); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if env[k] != v {
					t.Errorf("%s: got %q, want %q", k, env[k], v)
				}
			}
			for _, k := range tc.absent {
				if v, ok := env[k]; ok {
					t.Errorf("%s: got %q, want it absent", k, v)
				}
			}
			if env["CHIEF_RUN_ID"] == "" || !strings.HasSuffix(env["CHIEF_SCRIPT_PATH"], "scripts/env.py") {
				t.Errorf("run id %q script path %q", env["CHIEF_RUN_ID"], env["CHIEF_SCRIPT_PATH"])
			}
		})
	}
}

func TestRespectSchedule(t *testing.T) {
	p := newProject(t)
	p.write("scripts/mark.py", "open('ran', 'w').write('x')\n", 0o644)
	p.config("", "  - name: job-1\n    schedule: {frequency: daily, time: \"00:00\"}\n    scripts: [{path: scripts/mark.py}]\n")
	before := time.Now().UTC()
	r := p.run(nil, "run", "--respect-schedule")
	after := time.Now().UTC()
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	midnight := before.Hour() == 0 && before.Minute() == 0 && after.Hour() == 0 && after.Minute() == 0
	if ran := p.read("ran") != ""; ran != midnight {
		t.Fatalf("ran: got %v, want %v at %s", ran, midnight, before)
	}
	if !midnight && !strings.Contains(r.stdout, "Skipping job-1: not due now.") {
		t.Fatalf("missing skip line:\n%s", r.stdout)
	}
}

func TestCommandLine(t *testing.T) {
	p := newProject(t)
	p.write("scripts/ok.py", "pass\n", 0o644)
	p.write("other/chief.yaml", "jobs:\n  - name: other\n    schedule: {frequency: interval, every: 90m}\n    scripts: [{path: ../scripts/ok.py}]\n", 0o644)
	p.config("", fmt.Sprintf(oneJob, "      - path: scripts/ok.py\n")+
		"  - name: paused\n    enabled: false\n    schedule: {frequency: monthly, ordinal: last, day: friday, time: \"18:00\"}\n    scripts: [{path: scripts/ok.py}]\n")
	cases := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string
		stderr   []string
	}{
		{name: "validate", args: []string{"validate"}, stdout: []string{"Config valid: ", "Total jobs: 2", "Enabled jobs: 1", "- job-1: pure_cron (0 9 * * *)", "- paused: hybrid (0 18 * * 5)"}},
		{name: "config before command", args: []string{"--config", "other/chief.yaml", "validate"}, stdout: []string{"other/chief.yaml", "- other: runtime_only"}},
		{name: "config after command wins", args: []string{"--config", "nope.yaml", "validate", "--conf=other/chief.yaml"}, stdout: []string{"- other: runtime_only"}},
		{name: "missing config", args: []string{"validate", "--config", "nope.yaml"}, wantCode: 1, stdout: []string{"ERROR Error: config file not found"}},
		{name: "help", args: []string{"preview", "--help"}, stdout: []string{"usage: gulag-chief preview", "--count"}},
		{name: "help abbreviated", args: []string{"run", "--he"}, stdout: []string{"usage: gulag-chief run"}},
		{name: "help abbreviated before command", args: []string{"--hel"}, stdout: []string{"usage: gulag-chief [--config PATH]"}},
		{name: "option-like value is a missing value", args: []string{"run", "--job", "-x"}, wantCode: 2, stderr: []string{"gulag-chief run: error: argument --job: expected one argument"}},
		{name: "unknown flag before command", args: []string{"--bogus", "validate"}, wantCode: 2, stderr: []string{"gulag-chief: error: unrecognized arguments: --bogus"}},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, stderr: []string{"invalid choice: 'frobnicate'"}},
		{name: "unknown flag", args: []string{"run", "--bogus"}, wantCode: 2, stderr: []string{"unrecognized arguments: --bogus"}},
		{name: "ambiguous prefix", args: []string{"run", "--monitor", "x"}, wantCode: 2, stderr: []string{"ambiguous option"}},
		{name: "non-integer count", args: []string{"preview", "--count", "two"}, wantCode: 2, stderr: []string{"invalid int value: 'two'"}},
		{name: "zero count", args: []string{"preview", "--count", "0"}, wantCode: 1, stdout: []string{"--count must be >= 1"}},
		{name: "zero poll", args: []string{"daemon", "--poll", "0"}, wantCode: 1, stdout: []string{"--poll-seconds must be >= 1"}},
		{name: "unknown job", args: []string{"run", "--job", "nope"}, wantCode: 1, stdout: []string{`Unknown job "nope".`}},
		{name: "disabled job", args: []string{"run", "--job", "paused"}, wantCode: 1, stdout: []string{"No enabled jobs selected."}},
		{name: "preview", args: []string{"preview", "--job", "paused", "--count", "2"}, stdout: []string{"Job: paused (enabled=False)", "Runs monthly on the last friday at 18:00 (UTC)", "Cron trigger + runtime guard: 0 18 * * 5", "- scripts/ok.py | timeout=3600s | args=(none)", "Next 2 run(s):"}},
		{name: "export runtime only", args: []string{"export-cron", "--config", "other/chief.yaml"}, stdout: []string{"runtime-only schedule", "CRON_TZ=UTC"}},
		{name: "export cron line", args: []string{"export-cron"}, stdout: []string{"0 9 * * * cd ", binary + " run --config ", "--job job-1 --respect-schedule"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := p.run(nil, tc.args...)
			if r.code != tc.wantCode {
				t.Fatalf("exit: got %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

func TestConfigErrorNamesFieldPath(t *testing.T) {
	p := newProject(t)
	p.write("scripts/ok.py", "pass\n", 0o644)
	p.config("", "  - name: job-1\n    schedule: {frequency: daily, time: \"25:00\"}\n    scripts: [{path: scripts/ok.py}]\n")
	r := p.run(nil, "validate")
	if r.code != 1 || !strings.Contains(r.stdout, `ERROR Error: jobs[0].schedule.time must be HH:MM (24-hour), got "25:00"`) {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
}

// A job name with a bidirectional override would be shown reordered on the dashboard and in
// alert e-mail: validate (and every command loading the config) refuses it like any config error.
func TestValidateRefusesHiddenCharactersInJobName(t *testing.T) {
	p := newProject(t)
	p.write("scripts/ok.py", "pass\n", 0o644)
	p.config("", "  - name: \"backup\\u202egpj.exe\"\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.py}]\n")
	want := `ERROR Error: jobs[0].name must not contain control or invisible formatting characters, got "backup\u202egpj.exe"`
	for _, args := range [][]string{{"validate"}, {"preview"}, {"run", "--log-file", "-"}} {
		if r := p.run(nil, args...); r.code != 1 || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: exit %d, want 1 and %q\n%s", args[0], r.code, want, r.stdout)
		}
	}
}

// TestRunErrorsReachLogFile: every log record of run and daemon goes to chief.log as well,
// including the config and argument errors logged before any job runs.
func TestRunErrorsReachLogFile(t *testing.T) {
	p := newProject(t)
	p.write("cfg/chief.yaml", "jobs: 3\n", 0o644)
	if r := p.run(nil, "run", "--config", "cfg/chief.yaml"); r.code != 1 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stdout)
	}
	if r := p.run(nil, "daemon", "--config", "cfg/chief.yaml", "--poll-seconds", "0"); r.code != 1 {
		t.Fatalf("daemon: exit %d\n%s", r.code, r.stdout)
	}
	log := p.read("cfg/chief.log")
	for _, want := range []string{"ERROR Error: jobs must be a non-empty list", "ERROR --poll-seconds must be >= 1"} {
		if !strings.Contains(log, want) {
			t.Errorf("chief.log lacks %q:\n%s", want, log)
		}
	}
}

// capture is a fake monitor recording every event it receives.
type capture struct {
	*httptest.Server
	mu     sync.Mutex
	events []map[string]any
}

func newCapture(t *testing.T) *capture {
	c := &capture{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var list []map[string]any
		switch r.URL.Path {
		case "/v1/events":
			var one map[string]any
			_ = json.Unmarshal(body, &one)
			list = []map[string]any{one}
		case "/v1/events/batch":
			var b struct{ Events []map[string]any }
			_ = json.Unmarshal(body, &b)
			list = b.Events
		default:
			http.NotFound(w, r)
			return
		}
		c.mu.Lock()
		c.events = append(c.events, list...)
		c.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *capture) all() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.events...)
}

func TestRunTelemetry(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	p.write("scripts/work.py", "from gulag_chief.monitor_client import monitor\nimport sys\nsys.exit(0 if monitor.info('halfway', rows=3) else 7)\n", 0o644)
	p.config(fmt.Sprintf("monitor: {enabled: true, endpoint: %q, api_key: k, heartbeat_seconds: 60}\n", mon.URL),
		"  - name: job-1\n    monitor: {check: {enabled: false, grace_seconds: 30}}\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/work.py}]\n")
	if r := p.run(nil, "run"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	var types []string
	ids := map[string]bool{}
	for _, ev := range mon.all() {
		types = append(types, ev["eventType"].(string))
		id, _ := ev["eventId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: missing or repeated eventId %q", ev["eventType"], id)
		}
		ids[id] = true
		if at, _ := ev["eventAt"].(string); !strings.HasSuffix(at, "+00:00") {
			t.Errorf("%s: eventAt %q is not +00:00", ev["eventType"], at)
		}
		if ev["jobName"] == nil || ev["eventType"] == "worker.message" {
			continue
		}
		meta := ev["metadata"].(map[string]any)
		if meta["check_enabled"] != false || meta["grace_seconds"] != 30.0 || meta["alert_on_failure"] != true || meta["alert_on_miss"] != true {
			t.Errorf("%s: check metadata %v", ev["eventType"], meta)
		}
	}
	// The worker posts directly, so it may arrive before Chief's batched script.started.
	got := strings.Join(types, " ")
	for _, want := range []string{"chief.heartbeat", "job.started", "script.started", "worker.message", "script.completed", "job.completed", "job.next_scheduled"} {
		if !strings.Contains(got, want) {
			t.Errorf("event %s missing from %q", want, got)
		}
	}
	if strings.Index(got, "job.started") > strings.Index(got, "script.completed") || strings.Index(got, "job.completed") > strings.Index(got, "job.next_scheduled") {
		t.Errorf("lifecycle out of order: %q", got)
	}
}

func TestDaemonSIGTERMStopsRunningChild(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	p.write("scripts/slow.py", "import os, time\nopen('slow.pid', 'w').write(str(os.getpid()))\ntime.sleep(60)\n", 0o644)
	p.config(fmt.Sprintf("monitor: {enabled: true, endpoint: %q}\n", mon.URL),
		"  - name: slow\n    schedule: {frequency: interval, every: 1m}\n    scripts: [{path: scripts/slow.py}]\n")
	cmd := p.cmd(nil, "daemon", "--poll-seconds", "1", "--run-on-start")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.read("slow.pid") == "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	pid, _ := strconv.Atoi(p.read("slow.pid"))
	if pid == 0 {
		_ = cmd.Process.Kill()
		t.Fatalf("script never started:\n%s", out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 143 {
		t.Fatalf("exit: got %v, want 143\n%s", err, out.String())
	}
	waitGone(t, pid)
	for _, want := range []string{"Dispatching slow (overlap=skip, running=1)", "Script failed: scripts/slow.py (code=-15", "Daemon stopped by SIGTERM."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, out.String())
		}
	}
	var types []string
	for _, ev := range mon.all() {
		types = append(types, ev["eventType"].(string))
	}
	if got := strings.Join(types, " "); !strings.Contains(got, "daemon.dispatch") || !strings.Contains(got, "job.failed") {
		t.Errorf("events before exit: %q, want dispatch and job.failed flushed", got)
	}
}

// TestHelpersSendSamePayload runs the Python helper, the Go package and `gulag-chief emit`
// against one fake monitor and compares what they posted, ignoring eventAt and eventId.
func TestHelpersSendSamePayload(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	env := []string{"CHIEF_MONITOR_ENDPOINT=" + mon.URL, "CHIEF_MONITOR_API_KEY=k", "CHIEF_JOB_NAME=job-1",
		"CHIEF_RUN_ID=job-1:20261127093419-280850-14923", "CHIEF_SCRIPT_PATH=/srv/x.py", "CHIEF_SCHEDULED_FOR=2026-11-27T09:34:00+00:00"}
	helperDir := filepath.Join(p.dir, "py")
	if err := os.CopyFS(helperDir, os.DirFS("../../clients/python")); err != nil {
		t.Fatal(err)
	}
	py := exec.Command("python3", "-c", `import sys
from gulag_chief.monitor_client import monitor
sys.exit(0 if monitor.warn(" disk low ", free_mb=12, path="/data", ok=True, ratio=0.5, nothing=None, tags=["a", "b"]) else 1)`)
	py.Env = append(append(os.Environ(), "PYTHONPATH="+helperDir), env...)
	if out, err := py.CombinedOutput(); err != nil {
		t.Fatalf("python helper: %v\n%s", err, out)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	if !monitorclient.New().Warn(" disk low ", "free_mb", 12, "path", "/data", "ok", true, "ratio", 0.5, "nothing", nil, "tags", []string{"a", "b"}) {
		t.Fatal("go helper: not delivered")
	}
	if r := p.run(env, "emit", "--level", "WARN", "--strict", " disk low ", "free_mb=12", "path=/data", "ok=true", "ratio=0.5", "nothing=null", `tags=["a","b"]`); r.code != 0 {
		t.Fatalf("emit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	events := mon.all()
	if len(events) != 3 {
		t.Fatalf("got %d events, want 3", len(events))
	}
	var norm []string
	for _, ev := range events {
		if id, _ := ev["eventId"].(string); id == "" {
			t.Errorf("missing eventId in %v", ev)
		}
		if _, ok := telemetry.ParseTime(ev["eventAt"].(string)); !ok {
			t.Errorf("bad eventAt in %v", ev)
		}
		delete(ev, "eventAt")
		delete(ev, "eventId")
		b, _ := json.Marshal(ev) // map keys marshal sorted
		norm = append(norm, string(b))
	}
	want := `{"eventType":"worker.message","jobName":"job-1","level":"WARN","message":"disk low","metadata":{"free_mb":12,"nothing":null,"ok":true,"path":"/data","ratio":0.5,"tags":["a","b"]},"runId":"job-1:20261127093419-280850-14923","scheduledFor":"2026-11-27T09:34:00+00:00","scriptPath":"/srv/x.py","sourceType":"worker"}`
	for i, name := range []string{"python", "go", "emit"} {
		if norm[i] != want {
			t.Errorf("%s payload:\ngot  %s\nwant %s", name, norm[i], want)
		}
	}
}

// `gulag-chief python-path` prints the helper directory, so a worker run by hand (outside Chief)
// imports gulag_chief.monitor_client: without an endpoint it does nothing and returns False,
// with one it reports as under Chief.
func TestPythonPathForWorkersOutsideChief(t *testing.T) {
	p := newProject(t)
	r := p.run([]string{"CHIEF_PYTHONPATH="}, "python-path")
	dir := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(dir, filepath.Join(p.dir, ".cache", "gulag-chief")) {
		t.Fatalf("python-path: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	worker := func(env ...string) string {
		py := exec.Command("python3", "-c", "from gulag_chief.monitor_client import monitor\nprint(monitor.info('by hand', step=1))")
		py.Dir = t.TempDir()
		py.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PYTHONPATH=" + dir}, env...)
		out, err := py.CombinedOutput()
		if err != nil {
			t.Fatalf("worker: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := worker(); got != "False" {
		t.Errorf("without an endpoint: printed %q, want False", got)
	}
	mon := newCapture(t)
	if got := worker("CHIEF_MONITOR_ENDPOINT=" + mon.URL); got != "True" {
		t.Errorf("with an endpoint: printed %q, want True", got)
	}
	if evs := mon.all(); len(evs) != 1 || evs[0]["message"] != "by hand" {
		t.Errorf("monitor got %v", evs)
	}
}

// A worker written for the reference imports the helper by its old module name and runs
// unchanged under Chief.
func TestReferenceWorkerImportName(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	p.write("scripts/old.py", "from monitor_client import monitor\nimport sys\nsys.exit(0 if monitor.warn('old import', rows=2) else 7)\n", 0o644)
	p.config(fmt.Sprintf("monitor: {enabled: true, endpoint: %q, api_key: k}\n", mon.URL),
		"  - name: job-1\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/old.py}]\n")
	if r := p.run([]string{"CHIEF_PYTHONPATH="}, "run"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	for _, ev := range mon.all() {
		if ev["eventType"] == "worker.message" {
			if ev["message"] != "old import" || ev["level"] != "WARN" || ev["jobName"] != "job-1" {
				t.Errorf("worker event %v", ev)
			}
			return
		}
	}
	t.Fatalf("no worker.message among %v", mon.all())
}

// An unusable spool (its parent is a regular file) must neither fail the job nor stop delivery
// to a reachable monitor.
func TestUnusableSpoolStillDelivers(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	p.write("blocker", "", 0o644)
	p.write("scripts/fail.sh", "#!/bin/sh\nexit 3\n", 0o755)
	p.config(fmt.Sprintf("monitor: {enabled: true, endpoint: %q, heartbeat_seconds: 60, buffer: {flush_interval_ms: 50, spool_file: blocker/spool.jsonl}}\n", mon.URL),
		fmt.Sprintf(oneJob, "      - path: scripts/fail.sh\n"))
	if r := p.run(nil, "run", "--log-file", "-"); r.code != 1 {
		t.Fatalf("exit %d, want 1 (job failed)\n%s", r.code, r.stdout)
	}
	var types []string
	for _, ev := range mon.all() {
		types = append(types, ev["eventType"].(string))
	}
	if got := strings.Join(types, " "); !strings.Contains(got, "job.started") || !strings.Contains(got, "job.failed") {
		t.Fatalf("delivered %q, want the job's events despite the unusable spool", got)
	}
}

// One event the monitor keeps failing on (500 for any batch holding it) must not hold back the
// rest of a real run: every other event arrives in order and the bad one ends up in the
// dead-letter file next to the spool, with the monitor's status.
func TestEventMonitorKeepsRefusingIsDeadLettered(t *testing.T) {
	var mu sync.Mutex
	var got []string
	mon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ Events []map[string]any }
		if r.URL.Path != "/v1/events/batch" || json.NewDecoder(r.Body).Decode(&b) != nil {
			http.NotFound(w, r)
			return
		}
		for _, ev := range b.Events {
			if ev["eventType"] == "script.started" {
				http.Error(w, `{"error":"Internal Server Error"}`, http.StatusInternalServerError)
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range b.Events {
			got = append(got, ev["eventType"].(string))
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(mon.Close)
	p := newProject(t)
	p.write("scripts/slow.sh", "#!/bin/sh\nsleep 1.5\n", 0o755)
	p.config(fmt.Sprintf("monitor: {enabled: true, endpoint: %q, heartbeat_seconds: 60, buffer: {flush_interval_ms: 50}}\n", mon.URL),
		fmt.Sprintf(oneJob, "      - path: scripts/slow.sh\n"))
	if r := p.run(nil, "run", "--log-file", "-"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	mu.Lock()
	delivered := strings.Join(got, " ")
	mu.Unlock()
	if want := "chief.config chief.heartbeat job.started script.completed job.completed job.next_scheduled"; delivered != want {
		t.Errorf("delivered %q, want %q", delivered, want)
	}
	lines := strings.Split(strings.TrimSpace(p.read(".chief/telemetry_spool.deadletter.jsonl")), "\n")
	var rec struct {
		Status   int
		Response string
		Event    map[string]any
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &rec) != nil || rec.Status != 500 ||
		rec.Event["eventType"] != "script.started" || !strings.Contains(rec.Response, "Internal Server Error") {
		t.Errorf("dead-letter file: %q", lines)
	}
	if spool := strings.TrimSpace(p.read(".chief/telemetry_spool.jsonl")); spool != "" {
		t.Errorf("spool not empty: %s", spool)
	}
}

// TestNULInOutputStillArrives: the monitor refuses NUL characters, so what a script prints or
// reports with one is sent with U+FFFD instead, and its events still arrive.
func TestNULInOutputStillArrives(t *testing.T) {
	mon := newCapture(t)
	p := newProject(t)
	p.write("scripts/work.py", "import sys\nfrom gulag_chief.monitor_client import monitor\n"+
		"monitor.info('half\\x00way', note='a\\x00b')\nsys.stdout.write('out\\x00put')\nsys.exit(3)\n", 0o644)
	p.config(fmt.Sprintf("monitor: {enabled: true, endpoint: %q, api_key: k, heartbeat_seconds: 60}\n", mon.URL),
		"  - name: job-1\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/work.py}]\n")
	p.run(nil, "run")
	var sawPreview, sawWorker bool
	for _, ev := range mon.all() {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), `\u0000`) {
			t.Errorf("%s was sent with a NUL: %s", ev["eventType"], b)
		}
		meta, _ := ev["metadata"].(map[string]any)
		switch ev["eventType"] {
		case "script.completed":
			sawPreview = meta["stdout_preview"] == "out\uFFFDput"
		case "worker.message":
			sawWorker = ev["message"] == "half\uFFFDway" && meta["note"] == "a\uFFFDb"
		}
	}
	if !sawPreview || !sawWorker {
		t.Fatalf("preview with U+FFFD %v, worker message with U+FFFD %v: %v", sawPreview, sawWorker, mon.all())
	}
}
