package services

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
)

// outcome sends one run of job at the rig's clock: "ok" or "fail", with its check metadata.
func (r *rig) outcome(job string, n int, ok bool, meta string) {
	r.t.Helper()
	typ := telemetry.EventJobCompleted
	if !ok {
		typ = telemetry.EventJobFailed
	}
	at := telemetry.ServerTime(r.now)
	r.ingest(jobDone(typ, job, fmt.Sprintf("%s:%d", job, n), at, ok, meta))
}

// deliveries counts the delivery rows of the job's alerts of one type, by reminder number.
func (r *rig) deliveries(job string, typ models.AlertType) []int64 {
	r.t.Helper()
	all, err := r.st.Alerts(context.Background(), storeFilter(job, typ))
	if err != nil {
		r.t.Fatal(err)
	}
	var ids []int64
	for _, a := range all {
		ids = append(ids, a.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	ds, err := r.st.Deliveries(context.Background(), ids...)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []int64
	for _, d := range ds {
		out = append(out, d.Reminder)
	}
	return out
}

func TestFailureAndRecoveryThresholds(t *testing.T) {
	cases := []struct {
		name     string
		meta     string
		outcomes string // f = failed run, s = succeeded run
		// want is the FAILURE alert's status after each run: - none, O open, C closed.
		want string
	}{
		{"original behaviour", `{"check_enabled":true}`, "fsf", "OCO"},
		{"flaky job alerts on the third failure in a row", `{"check_enabled":true,"failure_threshold":3}`, "ffsfff", "---" + "--O"},
		{"an open alert counts every failure", `{"check_enabled":true,"failure_threshold":2}`, "fff", "-OO"},
		{"recovery after two successes", `{"check_enabled":true,"recovery_threshold":2}`, "fssfs", "OOCOO"},
		{"a failure resets the successes", `{"check_enabled":true,"recovery_threshold":2}`, "fsfss", "OOOOC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t).at("2026-03-04T10:00:00Z")
			var got strings.Builder
			for i, o := range tc.outcomes {
				r.now = r.now.Add(time.Minute)
				r.outcome("job", i, o == 's', tc.meta)
				got.WriteByte(failureState(r.alerts()))
			}
			if got.String() != tc.want {
				t.Fatalf("FAILURE after each run: got %s, want %s (alerts %v)", got.String(), tc.want, r.alerts())
			}
		})
	}
}

// failureState is the newest FAILURE alert's state: - none, O open, C closed.
func failureState(alerts []string) byte {
	state := byte('-')
	for _, a := range alerts {
		if strings.HasPrefix(a, "FAILURE ") {
			state = 'C'
			if strings.Contains(a, " OPEN") {
				state = 'O'
			}
		}
	}
	return state
}

func TestDefaultPolicyFromSettings(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:00Z")
	p := NewPolicies(r.st, r.w.Do)
	if err := p.PutDefaults(context.Background(), Policy{FailureThreshold: 2}, r.now); err != nil {
		t.Fatal(err)
	}
	r.outcome("job", 1, false, `{"check_enabled":true}`)
	r.wantAlerts()
	r.outcome("job", 2, false, `{"check_enabled":true}`)
	r.wantAlerts("FAILURE ERROR job:FAILURE OPEN")
	// the job's own setting wins over the default
	r.outcome("own", 1, false, `{"check_enabled":true,"failure_threshold":1}`)
	r.wantAlerts("FAILURE ERROR job:FAILURE OPEN", "FAILURE ERROR own:FAILURE OPEN")
	if err := p.PutDefaults(context.Background(), Policy{SlowFactor: 0.5}, r.now); err == nil || !strings.Contains(err.Error(), "slowFactor") {
		t.Fatalf("a slow factor below 1: %v", err)
	}
	if err := p.PutDefaults(context.Background(), Policy{FailureThreshold: -1}, r.now); err == nil || !strings.Contains(err.Error(), "failureThreshold") {
		t.Fatalf("a negative threshold: %v", err)
	}
}

func TestPolicyKeysClearWhenChiefStopsSendingThem(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:00Z")
	r.outcome("job", 1, true, `{"check_enabled":true,"failure_threshold":3,"tags":["db","nightly","db","bad tag"]}`)
	c := r.check("job")
	if c.FailureThreshold == nil || *c.FailureThreshold != 3 || c.Tags != `["db","nightly"]` {
		t.Fatalf("policy and tags: %+v %s", c.FailureThreshold, c.Tags)
	}
	r.ingest(ev(telemetry.EventWorkerMessage, "job", "", `{"note":1}`)) // no check metadata: nothing changes
	if c := r.check("job"); c.FailureThreshold == nil || c.Tags != `["db","nightly"]` {
		t.Fatalf("a worker message changed the policy: %+v", c)
	}
	r.outcome("job", 2, true, `{"check_enabled":true}`)
	if c := r.check("job"); c.FailureThreshold != nil || c.Tags != "[]" {
		t.Fatalf("keys removed from chief.yaml still apply: %+v %s", c.FailureThreshold, c.Tags)
	}
}

func TestPausedJobFailsWithoutDeliveryThenResumesAndAlerts(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:00Z")
	p := NewPolicies(r.st, r.w.Do)
	ctx := context.Background()
	if _, err := p.Pause(ctx, "job", "admin@example.org", PauseInput{Reason: "migrating the database"}, r.now); err != nil {
		t.Fatal(err)
	}
	r.now = r.now.Add(time.Minute)
	r.outcome("job", 1, false, `{"check_enabled":true}`)
	r.wantAlerts("FAILURE ERROR job:FAILURE OPEN")
	if d := r.deliveries("job", models.AlertFailure); len(d) != 0 {
		t.Fatalf("a paused job's failure was delivered: %v", d)
	}
	a := r.alert("job", models.AlertFailure)
	if a.SuppressedReason == nil || !strings.Contains(*a.SuppressedReason, "Paused by admin@example.org: migrating the database") {
		t.Fatalf("suppressed reason: %v", a.SuppressedReason)
	}
	r.tick()
	if d := r.deliveries("job", models.AlertFailure); len(d) != 0 {
		t.Fatalf("delivered while still paused: %v", d)
	}
	if ok, err := p.Resume(ctx, "job"); err != nil || !ok {
		t.Fatalf("resume: %v %v", ok, err)
	}
	if st := r.tick(); st.Unsuppressed != 1 {
		t.Fatalf("the still-open alert was not delivered on resume: %+v", st)
	}
	if d := r.deliveries("job", models.AlertFailure); len(d) != 1 {
		t.Fatalf("deliveries after resume: %v", d)
	}
	if a := r.alert("job", models.AlertFailure); a.SuppressedReason != nil {
		t.Fatalf("still marked suppressed: %v", *a.SuppressedReason)
	}
	r.now = r.now.Add(time.Minute)
	r.outcome("job", 2, false, `{"check_enabled":true}`) // one more failure of the open alert
	if d := r.deliveries("job", models.AlertFailure); len(d) != 1 {
		t.Fatalf("a repeated failure delivered again: %v", d)
	}
}

func TestPauseWithEndTimeEndsByItself(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:00Z")
	p := NewPolicies(r.st, r.w.Do)
	ctx := context.Background()
	if _, err := p.Pause(ctx, "job", "a", PauseInput{Until: "2026-03-04T09:00:00Z"}, r.now); err == nil || !strings.Contains(err.Error(), "until") {
		t.Fatalf("a pause ending in the past: %v", err)
	}
	if _, err := p.Pause(ctx, "job", "a", PauseInput{Until: "soon"}, r.now); err == nil || !strings.Contains(err.Error(), "until") {
		t.Fatalf("a pause ending at no time: %v", err)
	}
	if _, err := p.Pause(ctx, "job", "a", PauseInput{Until: "2026-03-04T10:30:00Z"}, r.now); err != nil {
		t.Fatal(err)
	}
	r.outcome("job", 1, false, `{"check_enabled":true}`)
	r.at("2026-03-04T10:29:59Z").tick()
	if d := r.deliveries("job", models.AlertFailure); len(d) != 0 {
		t.Fatalf("delivered before the pause ended: %v", d)
	}
	r.at("2026-03-04T10:30:00Z").tick()
	if d := r.deliveries("job", models.AlertFailure); len(d) != 1 {
		t.Fatalf("not delivered when the pause ended: %v", d)
	}
	if ps, _ := p.ActivePauses(ctx, r.now); len(ps) != 0 {
		t.Fatalf("the ended pause is still listed: %+v", ps)
	}
}

func TestRecurringWindowAcrossDSTSuppressesExactlyItsMinutes(t *testing.T) {
	cases := []struct {
		name, day string
		wantStart string
	}{
		// Europe/Berlin springs forward at 02:00 on 2026-03-29: 01:30 CET is 00:30 UTC.
		{"spring forward", "2026-03-29T00:00:00Z", "2026-03-29T00:30:00Z"},
		// and falls back at 03:00 on 2026-10-25: 01:30 CEST is 23:30 UTC the day before.
		{"fall back", "2026-10-24T22:00:00Z", "2026-10-24T23:30:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			row, err := windowRow(WindowInput{Name: "db", Weekdays: []string{"sun"}, Time: "01:30", DurationMinutes: 120, Timezone: "Europe/Berlin"})
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewWindow(row)
			if err != nil {
				t.Fatal(err)
			}
			from := testutil.Time(t, tc.day)
			var first time.Time
			minutes := 0
			for m := 0; m < 6*60; m++ {
				at := from.Add(time.Duration(m) * time.Minute)
				if on, _ := w.ActiveAt(at); on {
					if first.IsZero() {
						first = at
					}
					minutes++
				}
			}
			if minutes != 120 || !first.Equal(testutil.Time(t, tc.wantStart)) {
				t.Fatalf("window on for %d minutes from %s, want 120 from %s", minutes, first, tc.wantStart)
			}
			if on, end := w.ActiveAt(first.Add(119*time.Minute + 59*time.Second)); !on || !end.Equal(first.Add(2*time.Hour)) {
				t.Fatalf("last second: on=%v end=%s", on, end)
			}
		})
	}
}

