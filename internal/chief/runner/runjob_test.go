package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/schedule"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// recorder is an Emitter that keeps every event with its decoded metadata.
type recorder struct {
	mu     sync.Mutex
	events []telemetry.Event
	metas  []map[string]any
}

func (r *recorder) Emit(ev telemetry.Event) {
	var m map[string]any
	_ = json.Unmarshal(ev.Metadata, &m)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	r.metas = append(r.metas, m)
}

// of returns the metadata of every event of type typ, in order.
func (r *recorder) of(typ string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for i, ev := range r.events {
		if ev.EventType == typ {
			out = append(out, r.metas[i])
		}
	}
	return out
}

// testJob is a job running one shell script with the given body.
func testJob(t *testing.T, body string, retries, delay int) *config.Job {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "job.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := schedule.New(schedule.Params{Kind: schedule.PureCron, Expr: "* * * * *"})
	if err != nil {
		t.Fatal(err)
	}
	return &config.Job{Name: "job-1", Overlap: config.OverlapSkip, Schedule: s, WorkingDir: dir, StopOnFailure: true,
		Scripts: []config.Script{{Path: "job.sh", Resolved: path, Args: []string{}, Timeout: 30}},
		Monitor: config.JobMonitor{Enabled: true, Check: config.Check{Enabled: true}}, Retries: retries, RetryDelaySeconds: delay}
}

// fakeTime is the runner's clock: After moves it forward by the wait and fires at once.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (f *fakeTime) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fakeTime) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.now = f.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- f.now
	return ch
}

func TestRetriesWithInjectedClock(t *testing.T) {
	rec := &recorder{}
	ft := &fakeTime{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	r := &Runner{Emitter: rec, Now: ft.Now, After: ft.After, BaseEnv: []string{"PATH=/usr/bin:/bin"}}
	job := testJob(t, "echo run >> runs; exit 3", 2, 30)
	start := time.Now()
	if r.RunJob(context.Background(), job, time.Time{}, telemetry.TriggerManual) {
		t.Fatal("a script that always fails succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s: the retry delay was not injected", d)
	}
	data, _ := os.ReadFile(filepath.Join(job.WorkingDir, "runs"))
	if got := strings.Count(string(data), "run"); got != 3 {
		t.Fatalf("script ran %d times, want 3", got)
	}
	if want := []time.Duration{30 * time.Second, 30 * time.Second}; len(ft.waits) != 2 || ft.waits[0] != want[0] || ft.waits[1] != want[1] {
		t.Fatalf("waits: got %v, want %v", ft.waits, want)
	}
	failed, retrying := rec.of(telemetry.EventJobFailed), rec.of(telemetry.EventJobRetrying)
	if len(failed) != 3 || len(retrying) != 2 {
		t.Fatalf("got %d job.failed and %d job.retrying, want 3 and 2", len(failed), len(retrying))
	}
	for i, m := range failed {
		if m["final_attempt"] != (i == 2) || m["attempt"] != float64(i+1) || m["max_attempts"] != 3.0 || m["trigger"] != "manual" {
			t.Errorf("job.failed %d: %v", i+1, m)
		}
	}
	for i, m := range retrying {
		wantAt := telemetry.ChiefTime(time.Date(2026, 12, 3, 10, 0, 30*(i+1), 0, time.UTC))
		if m["attempt"] != float64(i+1) || m["next_attempt"] != float64(i+2) || m["retry_delay_seconds"] != 30.0 || m["next_attempt_at"] != wantAt {
			t.Errorf("job.retrying %d: %v, want next_attempt_at %s", i+1, m, wantAt)
		}
	}
	// Every attempt is its own run, and the run's events say which attempt they belong to.
	runs := map[string]bool{}
	for i, ev := range rec.events {
		if ev.RunID != nil {
			runs[*ev.RunID] = true
		}
		if rec.metas[i]["attempt"] == nil || rec.metas[i]["trigger"] != "manual" {
			t.Errorf("%s lacks the run metadata: %v", ev.EventType, rec.metas[i])
		}
	}
	if len(runs) != 3 {
		t.Errorf("got %d run ids, want 3", len(runs))
	}
	if n := len(rec.of(telemetry.EventJobNextScheduled)); n != 1 {
		t.Errorf("got %d job.next_scheduled, want 1 after the last attempt", n)
	}
	var msg string
	for _, ev := range rec.events {
		if ev.EventType == telemetry.EventJobRetrying {
			msg = ev.Message
			if ev.Level != telemetry.LevelWarn {
				t.Errorf("job.retrying level %s, want WARN", ev.Level)
			}
			break
		}
	}
	if msg != "Job job-1 failed (attempt 1 of 3); retrying in 30 s" {
		t.Errorf("job.retrying message %q", msg)
	}
}

func TestNoRetriesIsFinal(t *testing.T) {
	rec := &recorder{}
	r := &Runner{Emitter: rec, BaseEnv: []string{"PATH=/usr/bin:/bin"}}
	if r.RunJob(context.Background(), testJob(t, "exit 1", 0, 30), time.Time{}, telemetry.TriggerSchedule) {
		t.Fatal("succeeded")
	}
	failed := rec.of(telemetry.EventJobFailed)
	if len(failed) != 1 || failed[0]["final_attempt"] != true || failed[0]["max_attempts"] != 1.0 || len(rec.of(telemetry.EventJobRetrying)) != 0 {
		t.Fatalf("job.failed: %v", failed)
	}
}

func TestSuccessAfterRetryStops(t *testing.T) {
	rec := &recorder{}
	ft := &fakeTime{now: time.Now()}
	r := &Runner{Emitter: rec, Now: ft.Now, After: ft.After, BaseEnv: []string{"PATH=/usr/bin:/bin"}}
	// Fails the first time only.
	job := testJob(t, "if [ -e seen ]; then exit 0; fi; touch seen; exit 1", 3, 10)
	if !r.RunJob(context.Background(), job, time.Time{}, telemetry.TriggerQueued) {
		t.Fatal("second attempt should succeed")
	}
	done := rec.of(telemetry.EventJobCompleted)
	if len(rec.of(telemetry.EventJobFailed)) != 1 || len(done) != 1 || done[0]["attempt"] != 2.0 || done[0]["trigger"] != "queued" {
		t.Fatalf("failed %v, completed %v", rec.of(telemetry.EventJobFailed), done)
	}
}

func TestShutdownDuringRetryWaitEndsRetries(t *testing.T) {
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan struct{})
	r := &Runner{Emitter: rec, BaseEnv: []string{"PATH=/usr/bin:/bin"},
		After: func(time.Duration) <-chan time.Time { close(waiting); return make(chan time.Time) }}
	go func() { <-waiting; cancel() }()
	job := testJob(t, "echo run >> runs; exit 1", 5, 3600)
	if r.RunJob(ctx, job, time.Time{}, telemetry.TriggerSchedule) {
		t.Fatal("succeeded")
	}
	data, _ := os.ReadFile(filepath.Join(job.WorkingDir, "runs"))
	if got := strings.Count(string(data), "run"); got != 1 {
		t.Fatalf("script ran %d times, want 1", got)
	}
}

