package services

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// runEvent is one event of run id of job at at, as Chief sends it.
func runEvent(typ, job, run, at, meta string) telemetry.Event {
	e := ev(typ, job, at, meta)
	e.RunID = &run
	return e
}

func scriptDone(job, run, at, script string, ok bool, rc int64, meta string) telemetry.Event {
	e := runEvent(telemetry.EventScriptCompleted, job, run, at, meta)
	e.ScriptPath, e.Success, e.ReturnCode, e.DurationMs = &script, &ok, &rc, telemetry.Ptr(int64(1500))
	return e
}

func jobDone(typ, job, run, at string, ok bool, meta string) telemetry.Event {
	e := runEvent(typ, job, run, at, meta)
	e.Success, e.DurationMs = &ok, telemetry.Ptr(int64(2000))
	return e
}

func (r *rig) run(id string) models.Run {
	r.t.Helper()
	got, err := r.st.Run(context.Background(), id)
	if err != nil {
		r.t.Fatalf("run %s: %v", id, err)
	}
	return *got
}

// TestRunRecordsFromEventSequences: what Chief sends for a run becomes one run record at
// ingest, whatever batches the events come in.
func TestRunRecordsFromEventSequences(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:05Z")
	meta := `{"runner_id":"r1","trigger":"schedule","attempt":1,"max_attempts":1}`
	start := func(job, run string) telemetry.Event {
		return runEvent(telemetry.EventJobStarted, job, run, "2026-03-04T10:00:00Z", meta)
	}
	scriptStart := func(job, run, script string) telemetry.Event {
		e := runEvent(telemetry.EventScriptStarted, job, run, "2026-03-04T10:00:00.5Z", meta)
		e.ScriptPath = &script
		return e
	}
	// success, in one batch
	r.ingest(start("ok", "ok:1"), scriptStart("ok", "ok:1", "a.py"),
		scriptDone("ok", "ok:1", "2026-03-04T10:00:02Z", "a.py", true, 0, meta),
		jobDone(telemetry.EventJobCompleted, "ok", "ok:1", "2026-03-04T10:00:02Z", true, meta))
	// failure, one event per request, with the stderr tail
	r.ingest(start("bad", "bad:1"))
	r.ingest(scriptStart("bad", "bad:1", "a.py"))
	r.ingest(scriptDone("bad", "bad:1", "2026-03-04T10:00:01Z", "a.py", true, 0, meta))
	r.ingest(scriptStart("bad", "bad:1", "b.py"))
	r.ingest(scriptDone("bad", "bad:1", "2026-03-04T10:00:02Z", "b.py", false, 3,
		`{"stderr_tail":"\n  Traceback (most recent call last):\nValueError: no rows\n","stderr_preview":"x"}`))
	r.ingest(jobDone(telemetry.EventJobFailed, "bad", "bad:1", "2026-03-04T10:00:02Z", false, meta))
	// a timeout
	r.ingest(start("slow", "slow:1"), scriptDone("slow", "slow:1", "2026-03-04T10:00:04Z", "s.py", false, -1, `{"error":"timeout"}`),
		jobDone(telemetry.EventJobFailed, "slow", "slow:1", "2026-03-04T10:00:04Z", false, meta))
	// an overlap skip
	r.ingest(runEvent(telemetry.EventOverlapSkipped, "ok", "ok:2", "2026-03-04T10:01:00Z", `{"trigger":"schedule"}`))

	ok := r.run("ok:1")
	if ok.Status != models.RunSucceeded || deref(ok.RunnerID) != "r1" || deref(ok.Trigger) != "schedule" ||
		deref(ok.StartedAt) != "2026-03-04T10:00:00Z" || ok.DurationMs == nil || *ok.DurationMs != 2000 || ok.FailingScript != nil {
		t.Errorf("succeeded run: %+v", ok)
	}
	bad := r.run("bad:1")
	var scripts []models.RunScript
	_ = json.Unmarshal([]byte(bad.ScriptsJSON), &scripts)
	if bad.Status != models.RunFailed || deref(bad.FailingScript) != "b.py" || bad.ExitCode == nil || *bad.ExitCode != 3 ||
		deref(bad.ErrorLine) != "ValueError: no rows" || len(scripts) != 2 || scripts[1].ExitCode == nil {
		t.Errorf("failed run: %+v scripts %+v", bad, scripts)
	}
	if slow := r.run("slow:1"); slow.Status != models.RunTimedOut || deref(slow.ErrorLine) != "script timeout" {
		t.Errorf("timed-out run: %+v", slow)
	}
	if skipped := r.run("ok:2"); skipped.Status != models.RunSkipped {
		t.Errorf("skipped run: %+v", skipped)
	}
	runs, err := r.st.Runs(context.Background(), store.RunFilter{JobName: "bad", Limit: 10})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs of bad: %v %v", runs, err)
	}
	evs, err := r.st.RunEvents(context.Background(), bad, 100)
	if err != nil || len(evs) != 6 {
		t.Fatalf("events of bad:1: %d %v", len(evs), err)
	}
}