func TestWindowSuppressesCoveredJobsAndDeliversWhenItEnds(t *testing.T) {
	r := newRig(t).at("2026-03-04T09:00:00Z")
	p := NewPolicies(r.st, r.w.Do)
	ctx := context.Background()
	_, err := p.CreateWindow(ctx, WindowInput{Name: "db upgrade", Tags: []string{"db*"},
		StartsAt: "2026-03-04T10:00", EndsAt: "2026-03-04T11:00", Timezone: "UTC"}, "admin", r.now)
	if err != nil {
		t.Fatal(err)
	}
	tagged := `{"check_enabled":true,"tags":["db-backup"]}`
	r.at("2026-03-04T09:59:00Z").outcome("before", 1, false, tagged)
	r.at("2026-03-04T10:10:00Z").outcome("backup", 1, false, tagged)
	r.outcome("web", 1, false, `{"check_enabled":true,"tags":["web"]}`)
	r.outcome("recovers", 1, false, tagged)
	r.now = r.now.Add(time.Minute)
	r.outcome("recovers", 2, true, tagged)
	for job, want := range map[string]int{"before": 1, "backup": 0, "web": 1, "recovers": 0} {
		if d := r.deliveries(job, models.AlertFailure); len(d) != want {
			t.Fatalf("%s: %d deliveries in the window, want %d", job, len(d), want)
		}
	}
	r.at("2026-03-04T11:00:00Z").tick()
	if d := r.deliveries("backup", models.AlertFailure); len(d) != 1 {
		t.Fatalf("still failing after the window, not delivered: %v", d)
	}
	if d := r.deliveries("recovers", models.AlertRecovery); len(d) != 0 {
		t.Fatalf("a recovery from a suppressed failure was delivered: %v", d)
	}
	// bad windows are refused, naming the field
	for field, in := range map[string]WindowInput{
		"endsAt":          {Name: "x", StartsAt: "2026-03-04T10:00", EndsAt: "2026-03-04T09:00"},
		"timezone":        {Name: "x", Cron: "0 1 * * *", DurationMinutes: 5, Timezone: "Mars/Olympus"},
		"cron":            {Name: "x", Cron: "99 * * * *", DurationMinutes: 5},
		"durationMinutes": {Name: "x", Cron: "0 1 * * *"},
		"time":            {Name: "x", Weekdays: []string{"mon"}, Time: "25:00", DurationMinutes: 5},
		"weekdays.0":      {Name: "x", Weekdays: []string{"someday"}, Time: "01:00", DurationMinutes: 5},
		"name":            {Cron: "0 1 * * *", DurationMinutes: 5},
		"tags.0":          {Name: "x", Tags: []string{"[bad"}, Cron: "0 1 * * *", DurationMinutes: 5},
	} {
		_, err := p.CreateWindow(ctx, in, "admin", r.now)
		if se, ok := err.(*InputError); !ok || se.Issues[0].Path != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}

func TestOpenAlertRemindsAtItsInterval(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:00Z")
	meta := `{"check_enabled":true,"realert_minutes":30}`
	r.outcome("job", 1, false, meta)
	steps := []struct {
		at   string
		want []int64
	}{
		{"2026-03-04T10:29:59Z", []int64{0}},
		{"2026-03-04T10:30:00Z", []int64{0, 1}},
		{"2026-03-04T10:45:00Z", []int64{0, 1}},
		{"2026-03-04T11:00:00Z", []int64{0, 1, 2}},
	}
	for _, s := range steps {
		r.at(s.at).tick()
		if got := r.deliveries("job", models.AlertFailure); fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Fatalf("at %s: deliveries by reminder %v, want %v", s.at, got, s.want)
		}
	}
	if a := r.alert("job", models.AlertFailure); a.Reminders != 2 {
		t.Fatalf("reminders counted: %d", a.Reminders)
	}
	r.at("2026-03-04T11:10:00Z").outcome("job", 2, true, meta)
	r.at("2026-03-04T12:00:00Z").tick()
	if got := r.deliveries("job", models.AlertFailure); len(got) != 3 {
		t.Fatalf("a closed alert reminded: %v", got)
	}
	if got := r.deliveries("job", models.AlertRecovery); len(got) != 1 {
		t.Fatalf("the recovery: %v", got)
	}
}

