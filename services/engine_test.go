package services

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
)

// rig is a real store, writer and evaluator with a hand-moved clock.
type rig struct {
	t    *testing.T
	st   *store.Store
	w    *Writer
	eval *Evaluator
	now  time.Time
}

func newRig(t *testing.T) *rig {
	t.Helper()
	st := testutil.NewStore(t)
	log := slog.New(slog.DiscardHandler)
	r := &rig{t: t, st: st, w: NewWriter(st, log, WriterOptions{})}
	r.w.SetClock(func() time.Time { return r.now })
	go r.w.Run()
	t.Cleanup(r.w.Close)
	r.eval = NewEvaluator(r.w, log, 15*time.Second, "test")
	return r
}

func (r *rig) at(ts string) *rig { r.now = testutil.Time(r.t, ts); return r }

// event builds an Event from a compact spec: type, job, eventAt and optional metadata JSON.
func ev(typ, job, eventAt, meta string) telemetry.Event {
	e := telemetry.Event{SourceType: "chief", EventType: typ, Level: "INFO", Message: typ + " " + job}
	if job != "" {
		e.JobName = &job
	}
	if eventAt != "" {
		e.EventAt = eventAt
	}
	if meta != "" {
		e.Metadata = json.RawMessage(meta)
	}
	return e
}

func withSuccess(e telemetry.Event, ok bool) telemetry.Event { e.Success = &ok; return e }

func (r *rig) ingest(events ...telemetry.Event) IngestResult {
	r.t.Helper()
	res, err := r.w.Record(context.Background(), events, r.now)
	if err != nil {
		r.t.Fatalf("record: %v", err)
	}
	return res
}

func (r *rig) tick() EvalStats {
	r.t.Helper()
	st, err := r.eval.Tick(context.Background(), r.now)
	if err != nil {
		r.t.Fatalf("tick: %v", err)
	}
	return st
}

func (r *rig) check(job string) models.CheckState {
	r.t.Helper()
	c, err := r.st.Check(context.Background(), job)
	if err != nil {
		r.t.Fatalf("check %s: %v", job, err)
	}
	return *c
}

// alerts renders every alert oldest first as "TYPE SEVERITY key status reason".
func (r *rig) alerts() []string {
	r.t.Helper()
	all, err := r.st.Alerts(context.Background(), store.AlertFilter{Limit: -1})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for i := len(all) - 1; i >= 0; i-- {
		a := all[i]
		reason := ""
		if a.ClosedReason != nil {
			reason = " " + *a.ClosedReason
		}
		out = append(out, fmt.Sprintf("%s %s %s %s%s", a.AlertType, a.Severity, a.DedupeKey, a.Status, reason))
	}
	return out
}