// TestRetriedFailureOpensNoFailureUntilTheLastAttempt: a job.failed that Chief will retry
// counts, but only the last attempt's failure opens FAILURE (unless every attempt should).
func TestRetriedFailureOpensNoFailureUntilTheLastAttempt(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:05Z")
	r.ingest(jobDone(telemetry.EventJobFailed, "flaky", "flaky:1", "2026-03-04T10:00:00Z", false, `{"attempt":1,"max_attempts":2,"final_attempt":false}`))
	r.wantAlerts()
	if c := r.check("flaky"); c.ConsecutiveFailures != 1 {
		t.Fatalf("a failed attempt counts: %+v", c)
	}
	r.ingest(jobDone(telemetry.EventJobFailed, "flaky", "flaky:2", "2026-03-04T10:00:03Z", false, `{"attempt":2,"max_attempts":2,"final_attempt":true}`))
	r.wantAlerts("FAILURE ERROR flaky:FAILURE OPEN")
	r.ingest(jobDone(telemetry.EventJobFailed, "every", "every:1", "2026-03-04T10:00:00Z", false,
		`{"final_attempt":false,"alert_on_every_attempt":true}`))
	r.wantAlerts("FAILURE ERROR flaky:FAILURE OPEN", "FAILURE ERROR every:FAILURE OPEN")
}