func TestScriptCompletedTails(t *testing.T) {
	rec := &recorder{}
	r := &Runner{Emitter: rec, BaseEnv: []string{"PATH=/usr/bin:/bin"}}
	// 10 KiB on each stream; the last 4 KiB end in a marker, and a two-byte character sits
	// across the 4096-byte boundary of stdout.
	body := `head -c 6143 /dev/zero | tr '\0' a; printf 'é'; head -c 4091 /dev/zero | tr '\0' b; printf 'END!'
head -c 6144 /dev/zero | tr '\0' c >&2; head -c 4092 /dev/zero | tr '\0' d >&2; printf 'ERR!' >&2`
	r.RunJob(context.Background(), testJob(t, body, 0, 0), time.Time{}, telemetry.TriggerManual)
	done := rec.of(telemetry.EventScriptCompleted)
	if len(done) != 1 {
		t.Fatalf("got %d script.completed", len(done))
	}
	out, errTail := done[0]["stdout_tail"].(string), done[0]["stderr_tail"].(string)
	if len(out) > TailBytes || !strings.HasPrefix(out, "b") || !strings.HasSuffix(out, "END!") || len(out) != 4095 {
		t.Errorf("stdout_tail: %d bytes, starts %q, ends %q; want the 4095 bytes after the cut character", len(out), out[:1], out[len(out)-4:])
	}
	if len(errTail) != TailBytes || errTail != strings.Repeat("d", 4092)+"ERR!" {
		t.Errorf("stderr_tail: %d bytes, want %d of d… ending in ERR!", len(errTail), TailBytes)
	}
	if p := done[0]["stdout_preview"].(string); len([]rune(p)) != 1000 || !strings.HasPrefix(p, "aaa") {
		t.Errorf("stdout_preview changed: %d characters starting %q", len([]rune(p)), p[:3])
	}
}

func TestLastBytes(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "llo"},
		{"aé", 1, ""},   // the last byte is the second half of é
		{"aéb", 2, "b"}, // cut inside é: start after it
		{"aéb", 3, "éb"},
	}
	for _, tc := range cases {
		if got := lastBytes(tc.in, tc.n); got != tc.want {
			t.Errorf("lastBytes(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// Output made only of characters JSON escapes six bytes wide is the largest script.completed
// can get; its metadata must still fit the monitor's limit, or Fit would replace all of it.
func TestScriptCompletedWorstCaseFits(t *testing.T) {
	rec := &recorder{}
	r := &Runner{Emitter: rec, BaseEnv: []string{"PATH=/usr/bin:/bin"}}
	body := `head -c 10240 /dev/zero | tr '\0' '\001'; head -c 10240 /dev/zero | tr '\0' '\001' >&2`
	r.RunJob(context.Background(), testJob(t, body, 0, 0), time.Time{}, telemetry.TriggerManual)
	var size int
	for i, ev := range rec.events {
		if ev.EventType == telemetry.EventScriptCompleted {
			size = len(ev.Metadata)
			if len(rec.metas[i]["stderr_tail"].(string)) != TailBytes {
				t.Errorf("stderr_tail: got %d bytes", len(rec.metas[i]["stderr_tail"].(string)))
			}
		}
	}
	if size == 0 || size > telemetry.MaxMetadataBytes-1024 {
		t.Fatalf("script.completed metadata is %d bytes, want under %d with room for runner_id", size, telemetry.MaxMetadataBytes-1024)
	}
}