func (r *rig) wantAlerts(want ...string) {
	r.t.Helper()
	got := r.alerts()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		r.t.Fatalf("alerts:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func (r *rig) wantStatus(job string, want models.CheckStatus) {
	r.t.Helper()
	if got := r.check(job).Status; got != want {
		r.t.Fatalf("status of %s: got %s, want %s", job, got, want)
	}
}

// TestWorkedScenario drives the original's worked example (grace 120 s) with a heartbeat satisfying the expectation: the late start in
// step 4 satisfies the expectation, so step 5 neither goes DOWN nor opens a second MISSED.
func TestWorkedScenario(t *testing.T) {
	r := newRig(t)
	const J = "J"
	check := `{"check_enabled":true,"grace_seconds":120,"alert_on_failure":true,"alert_on_miss":true`
	// 1. The expectation is set; the status stays UP.
	r.at("2026-03-04T09:05:00Z").ingest(ev("job.next_scheduled", J, "2026-03-04T09:05:00.000000+00:00", check+`,"next_run_at":"2026-03-04T10:00:00+00:00"}`))
	r.wantStatus(J, models.StatusUp)
	// 2. 60 s late: LATE.
	if st := r.at("2026-03-04T10:01:00Z").tick(); st.Late != 1 {
		t.Fatalf("step 2 stats %+v", st)
	}
	r.wantStatus(J, models.StatusLate)
	// 3. 121 s late: DOWN and MISSED opens with a webhook STUB delivery.
	if st := r.at("2026-03-04T10:02:01Z").tick(); st.Down != 1 || st.MissedOpened != 1 {
		t.Fatalf("step 3 stats %+v", st)
	}
	r.wantStatus(J, models.StatusDown)
	r.wantAlerts("MISSED WARN J:MISSED OPEN")
	missed, _ := r.st.Alerts(context.Background(), store.AlertFilter{AlertType: "MISSED", Limit: 1})
	if want := `{"expectedNextAt":"2026-03-04T10:00:00+00:00","graceSeconds":120,"observedAt":"2026-03-04T10:02:01.000Z"}`; missed[0].DetailsJSON != want {
		t.Fatalf("MISSED details: got %s, want %s", missed[0].DetailsJSON, want)
	}
	if missed[0].Title != "Job J missed expected heartbeat" {
		t.Fatalf("MISSED title %q", missed[0].Title)
	}
	ds, _ := r.st.Deliveries(context.Background(), missed[0].ID)
	if len(ds) != 1 || ds[0].Channel != "webhook" || ds[0].Status != "STUB" {
		t.Fatalf("deliveries of MISSED: %+v", ds)
	}
	// 4. A late start: UP, MISSED closes, RECOVERY from the miss opens.
	r.at("2026-03-04T10:03:00Z").ingest(ev("job.started", J, "2026-03-04T10:03:00+00:00", check+`}`))
	r.wantStatus(J, models.StatusUp)
	r.wantAlerts("MISSED WARN J:MISSED CLOSED auto:heartbeat", "RECOVERY INFO J:RECOVERY:MISSED OPEN")
	// 5. the heartbeat met the expectation, so the pass changes nothing.
	if st := r.at("2026-03-04T10:03:15Z").tick(); st.Down != 0 || st.MissedOpened != 0 {
		t.Fatalf("step 5 stats %+v", st)
	}
	r.wantStatus(J, models.StatusUp)
	// 6. The run fails: RECOVERY closes on the heartbeat, FAILURE opens, failures = 1.
	r.at("2026-03-04T10:05:00Z").ingest(ev("job.failed", J, "2026-03-04T10:05:00+00:00", check+`}`))
	c := r.check(J)
	if c.ConsecutiveFailures != 1 || c.LastFailureAt == nil || *c.LastFailureAt != "2026-03-04T10:05:00+00:00" {
		t.Fatalf("after failure: %+v", c)
	}
	r.wantAlerts("MISSED WARN J:MISSED CLOSED auto:heartbeat", "RECOVERY INFO J:RECOVERY:MISSED CLOSED auto:heartbeat",
		"FAILURE ERROR J:FAILURE OPEN")
	// 7. The next expectation moves to 11:00.
	r.at("2026-03-04T10:05:01Z").ingest(ev("job.next_scheduled", J, "2026-03-04T10:05:01+00:00", check+`,"next_run_at":"2026-03-04T11:00:00+00:00"}`))
	r.wantStatus(J, models.StatusUp)
	// 8. LATE at 11:00:15, then a success at 11:00:30 closes FAILURE and opens RECOVERY.
	r.at("2026-03-04T11:00:15Z").tick()
	r.wantStatus(J, models.StatusLate)
	r.at("2026-03-04T11:00:30Z").ingest(withSuccess(ev("job.completed", J, "2026-03-04T11:00:30+00:00", check+`}`), true))
	c = r.check(J)
	if c.Status != models.StatusUp || c.ConsecutiveFailures != 0 || *c.LastSuccessAt != "2026-03-04T11:00:30+00:00" {
		t.Fatalf("after success: %+v", c)
	}
	r.wantAlerts("MISSED WARN J:MISSED CLOSED auto:heartbeat", "RECOVERY INFO J:RECOVERY:MISSED CLOSED auto:heartbeat",
		"FAILURE ERROR J:FAILURE CLOSED auto:success", "RECOVERY INFO J:RECOVERY:FAILURE OPEN")
	// 9. The RECOVERY time-to-live: not before 900 s, closed after.
	if st := r.at("2026-03-04T11:15:29Z").tick(); st.RecoveriesExpired != 0 {
		t.Fatalf("TTL fired early: %+v", st)
	}
	if st := r.at("2026-03-04T11:15:31Z").tick(); st.RecoveriesExpired != 1 || st.Down != 0 {
		t.Fatalf("TTL: %+v", st)
	}
	r.wantAlerts("MISSED WARN J:MISSED CLOSED auto:heartbeat", "RECOVERY INFO J:RECOVERY:MISSED CLOSED auto:heartbeat",
		"FAILURE ERROR J:FAILURE CLOSED auto:success", "RECOVERY INFO J:RECOVERY:FAILURE CLOSED auto:ttl")
}

func TestFailureDetailsAndRepeatedFailures(t *testing.T) {
	r := newRig(t)
	e := ev("job.failed", "nightly", "2026-03-04T09:31:12+00:00", "")
	rc, run := int64(2), "nightly:1"
	e.ReturnCode, e.RunID = &rc, &run
	r.at("2026-03-04T09:31:12.880Z").ingest(e)
	e2 := ev("job.failed", "nightly", "2026-03-04T09:41:12+00:00", "")
	r.at("2026-03-04T09:41:12Z").ingest(e2)
	all, _ := r.st.Alerts(context.Background(), store.AlertFilter{Limit: 10})
	if len(all) != 1 {
		t.Fatalf("got %d alerts, want 1 deduplicated FAILURE", len(all))
	}
	a := all[0]
	if want := `{"eventType":"job.failed","returnCode":2,"runId":"nightly:1"}`; a.DetailsJSON != want {
		t.Fatalf("details: got %s, want %s", a.DetailsJSON, want)
	}
	if a.OpenedAt != "2026-03-04T09:31:12.880Z" || a.Occurrences != 2 || a.LastSeenAt == nil || *a.LastSeenAt != "2026-03-04T09:41:12.000Z" {
		t.Fatalf("A8 occurrence tracking: %+v", a)
	}
	if got := r.check("nightly").ConsecutiveFailures; got != 2 {
		t.Fatalf("failures: got %d, want 2", got)
	}
}

func TestCompletedWithFalseSuccessIsAFailureAndWithoutSuccessIsNeither(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T10:00:00Z").ingest(withSuccess(ev("job.completed", "a", "2026-03-04T10:00:00Z", ""), false))
	r.ingest(ev("job.completed", "b", "2026-03-04T10:00:00Z", ""))
	if got := r.check("a").ConsecutiveFailures; got != 1 {
		t.Fatalf("a failures: got %d, want 1", got)
	}
	c := r.check("b")
	if c.ConsecutiveFailures != 0 || c.LastSuccessAt != nil || c.LastHeartbeatAt == nil {
		t.Fatalf("b: %+v", c)
	}
	r.wantAlerts("FAILURE ERROR a:FAILURE OPEN")
}

// an event without the check keys does not reset the stored configuration.
func TestConfigOnlyChangesForPresentKeys(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T10:00:00Z").ingest(ev("job.started", "j", "", `{"grace_seconds":900,"alert_on_failure":false}`))
	r.ingest(ev("worker.message", "j", "", `{"rows":10}`))
	c := r.check("j")
	if c.GraceSeconds != 900 || c.AlertOnFailure || !c.AlertOnMiss || !c.Enabled {
		t.Fatalf("config after worker.message: %+v", c)
	}
	r.ingest(ev("job.failed", "j", "", ""))
	r.wantAlerts() // alert_on_failure stayed false
}

// Metadata keys the engine reads count however they are spelled in JSON: an escaped key is
// the same key (the ingest path skips decoding metadata that cannot hold one).
func TestConfigKeysWrittenWithEscapesStillApply(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T10:00:00Z").ingest(ev("worker.message", "j", "", `{"grace\u005fseconds":600,"alert_on\u005Fmiss":false}`))
	r.ingest(ev("worker.message", "j", "", `{"note":"grace_seconds is mentioned only in a value: 5"}`))
	c := r.check("j")
	if c.GraceSeconds != 600 || c.AlertOnMiss || !c.AlertOnFailure {
		t.Fatalf("config after escaped keys: %+v", c)
	}
}

// replayed old events move nothing backwards and reopen nothing.
func TestOutOfOrderEventsMoveStateForwardOnly(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T12:00:00Z")
	r.ingest(ev("job.failed", "j", "2026-03-04T11:00:00Z", ""))
	r.ingest(withSuccess(ev("job.completed", "j", "2026-03-04T11:30:00Z", ""), true))
	r.wantAlerts("FAILURE ERROR j:FAILURE CLOSED auto:success", "RECOVERY INFO j:RECOVERY:FAILURE OPEN")
	// A spool replays the 11:00 failure late.
	r.ingest(ev("job.failed", "j", "2026-03-04T11:00:00Z", ""))
	c := r.check("j")
	if *c.LastHeartbeatAt != "2026-03-04T11:30:00Z" || c.ConsecutiveFailures != 0 {
		t.Fatalf("state moved backwards: %+v", c)
	}
	r.wantAlerts("FAILURE ERROR j:FAILURE CLOSED auto:success", "RECOVERY INFO j:RECOVERY:FAILURE OPEN")
	// And an old job.next_scheduled does not move the expectation back.
	r.ingest(ev("job.next_scheduled", "j", "2026-03-04T11:30:01Z", `{"next_run_at":"2026-03-04T12:30:00Z"}`))
	r.ingest(ev("job.next_scheduled", "j", "2026-03-04T10:00:01Z", `{"next_run_at":"2026-03-04T11:00:00Z"}`))
	if got := *r.check("j").ExpectedNextAt; got != "2026-03-04T12:30:00Z" {
		t.Fatalf("expectation: got %s", got)
	}
}

// clearing the expectation or moving it into the future sets UP; MISSED waits for a heartbeat.
func TestExpectationClearedOrMovedSetsUp(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T10:00:00Z").ingest(ev("job.next_scheduled", "j", "2026-03-04T09:00:00Z", `{"next_run_at":"2026-03-04T09:30:00Z"}`))
	r.tick()
	r.wantStatus("j", models.StatusDown)
	r.ingest(ev("job.next_scheduled", "j", "2026-03-04T10:00:00Z", `{}`))
	r.wantStatus("j", models.StatusUp)
	if c := r.check("j"); c.ExpectedNextAt != nil {
		t.Fatalf("expectation not cleared: %v", *c.ExpectedNextAt)
	}
	r.wantAlerts("MISSED WARN j:MISSED OPEN")
	r.ingest(ev("job.next_scheduled", "j", "2026-03-04T10:00:01Z", `{"next_run_at":"2026-03-04T09:00:00Z"}`))
	r.tick()
	r.wantStatus("j", models.StatusDown)
	r.wantAlerts("MISSED WARN j:MISSED OPEN") // still one: the open one blocks a duplicate
	r.ingest(ev("job.next_scheduled", "j", "2026-03-04T10:00:02Z", `{"next_run_at":"2026-03-04T11:00:00Z"}`))
	r.wantStatus("j", models.StatusUp)
}

// disabling a check closes its open MISSED and stops evaluation.
func TestDisablingACheckClosesMissed(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T10:00:00Z").ingest(ev("job.next_scheduled", "j", "2026-03-04T09:00:00Z", `{"next_run_at":"2026-03-04T09:30:00Z"}`))
	r.tick()
	r.ingest(ev("daemon.dispatch", "j", "2026-03-04T10:00:00Z", `{"check_enabled":false}`))
	r.wantAlerts("MISSED WARN j:MISSED CLOSED auto:disabled")
	r.at("2026-03-04T11:00:00Z").tick()
	r.wantAlerts("MISSED WARN j:MISSED CLOSED auto:disabled")
}

func TestDuplicateEventIDsAreAcknowledgedButNotApplied(t *testing.T) {
	r := newRig(t)
	id := "evt-1"
	e := ev("job.failed", "j", "2026-03-04T10:00:00Z", "")
	e.EventID = id
	r.at("2026-03-04T10:00:00Z")
	if res := r.ingest(e, e); res.Inserted != 2 || res.Duplicates != 1 {
		t.Fatalf("first: %+v", res)
	}
	if res := r.ingest(e); res.Inserted != 1 || res.Duplicates != 1 {
		t.Fatalf("replay: %+v", res)
	}
	if got := r.check("j").ConsecutiveFailures; got != 1 {
		t.Fatalf("failures: got %d, want 1", got)
	}
	n, _ := r.st.EventsTotal(context.Background())
	if n != 1 {
		t.Fatalf("events stored: got %d, want 1", n)
	}
}

func TestWhitespaceMessageIsDropped(t *testing.T) {
	r := newRig(t)
	e := ev("job.started", "j", "", "")
	e.Message = "   "
	if res := r.at("2026-03-04T10:00:00Z").ingest(e); res.Inserted != 0 || res.Dropped != 1 {
		t.Fatalf("got %+v", res)
	}
}

func TestSecondInstanceDoesNotDoubleFire(t *testing.T) {
	r := newRig(t)
	other := NewEvaluator(r.w, slog.New(slog.DiscardHandler), 15*time.Second, "other")
	r.at("2026-03-04T10:00:00Z").ingest(ev("job.next_scheduled", "j", "2026-03-04T09:00:00Z", `{"next_run_at":"2026-03-04T09:30:00Z"}`))
	r.tick()
	st, err := other.Tick(context.Background(), r.now.Add(time.Second))
	if err != nil || !st.Skipped {
		t.Fatalf("second instance: %+v %v", st, err)
	}
	// The lease expires when its holder stops ticking; then the other instance takes over.
	st, err = other.Tick(context.Background(), r.now.Add(time.Minute))
	if err != nil || st.Skipped {
		t.Fatalf("takeover: %+v %v", st, err)
	}
	r.wantAlerts("MISSED WARN j:MISSED OPEN")
}

func TestRetentionDeletesOnlyOldEventsInChunks(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-01T00:00:00Z")
	var evs []telemetry.Event
	for i := 0; i < 25; i++ {
		evs = append(evs, ev("worker.message", "j", fmt.Sprintf("2026-01-01T00:00:%02dZ", i), ""))
	}
	evs = append(evs, ev("worker.message", "j", "2026-02-28T00:00:00Z", ""))
	evs = append(evs, ev("worker.message", "j", "2099-01-01T00:00:00Z", "")) // far future: pruned by receipt
	r.ingest(evs...)
	r.ingest(ev("job.failed", "j", "2026-02-28T00:00:01Z", ""))
	ret := NewRetention(r.w, slog.New(slog.DiscardHandler), 30, time.Hour, "test")
	ret.chunk = 10
	n, err := ret.Tick(context.Background(), testutil.Time(t, "2026-03-05T00:00:00Z"))
	if err != nil || n != 25 {
		t.Fatalf("first pass deleted %d (%v), want 25", n, err)
	}
	total, _ := r.st.EventsTotal(context.Background())
	if total != 3 {
		t.Fatalf("events left: got %d, want 3", total)
	}
	n, _ = ret.Tick(context.Background(), testutil.Time(t, "2026-04-01T00:00:00Z"))
	if n != 3 {
		t.Fatalf("second pass deleted %d, want 3 (received 2026-03-01)", n)
	}
	if _, err := r.st.Check(context.Background(), "j"); err != nil {
		t.Fatalf("retention touched checks: %v", err)
	}
	r.wantAlerts("FAILURE ERROR j:FAILURE OPEN")
}

// Chief presence follows the events: once retention prunes the latest chief.heartbeat the summary
// falls back to the next remaining one, and to no heartbeat at all.
func TestRetentionPrunedHeartbeatLeavesPresence(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-01T00:00:00Z")
	r.ingest(ev("chief.heartbeat", "", "2026-01-01T00:00:00Z", `{"ping_interval_seconds":10}`),
		ev("chief.heartbeat", "", "2026-01-02T00:00:00Z", `{"ping_interval_seconds":15}`))
	ret := NewRetention(r.w, slog.New(slog.DiscardHandler), 30, time.Hour, "test")
	status := NewStatus(r.st)
	presence := func() Presence {
		s, err := status.Summary(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s.Chief
	}
	if p := presence(); p.LastHeartbeatAt == nil || *p.LastHeartbeatAt != "2026-01-02T00:00:00Z" {
		t.Fatalf("before retention: %+v", p)
	}
	r.ingest(ev("chief.heartbeat", "", "2026-02-01T00:00:00Z", `{"ping_interval_seconds":"7"}`))
	r.ingest(ev("chief.heartbeat", "", "2026-01-03T00:00:00Z", `{}`)) // older: presence unchanged
	if _, err := ret.Tick(context.Background(), testutil.Time(t, "2026-02-02T12:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if p := presence(); p.LastHeartbeatAt == nil || *p.LastHeartbeatAt != "2026-02-01T00:00:00Z" || p.PingIntervalSeconds == nil || *p.PingIntervalSeconds != 7 {
		t.Fatalf("after the first pass: %+v", p)
	}
	if _, err := ret.Tick(context.Background(), testutil.Time(t, "2026-03-04T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if p := presence(); p.LastHeartbeatAt != nil || p.PingIntervalSeconds != nil || p.OfflineAfterSeconds != 45 || p.Online {
		t.Fatalf("all heartbeats pruned: %+v", p)
	}
}

// The IDs set by the multi-row insert match the stored rows, across duplicates and chunks.
func TestInsertedIDsMatchRows(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T10:00:00Z")
	var evs []telemetry.Event
	for i := 0; i < 300; i++ {
		e := ev("worker.message", fmt.Sprintf("job-%d", i%7), fmt.Sprintf("2026-03-04T09:%02d:%02dZ", i/60, i%60), "")
		id := fmt.Sprintf("id-%d", i%250) // 50 repeats inside the batch
		e.EventID = id
		e.Message = id
		evs = append(evs, e)
	}
	if res := r.ingest(evs...); res.Duplicates != 50 {
		t.Fatalf("duplicates: got %d, want 50", res.Duplicates)
	}
	for j := 0; j < 7; j++ {
		c := r.check(fmt.Sprintf("job-%d", j))
		var e models.TelemetryEvent
		if err := r.st.DB().First(&e, *c.LatestEventID).Error; err != nil {
			t.Fatal(err)
		}
		if e.JobName == nil || *e.JobName != c.JobName || e.EventAtMs != *c.LatestEventMs {
			t.Fatalf("job %s: latest event id %d is %+v", c.JobName, *c.LatestEventID, e)
		}
	}
}

func TestRetentionLeaseKeepsASecondInstanceOut(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-01T00:00:00Z").ingest(ev("worker.message", "j", "2026-01-01T00:00:00Z", ""))
	a := NewRetention(r.w, slog.New(slog.DiscardHandler), 30, time.Hour, "a")
	b := NewRetention(r.w, slog.New(slog.DiscardHandler), 30, time.Hour, "b")
	if n, err := a.Tick(context.Background(), testutil.Time(t, "2026-03-05T00:00:00Z")); err != nil || n != 1 {
		t.Fatalf("holder a: %d %v", n, err)
	}
	r.ingest(ev("worker.message", "j", "2026-01-01T00:00:00Z", ""))
	if n, _ := b.Tick(context.Background(), testutil.Time(t, "2026-03-05T00:30:00Z")); n != 0 {
		t.Fatalf("b pruned %d while a holds the lease", n)
	}
	if n, _ := b.Tick(context.Background(), testutil.Time(t, "2026-03-05T02:00:01Z")); n != 1 {
		t.Fatalf("b did not take over the lapsed lease: %d", n)
	}
}

// The overview's hourly counts are kept at ingest, skip repeated eventIds, ignore events older
// than the window, and are pruned by retention.
func TestHourlyCountsMaintainedAtIngest(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T12:30:00Z")
	id := "once"
	a := ev("worker.message", "j", "2026-03-04T11:10:00Z", "")
	a.EventID = id
	warn := ev("worker.message", "j", "2026-03-04T12:05:00Z", "")
	warn.Level = "WARN"
	r.ingest(a, a, warn, ev("worker.message", "j", "2026-03-04T12:06:00Z", ""), ev("worker.message", "j", "2026-03-01T00:00:00Z", ""))
	hours, err := r.st.EventsPerHour(context.Background(), testutil.Time(t, "2026-03-04T00:00:00Z").UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hours {
		got = append(got, fmt.Sprintf("%s %s %d", time.UnixMilli(h.HourMs).UTC().Format("15:04"), h.Level, h.Count))
	}
	if want := "11:00 INFO 1,12:00 INFO 1,12:00 WARN 1"; strings.Join(got, ",") != want {
		t.Fatalf("hourly counts: got %s, want %s", strings.Join(got, ","), want)
	}
	ret := NewRetention(r.w, slog.New(slog.DiscardHandler), 30, time.Hour, "test")
	if _, err := ret.Tick(context.Background(), testutil.Time(t, "2026-03-07T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if hours, _ := r.st.EventsPerHour(context.Background(), 0); len(hours) != 0 {
		t.Fatalf("hourly rows older than the window survived retention: %+v", hours)
	}
}