// TestRunnersAndSpecsFromChiefEvents: heartbeats and chief.config make the runner and its job
// specs; a configuration without a job drops that job's spec.
func TestRunnersAndSpecsFromChiefEvents(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:05Z")
	hb := ev(telemetry.EventChiefHeartbeat, "", "2026-03-04T10:00:00Z",
		`{"runner_id":"r1","host":"box","pid":42,"version":"1.2","mode":"daemon","ping_interval_seconds":15,"poll_interval_seconds":10}`)
	cfg := func(at, hash, jobs string) telemetry.Event {
		return ev(telemetry.EventChiefConfig, "", at, `{"runner_id":"r1","config_hash":"`+hash+`","parts":1,"part":1,"jobs":`+jobs+`}`)
	}
	r.ingest(hb, cfg("2026-03-04T10:00:01Z", "h1", `[{"name":"a","schedule_text":"every minute"},{"name":"b"}]`))
	// b runs and is expected again at 10:01.
	r.ingest(ev(telemetry.EventJobNextScheduled, "b", "2026-03-04T10:00:02Z", `{"next_run_at":"2026-03-04T10:01:00+00:00"}`))
	st := NewStatus(r.st)
	st.SetClock(func() time.Time { return r.now })
	runners, err := st.Runners(context.Background())
	if err != nil || len(runners) != 1 {
		t.Fatalf("runners: %+v %v", runners, err)
	}
	got := runners[0]
	if got.Host != "box" || got.PID == nil || *got.PID != 42 || got.Version != "1.2" || got.ConfigHash != "h1" ||
		got.HeartbeatSeconds == nil || *got.HeartbeatSeconds != 15 || got.Status != RunnerOnline || len(got.Jobs) != 2 {
		t.Fatalf("runner: %+v", got)
	}
	r.ingest(cfg("2026-03-04T10:02:00Z", "h2", `[{"name":"a","schedule_text":"every 2 minutes"}]`))
	specs, err := st.JobSpecs(context.Background(), "a")
	if err != nil || len(specs) != 1 || specs[0].ScheduleText != "every 2 minutes" {
		t.Fatalf("spec of a: %+v %v", specs, err)
	}
	if specs, _ := st.JobSpecs(context.Background(), "b"); len(specs) != 0 {
		t.Fatalf("b left the configuration but kept its spec: %+v", specs)
	}
	b := r.check("b")
	if b.RetiredAt == nil || !strings.Contains(deref(b.RetiredReason), "removed from the configuration of box") {
		t.Fatalf("b is retired with a reason: %+v", b)
	}
	r.at("2026-03-04T10:05:00Z")
	r.tick()
	// no MISSED for a job that no longer exists; the silent runner is not reported yet either:
	// this is the evaluator's first pass, which waits for replays first
	r.wantAlerts()
	if h := JobHealth(b, DefaultPollInterval, r.now); h != HealthRetired {
		t.Fatalf("health of a retired job: %s", h)
	}
	r.ingest(cfg("2026-03-04T10:05:01Z", "h3", `[{"name":"a"},{"name":"b"}]`))
	if b := r.check("b"); b.RetiredAt != nil {
		t.Fatalf("b came back in the configuration but stays retired: %+v", b)
	}
	r.at("2026-03-04T10:06:00Z")
	if runners, _ := st.Runners(context.Background()); runners[0].Status != RunnerOffline {
		t.Fatalf("a runner silent for over three heartbeats: %s", runners[0].Status)
	}
}

// TestRunnerDownHoldsMissedAndComesBack: a silent daemon opens one RUNNER_DOWN instead of a
// MISSED per job; when it comes back as a new process RUNNER_DOWN closes with a RECOVERY that
// lists the jobs that did not run, and the run it was running is lost.
func TestRunnerDownHoldsMissedAndComesBack(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:00Z")
	beat := func(at string, pid int) telemetry.Event {
		return ev(telemetry.EventChiefHeartbeat, "", at, fmt.Sprintf(
			`{"runner_id":"r1","host":"box","pid":%d,"mode":"daemon","ping_interval_seconds":15}`, pid))
	}
	r.ingest(beat("2026-03-04T10:00:00Z", 100),
		ev(telemetry.EventChiefConfig, "", "2026-03-04T10:00:00Z", `{"runner_id":"r1","config_hash":"h","parts":1,"part":1,"jobs":[{"name":"a"},{"name":"b"}]}`),
		ev(telemetry.EventJobNextScheduled, "a", "2026-03-04T10:00:00Z", `{"next_run_at":"2026-03-04T10:01:00+00:00"}`),
		ev(telemetry.EventJobNextScheduled, "b", "2026-03-04T10:00:00Z", `{"next_run_at":"2026-03-04T10:01:00+00:00"}`),
		runEvent(telemetry.EventJobStarted, "b", "b:1", "2026-03-04T10:00:30Z", `{"runner_id":"r1"}`))
	r.at("2026-03-04T10:00:40Z")
	r.tick()
	r.wantAlerts()
	r.at("2026-03-04T10:05:00Z") // silent for 5 minutes; both jobs' expectations passed their grace
	r.tick()
	r.tick()
	r.wantAlerts("RUNNER_DOWN ERROR runner:r1:RUNNER_DOWN OPEN")
	r.wantStatus("a", models.StatusDown)
	r.at("2026-03-04T10:06:00Z")
	r.ingest(beat("2026-03-04T10:06:00Z", 200)) // restarted: a new process
	r.wantAlerts("RUNNER_DOWN ERROR runner:r1:RUNNER_DOWN CLOSED auto:heartbeat", "RECOVERY INFO runner:box:RECOVERY:RUNNER_DOWN OPEN")
	// a missed its run; b was running (its run is lost, not missed).
	alerts, _ := r.st.Alerts(context.Background(), store.AlertFilter{AlertType: "RECOVERY", Limit: 1})
	if len(alerts) != 1 || !strings.Contains(alerts[0].DetailsJSON, `"missedJobs":["a"]`) {
		t.Fatalf("recovery: %+v", alerts)
	}
	if run := r.run("b:1"); run.Status != models.RunLost {
		t.Fatalf("the run the dead process was running: %+v", run)
	}
}