func TestSlowRunsAgainstTheBaseline(t *testing.T) {
	r := newRig(t).at("2026-03-04T10:00:00Z")
	meta := `{"check_enabled":true,"slow_factor":2.5}`
	run := func(n int, ms int64) {
		r.now = r.now.Add(time.Hour)
		id := fmt.Sprintf("job:%d", n)
		r.ingest(runEvent(telemetry.EventJobStarted, "job", id, telemetry.ServerTime(r.now.Add(-time.Duration(ms)*time.Millisecond)), meta))
		e := jobDone(telemetry.EventJobCompleted, "job", id, telemetry.ServerTime(r.now), true, meta)
		e.DurationMs = &ms
		r.ingest(e)
	}
	for i := range 4 {
		run(i, 60_000)
	}
	run(4, 600_000) // ten times slower, but four runs are no baseline yet
	r.wantAlerts()
	run(5, 60_000)
	run(6, 200_000) // 3.3× the median of a minute
	r.wantAlerts("SLOW WARN job:SLOW OPEN")
	if a := r.alert("job", models.AlertSlow); !strings.Contains(a.Title, "3.3× its usual 1m0s") {
		t.Fatalf("title: %s", a.Title)
	}
	run(7, 65_000)
	r.wantAlerts("SLOW WARN job:SLOW CLOSED auto:normal-duration")

	r2 := newRig(t).at("2026-03-04T10:00:00Z")
	e := jobDone(telemetry.EventJobCompleted, "limited", "limited:1", "2026-03-04T10:00:00Z", true, `{"check_enabled":true,"max_duration_seconds":60}`)
	e.DurationMs = telemetry.Ptr(int64(61_000))
	r2.ingest(e)
	r2.wantAlerts("SLOW WARN limited:SLOW OPEN")
}

