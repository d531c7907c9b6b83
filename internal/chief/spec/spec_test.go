package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

func TestRunnerID(t *testing.T) {
	got := RunnerID("db1", "/srv/chief.yaml")
	// printf 'db1\n/srv/chief.yaml' | sha256sum | cut -c1-32
	if want := "04ee128bdade88ed411263b0d9dd070b"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got != RunnerID("db1", "/srv/chief.yaml") {
		t.Fatal("runner id is not stable")
	}
	for _, other := range [][2]string{{"db2", "/srv/chief.yaml"}, {"db1", "/srv/other.yaml"}, {"db1\n/srv", "chief.yaml"}} {
		if RunnerID(other[0], other[1]) == got {
			t.Errorf("%q + %q has the same id as db1 + /srv/chief.yaml", other[0], other[1])
		}
	}
}

// load writes chief.yaml (with scripts/ok.py) into a temp dir and loads it.
func load(t *testing.T, dir, body string) *config.Config {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scripts", "ok.py"), []byte("pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "chief.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const twoJobs = `defaults: {timezone: UTC}
jobs:
  - name: a
    schedule: {frequency: daily, time: "09:00"}
    scripts: [{path: scripts/ok.py, args: "--x 1"}]
  - name: b
    schedule: {frequency: interval, every: 90m}
    scripts: [{path: scripts/ok.py}]
`

func TestHash(t *testing.T) {
	dir := t.TempDir()
	base := Hash(load(t, dir, twoJobs))
	if len(base) != 64 {
		t.Fatalf("hash %q is not hex SHA-256", base)
	}
	if again := Hash(load(t, dir, twoJobs)); again != base {
		t.Fatalf("same config, different hash: %s vs %s", again, base)
	}
	// Reformatting the file is not a change.
	reformatted := strings.Replace(twoJobs, `{frequency: daily, time: "09:00"}`, "\n      frequency: daily\n      time: \"09:00\"", 1)
	if got := Hash(load(t, dir, reformatted)); got != base {
		t.Errorf("reformatted config: hash changed")
	}
	changes := map[string]string{
		"schedule": strings.Replace(twoJobs, `"09:00"`, `"09:05"`, 1),
		"args":     strings.Replace(twoJobs, `--x 1`, `--x 2`, 1),
		"retries":  strings.Replace(twoJobs, "  - name: b\n", "  - name: b\n    retries: 1\n", 1),
		"disabled": strings.Replace(twoJobs, "  - name: b\n", "  - name: b\n    enabled: false\n", 1),
		"check":    strings.Replace(twoJobs, "  - name: b\n", "  - name: b\n    monitor: {check: {max_runtime_seconds: 60}}\n", 1),
		"parallel": strings.Replace(twoJobs, "defaults: {timezone: UTC}", "defaults: {timezone: UTC, max_parallel_jobs: 2}", 1),
	}
	for name, body := range changes {
		if got := Hash(load(t, dir, body)); got == base {
			t.Errorf("%s changed but the hash did not", name)
		}
	}
	// The monitor connection is not part of what the jobs do.
	if got := Hash(load(t, dir, "monitor: {endpoint: \"http://elsewhere:1\", api_key: k}\n"+twoJobs)); got != base {
		t.Errorf("monitor block changed the hash")
	}
}

func TestScheduleText(t *testing.T) {
	cfg := load(t, t.TempDir(), twoJobs)
	jobs := Jobs(cfg)
	cases := []struct{ text, cron string }{
		{"Runs daily at 09:00 (UTC)", "0 9 * * *"},
		{"Runs every 90m using runtime scheduler (UTC)", ""},
	}
	for i, tc := range cases {
		if jobs[i].ScheduleText != tc.text || jobs[i].Cron != tc.cron {
			t.Errorf("job %s: got %q / %q, want %q / %q", jobs[i].Name, jobs[i].ScheduleText, jobs[i].Cron, tc.text, tc.cron)
		}
	}
}

func TestConfigEventOneJob(t *testing.T) {
	cfg := load(t, t.TempDir(), twoJobs)
	id := Identity{RunnerID: "r1", Host: "h", PID: 7, Version: "v1", Mode: "daemon", ConfigPath: cfg.Path, PollSeconds: 10, HeartbeatSeconds: 15}
	evs := ConfigEvents(cfg, id, "abc")
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.EventType != "chief.config" || ev.SourceType != "chief" || ev.Level != "INFO" || ev.JobName != nil || ev.Message != "Configuration loaded: 2 jobs" {
		t.Fatalf("got %+v", ev)
	}
	var meta map[string]any
	if err := json.Unmarshal(ev.Metadata, &meta); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"runner_id": "r1", "host": "h", "pid": 7.0, "version": "v1", "mode": "daemon", "config_path": cfg.Path,
		"config_hash": "abc", "poll_interval_seconds": 10.0, "heartbeat_seconds": 15.0, "part": 1.0, "parts": 1.0} {
		if meta[k] != want {
			t.Errorf("%s: got %v, want %v", k, meta[k], want)
		}
	}
	a := meta["jobs"].([]any)[0].(map[string]any)
	script := a["scripts"].([]any)[0].(map[string]any)
	check := a["check"].(map[string]any)
	if a["name"] != "a" || a["enabled"] != true || a["overlap"] != "skip" || a["retries"] != 0.0 || a["retry_delay_seconds"] != 30.0 ||
		a["timezone"] != "UTC" || a["schedule"].(map[string]any)["time"] != "09:00" {
		t.Errorf("job: %v", a)
	}
	if script["path"] != "scripts/ok.py" || fmt.Sprint(script["args"]) != "[--x 1]" || script["timeout_seconds"] != 3600.0 {
		t.Errorf("script: %v", script)
	}
	if check["enabled"] != false || check["grace_seconds"] != 120.0 || check["alert_on_failure"] != true || check["alert_on_miss"] != true ||
		check["max_runtime_seconds"] != nil {
		t.Errorf("check: %v", check)
	}
}

func TestConfigEventsSplitUnderLimit(t *testing.T) {
	// 200 jobs with 400 bytes of arguments each: about 150 KiB of jobs.
	var b strings.Builder
	b.WriteString("defaults: {timezone: UTC}\njobs:\n")
	for i := range 200 {
		fmt.Fprintf(&b, "  - name: job-%03d\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.py, args: %q}]\n", i, strings.Repeat("a ", 200))
	}
	cfg := load(t, t.TempDir(), b.String())
	evs := ConfigEvents(cfg, NewIdentity("run", cfg.Path, 0, 15), Hash(cfg))
	if len(evs) < 3 {
		t.Fatalf("got %d events, want the jobs split over at least 3", len(evs))
	}
	var names []string
	for i, ev := range evs {
		if len(ev.Metadata) > telemetry.MaxMetadataBytes {
			t.Errorf("part %d: %d bytes of metadata, over %d", i+1, len(ev.Metadata), telemetry.MaxMetadataBytes)
		}
		var meta struct {
			Part, Parts int
			Hash        string `json:"config_hash"`
			Runner      string `json:"runner_id"`
			Poll        *int   `json:"poll_interval_seconds"`
			Jobs        []struct{ Name string }
		}
		if err := json.Unmarshal(ev.Metadata, &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Part != i+1 || meta.Parts != len(evs) || meta.Hash != Hash(cfg) || meta.Runner == "" || meta.Poll != nil {
			t.Errorf("part %d: part %d of %d, hash %q, runner %q, poll %v", i+1, meta.Part, meta.Parts, meta.Hash, meta.Runner, meta.Poll)
		}
		for _, j := range meta.Jobs {
			names = append(names, j.Name)
		}
	}
	if len(names) != 200 || names[0] != "job-000" || names[199] != "job-199" {
		t.Fatalf("got %d jobs (%v … ), want all 200 in order", len(names), names[:min(3, len(names))])
	}
}

func TestOversizedJobIsCutDown(t *testing.T) {
	body := "defaults: {timezone: UTC}\njobs:\n  - name: huge\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.py, args: \"" +
		strings.Repeat("x", 70<<10) + "\"}]\n"
	cfg := load(t, t.TempDir(), body)
	evs := ConfigEvents(cfg, NewIdentity("run", cfg.Path, 0, 15), Hash(cfg))
	if len(evs) != 1 || len(evs[0].Metadata) > telemetry.MaxMetadataBytes {
		t.Fatalf("got %d events, first %d bytes", len(evs), len(evs[0].Metadata))
	}
	if !strings.Contains(string(evs[0].Metadata), `"name":"huge"`) || !strings.Contains(string(evs[0].Metadata), `"truncated":true`) {
		t.Fatalf("got %s", evs[0].Metadata[:200])
	}
}