// TestHungRun: a run past the sum of its scripts' timeouts while its runner is alive is hung
// and opens HUNG; when it ends after all, HUNG closes.
func TestHungRun(t *testing.T) {
	if got := maxRuntime(`{"scripts":[{"timeout_seconds":60},{"timeout_seconds":30}],"check":{"max_runtime_seconds":null}}`); got != 90*time.Second {
		t.Fatalf("sum of timeouts: %s", got)
	}
	if got := maxRuntime(`{"scripts":[{"timeout_seconds":60}],"check":{"max_runtime_seconds":20}}`); got != 20*time.Second {
		t.Fatalf("max_runtime_seconds: %s", got)
	}
	r := newRig(t).at("2026-03-04T10:00:00Z")
	beat := func(at string) telemetry.Event {
		return ev(telemetry.EventChiefHeartbeat, "", at, `{"runner_id":"r1","host":"box","pid":1,"mode":"daemon","ping_interval_seconds":15}`)
	}
	r.ingest(beat("2026-03-04T10:00:00Z"),
		ev(telemetry.EventChiefConfig, "", "2026-03-04T10:00:00Z", `{"runner_id":"r1","config_hash":"h","parts":1,"part":1,`+
			`"jobs":[{"name":"etl","scripts":[{"path":"a.sh","timeout_seconds":60},{"path":"b.sh","timeout_seconds":60}]}]}`),
		runEvent(telemetry.EventJobStarted, "etl", "etl:1", "2026-03-04T10:00:00Z", `{"runner_id":"r1"}`))
	r.at("2026-03-04T10:01:50Z")
	r.ingest(beat("2026-03-04T10:01:50Z"))
	r.tick()
	r.wantAlerts() // within its two minutes
	r.at("2026-03-04T10:02:10Z")
	r.ingest(beat("2026-03-04T10:02:10Z"))
	r.tick()
	r.tick()
	r.wantAlerts("HUNG ERROR etl:HUNG:etl:1 OPEN")
	if run := r.run("etl:1"); run.Status != models.RunHung {
		t.Fatalf("run: %+v", run)
	}
	r.ingest(jobDone(telemetry.EventJobCompleted, "etl", "etl:1", "2026-03-04T10:02:20Z", true, `{"runner_id":"r1"}`))
	r.wantAlerts("HUNG ERROR etl:HUNG:etl:1 CLOSED auto:finished")
	if run := r.run("etl:1"); run.Status != models.RunSucceeded {
		t.Fatalf("run after it ended: %+v", run)
	}
}