func TestDurationStats(t *testing.T) {
	cases := []struct {
		in                []int64
		p50, p95          int64
		timeout, grace    int64
		enoughForBaseline bool
	}{
		{nil, 0, 0, 0, 0, false},
		{[]int64{1000}, 1000, 1000, 60, 120, false},
		{[]int64{5000, 1000, 2000, 4000, 3000}, 3000, 5000, 60, 120, true},
		{[]int64{100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 700_000, 800_000, 900_000, 1_000_000}, 500_000, 1_000_000, 2000, 1000, true},
	}
	for _, tc := range cases {
		d := NewDurationStats(tc.in)
		if d.P50Ms != tc.p50 || d.P95Ms != tc.p95 || d.SuggestedTimeoutSeconds != tc.timeout ||
			d.SuggestedGraceSeconds != tc.grace || d.Baseline() != tc.enoughForBaseline {
			t.Errorf("%v: got %+v", tc.in, d)
		}
	}
	if d := NewDurationStats([]int64{3, 2, 1}); fmt.Sprint(d.RecentMs) != "[1 2 3]" {
		t.Errorf("recent durations oldest first: %v", d.RecentMs)
	}
}

func storeFilter(job string, typ models.AlertType) store.AlertFilter {
	return store.AlertFilter{JobName: job, AlertType: string(typ), Limit: -1}
}

// alert returns the job's newest alert of a type.
func (r *rig) alert(job string, typ models.AlertType) models.Alert {
	r.t.Helper()
	all, err := r.st.Alerts(context.Background(), storeFilter(job, typ))
	if err != nil || len(all) == 0 {
		r.t.Fatalf("no %s alert of %s: %v", typ, job, err)
	}
	return all[0]
}