// TestReconcilingAfterMonitorOutage: after the monitor was down, the evaluator's first passes
// wait until the silent runner is online again, so a run it replays from its spool counts
// before anything is judged late; a job that really missed its run is then reported, and a
// runner that never comes back is reported once the bound has passed.
func TestReconcilingAfterMonitorOutage(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:00Z")
	beat := func(at string) telemetry.Event {
		return ev(telemetry.EventChiefHeartbeat, "", at, `{"runner_id":"r1","host":"box","pid":1,"mode":"daemon","ping_interval_seconds":15}`)
	}
	next := func(job, at, nextAt string) telemetry.Event {
		return ev(telemetry.EventJobNextScheduled, job, at, `{"next_run_at":"`+nextAt+`"}`)
	}
	r.ingest(beat("2026-03-04T10:00:00Z"),
		ev(telemetry.EventChiefConfig, "", "2026-03-04T10:00:00Z", `{"runner_id":"r1","config_hash":"h","parts":1,"part":1,"jobs":[{"name":"ran"},{"name":"skipped"}]}`),
		next("ran", "2026-03-04T10:00:00Z", "2026-03-04T10:05:00+00:00"), next("skipped", "2026-03-04T10:00:00Z", "2026-03-04T10:05:00+00:00"))
	// The monitor was down from 10:00 to 10:20; it starts again.
	r.at("2026-03-04T10:20:00Z")
	if st := r.tick(); !st.Reconciling {
		t.Fatalf("first pass after the outage: %+v", st)
	}
	status := NewStatus(r.st)
	status.SetReconciler(r.eval.Reconciler())
	if ok, since := status.Reconciling(); !ok || !since.Equal(r.now) {
		t.Fatalf("the banner's state: %v %s", ok, since)
	}
	r.wantAlerts()
	// The runner's spool replays: "ran" ran at 10:05; then a fresh heartbeat.
	r.ingest(ev(telemetry.EventJobStarted, "ran", "2026-03-04T10:05:01Z", ""), next("ran", "2026-03-04T10:05:02Z", "2026-03-04T10:30:00+00:00"))
	r.at("2026-03-04T10:20:30Z")
	r.ingest(beat("2026-03-04T10:20:30Z"))
	if st := r.tick(); st.Reconciling {
		t.Fatalf("the runner is online again: %+v", st)
	}
	r.wantAlerts("MISSED WARN skipped:MISSED OPEN")

	// A runner that never comes back is reported once the bound has passed.
	r2 := newRig(t).at("2026-03-04T10:00:00Z")
	r2.ingest(beat("2026-03-04T10:00:00Z"))
	r2.at("2026-03-04T10:20:00Z")
	r2.tick()
	r2.wantAlerts()
	r2.at("2026-03-04T10:25:01Z")
	r2.tick()
	r2.wantAlerts("RUNNER_DOWN ERROR runner:r1:RUNNER_DOWN OPEN")
}

// TestTwoRunnersDisagreeAboutAJob: a job that two runners declare with different specs is
// shown as a conflict, with the spec of the runner seen last.
func TestTwoRunnersDisagreeAboutAJob(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:05Z")
	cfg := func(runner, at, text string) telemetry.Event {
		return ev(telemetry.EventChiefConfig, "", at, `{"runner_id":"`+runner+`","host":"`+runner+`","config_hash":"h-`+runner+
			`","parts":1,"part":1,"jobs":[{"name":"etl","schedule_text":"`+text+`"}]}`)
	}
	r.ingest(ev(telemetry.EventJobStarted, "etl", "2026-03-04T10:00:00Z", ""),
		cfg("one", "2026-03-04T10:00:01Z", "every minute"), cfg("two", "2026-03-04T10:00:02Z", "every hour"))
	st := NewStatus(r.st)
	st.SetClock(func() time.Time { return r.now })
	jobs, err := st.Jobs(context.Background())
	if err != nil || len(jobs) != 1 || jobs[0].Spec == nil {
		t.Fatalf("jobs: %+v %v", jobs, err)
	}
	if s := jobs[0].Spec; !s.Conflict || s.ScheduleText != "every hour" || s.Runner == nil || s.Runner.ID != "two" {
		t.Fatalf("spec: %+v", s)
	}
	r.ingest(cfg("one", "2026-03-04T10:00:03Z", "every hour"))
	if jobs, _ := st.Jobs(context.Background()); jobs[0].Spec.Conflict {
		t.Fatalf("the runners agree again, still a conflict")
	}
}
