package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

const (
	policyAPIKey    = "admin-key-for-policies"
	policyIngestKey = "ingest-key-for-policies"
)

// policyRig is the dashboard rig (real sign-in, admin session) with the API key and the
// ingest key set, and an evaluator on the app's own writer, so that a test can end a pause
// and run the delivery pass.
type policyRig struct {
	*dashRig
	eval *services.Evaluator
	// anon is the same app without cookies: a program with a key, or nobody.
	anon *dashRig
}

// newPolicyRig builds the app as newDash does, but with a writer this file can reach: newDash
// keeps its writer to itself. The first writer stays in use for sign-in (sessions, users);
// it never writes check rows, so the check cache of the app's writer stays true.
func newPolicyRig(t *testing.T) *policyRig {
	t.Helper()
	r := newDash(t, func(o *Options) { o.APIKey, o.IngestAPIKey = policyAPIKey, policyIngestKey })
	clock := func() time.Time { return r.now }
	w := services.NewWriter(r.st, slog.New(slog.DiscardHandler), services.WriterOptions{})
	w.SetClock(clock)
	go w.Run()
	t.Cleanup(w.Close)
	status := services.NewStatus(r.st)
	status.SetClock(clock)
	h := New(r.opts, r.st, w, status, nil)
	h.SetClock(clock)
	r.app = NewApp(h)
	anon := *r
	anon.jar = map[string]string{}
	return &policyRig{dashRig: r, eval: services.NewEvaluator(w, slog.New(slog.DiscardHandler), 15*time.Second, "test"), anon: &anon}
}

// tick runs one evaluator pass at the rig's clock.
func (p *policyRig) tick() {
	p.t.Helper()
	if _, err := p.eval.Tick(context.Background(), p.now); err != nil {
		p.t.Fatalf("evaluator pass: %v", err)
	}
}

// ingestKeyed posts events with the ingest key, as Chief does.
func (p *policyRig) ingestKeyed(events ...string) {
	p.t.Helper()
	got := p.anon.api("POST", "/v1/events/batch", `{"events":[`+strings.Join(events, ",")+`]}`, "x-api-key", policyIngestKey)
	if got.status != 202 {
		p.t.Fatalf("ingest: got %d %s", got.status, got.body)
	}
}

// caller is one way of reaching the API: a session's cookies or a key.
type caller struct {
	name  string
	actor string // who the audit log and the pause name
	call  func(method, path, body string) page
}

func (p *policyRig) adminSession() caller {
	return caller{"admin session", testAdmin, func(m, path, body string) page { return p.api(m, path, body) }}
}

func (p *policyRig) apiKey() caller {
	return caller{"api key", "api-key", func(m, path, body string) page { return p.anon.api(m, path, body, "x-api-key", policyAPIKey) }}
}

// decode reads a JSON answer of the wanted status into v.
func decode(t *testing.T, what string, got page, status int, v any) {
	t.Helper()
	if got.status != status {
		t.Fatalf("%s: got %d %s, want %d", what, got.status, got.body, status)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(got.body), v); err != nil {
			t.Fatalf("%s: %v in %s", what, err, got.body)
		}
	}
}

type alertJSON struct {
	ID               int64   `json:"id"`
	JobName          string  `json:"jobName"`
	AlertType        string  `json:"alertType"`
	Status           string  `json:"status"`
	SuppressedReason *string `json:"suppressedReason"`
}

// openAlert returns the job's one open alert from GET /v1/alerts.
func openAlert(t *testing.T, c caller, job string) alertJSON {
	t.Helper()
	var out struct{ Alerts []alertJSON }
	decode(t, "alerts", c.call("GET", "/v1/alerts?status=OPEN&jobName="+url.QueryEscape(job), ""), 200, &out)
	if len(out.Alerts) != 1 {
		t.Fatalf("open alerts of %s: got %+v, want one", job, out.Alerts)
	}
	return out.Alerts[0]
}

func deliveryCount(t *testing.T, c caller, id int64) int {
	t.Helper()
	var out struct{ Deliveries []json.RawMessage }
	decode(t, "deliveries", c.call("GET", "/v1/alerts/"+strconv.FormatInt(id, 10)+"/deliveries", ""), 200, &out)
	return len(out.Deliveries)
}

// TestPauseHoldsAlertsBackUntilResumed: with an admin session and with the API key, a paused
// job's failure opens an alert that says who paused it and why and is not delivered; after
// the resume, the evaluator's pass delivers it once.
func TestPauseHoldsAlertsBackUntilResumed(t *testing.T) {
	r := newPolicyRig(t)
	r.signIn()
	for _, c := range []caller{r.adminSession(), r.apiKey()} {
		t.Run(c.name, func(t *testing.T) {
			job := "paused-" + strings.ReplaceAll(c.name, " ", "-")
			var paused struct{ Pause pauseRow }
			decode(t, "pause", c.call("POST", "/v1/jobs/"+job+"/pause", `{"until":"2026-03-04T12:00:00Z","reason":"database upgrade"}`), 200, &paused)
			got := paused.Pause.JobName + " " + paused.Pause.PausedAt + " " + paused.Pause.PausedBy + " " + str(paused.Pause.Until) + " " + paused.Pause.Reason
			if want := job + " " + eventAt(r.now) + " " + c.actor + " 2026-03-04T12:00:00.000Z database upgrade"; got != want {
				t.Fatalf("pause: got %q, want %q", got, want)
			}
			var list struct {
				Pauses []struct{ JobName, PausedBy string }
			}
			decode(t, "pauses", c.call("GET", "/v1/pauses", ""), 200, &list)
			found := false
			for _, p := range list.Pauses {
				found = found || p.JobName == job && p.PausedBy == c.actor
			}
			if !found {
				t.Fatalf("GET /v1/pauses: %+v lacks %s", list.Pauses, job)
			}

			r.now = r.now.Add(time.Minute)
			r.ingestKeyed(event("job.failed", job, eventAt(r.now), ""))
			a := openAlert(t, c, job)
			wantWhy := "Paused by " + c.actor + " until 2026-03-04T12:00:00.000Z: database upgrade"
			if a.SuppressedReason == nil || *a.SuppressedReason != wantWhy {
				t.Fatalf("suppressedReason: got %v, want %q", a.SuppressedReason, wantWhy)
			}
			if n := deliveryCount(t, c, a.ID); n != 0 {
				t.Fatalf("deliveries while paused: got %d, want 0", n)
			}
			r.tick() // still paused: the pass keeps it back
			if n := deliveryCount(t, c, a.ID); n != 0 {
				t.Fatalf("deliveries after a pass while paused: got %d, want 0", n)
			}

			var resumed struct {
				JobName string
				Resumed bool
			}
			decode(t, "resume", c.call("POST", "/v1/jobs/"+job+"/resume", ""), 200, &resumed)
			if resumed.JobName != job || !resumed.Resumed {
				t.Fatalf("resume: got %+v", resumed)
			}
			decode(t, "resume again", c.call("POST", "/v1/jobs/"+job+"/resume", ""), 200, &resumed)
			if resumed.Resumed {
				t.Fatalf("a second resume says it resumed")
			}
			r.now = r.now.Add(15 * time.Second)
			r.tick()
			a = openAlert(t, c, job)
			if a.SuppressedReason != nil {
				t.Fatalf("suppressedReason after the resume: got %q, want null", *a.SuppressedReason)
			}
			if n := deliveryCount(t, c, a.ID); n != 1 {
				t.Fatalf("deliveries after the resume: got %d, want 1", n)
			}
			r.tick() // delivered once, not again
			if n := deliveryCount(t, c, a.ID); n != 1 {
				t.Fatalf("deliveries after another pass: got %d, want 1", n)
			}
		})
	}
}

// eventAt formats a time as the events carry it.
func eventAt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// TestPolicyAPIValidation: every refused input is a 400 whose details name the field.
func TestPolicyAPIValidation(t *testing.T) {
	r := newPolicyRig(t)
	r.signIn()
	c := r.adminSession()
	long := strings.Repeat("x", 501)
	recurring := `"name":"w","durationMinutes":30,`
	cases := []struct {
		name, method, path, body, field string
	}{
		{"until in the past", "POST", "/v1/jobs/etl/pause", `{"until":"2026-03-04T09:59:59Z"}`, "until"},
		{"until now", "POST", "/v1/jobs/etl/pause", `{"until":"2026-03-04T10:00:00Z"}`, "until"},
		{"until not a time", "POST", "/v1/jobs/etl/pause", `{"until":"tomorrow"}`, "until"},
		{"until a number", "POST", "/v1/jobs/etl/pause", `{"until":1772618400}`, "until"},
		{"reason too long", "POST", "/v1/jobs/etl/pause", `{"reason":"` + long + `"}`, "reason"},
		{"reason not a string", "POST", "/v1/jobs/etl/pause", `{"reason": 5}`, "reason"},
		{"pause body an array", "POST", "/v1/jobs/etl/pause", `[]`, "body"},
		{"window without name", "POST", "/v1/maintenance-windows", `{"cron":"0 2 * * *","durationMinutes":30}`, "name"},
		{"window name of spaces", "POST", "/v1/maintenance-windows", `{"name":"   ","cron":"0 2 * * *","durationMinutes":30}`, "name"},
		{"window name with a line break", "POST", "/v1/maintenance-windows", `{"name":"a\nb","cron":"0 2 * * *","durationMinutes":30}`, "name"},
		{"reason with a control character", "POST", "/v1/jobs/etl/pause", `{"reason":"a\u0007b"}`, "reason"},
		{"window body an array", "POST", "/v1/maintenance-windows", `[{"name":"w"}]`, "body"},
		{"cron that never matches", "POST", "/v1/maintenance-windows", `{` + recurring + `"cron":"0 2 30 2 *"}`, "cron"},
		{"bad cron", "POST", "/v1/maintenance-windows", `{` + recurring + `"cron":"61 2 * * *"}`, "cron"},
		{"unknown timezone", "POST", "/v1/maintenance-windows", `{` + recurring + `"cron":"0 2 * * *","timezone":"Mars/Olympus_Mons"}`, "timezone"},
		{"endsAt before startsAt", "POST", "/v1/maintenance-windows", `{"name":"w","startsAt":"2026-03-05T10:00","endsAt":"2026-03-05T09:00"}`, "endsAt"},
		{"endsAt equal to startsAt", "POST", "/v1/maintenance-windows", `{"name":"w","startsAt":"2026-03-05T10:00:00Z","endsAt":"2026-03-05T10:00:00Z"}`, "endsAt"},
		{"durationMinutes missing for recurring", "POST", "/v1/maintenance-windows", `{"name":"w","cron":"0 2 * * *"}`, "durationMinutes"},
		{"durationMinutes missing for weekdays", "POST", "/v1/maintenance-windows", `{"name":"w","weekdays":["sat"],"time":"02:00"}`, "durationMinutes"},
		{"bad weekday", "POST", "/v1/maintenance-windows", `{` + recurring + `"weekdays":["someday"],"time":"02:00"}`, "weekdays"},
		{"bad time", "POST", "/v1/maintenance-windows", `{` + recurring + `"weekdays":["sat"],"time":"25:00"}`, "time"},
		{"jobs not a list", "POST", "/v1/maintenance-windows", `{` + recurring + `"cron":"0 2 * * *","jobs":"etl"}`, "jobs"},
		{"failureThreshold -1", "PUT", "/v1/settings/alert-policy", `{"failureThreshold":-1}`, "failureThreshold"},
		{"slowFactor 0.5", "PUT", "/v1/settings/alert-policy", `{"slowFactor":0.5}`, "slowFactor"},
		{"realertMinutes a string", "PUT", "/v1/settings/alert-policy", `{"realertMinutes":"5"}`, "realertMinutes"},
		{"policy body an array", "PUT", "/v1/settings/alert-policy", `[]`, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out struct {
				Error   string
				Details struct {
					FormErrors  []string
					FieldErrors map[string][]string
					Issues      []struct{ Path, Message string }
				}
			}
			decode(t, tc.method+" "+tc.path, c.call(tc.method, tc.path, tc.body), 400, &out)
			if tc.field == "body" { // not an object: a form-level error, as the other endpoints say it
				if len(out.Details.FormErrors) != 1 || out.Details.FormErrors[0] != "Expected object, received array" {
					t.Fatalf("details: got %+v, want the body refused", out.Details)
				}
				return
			}
			if len(out.Details.FieldErrors[tc.field]) == 0 || len(out.Details.Issues) == 0 || !strings.HasPrefix(out.Details.Issues[0].Path+".", tc.field+".") ||
				out.Details.Issues[0].Message == "" {
				t.Fatalf("details: got %+v, want the field %q named", out.Details, tc.field)
			}
		})
	}
	// Nothing refused was stored.
	var pauses struct{ Pauses []json.RawMessage }
	decode(t, "pauses", c.call("GET", "/v1/pauses", ""), 200, &pauses)
	var windows struct{ Windows []json.RawMessage }
	decode(t, "windows", c.call("GET", "/v1/maintenance-windows", ""), 200, &windows)
	if len(pauses.Pauses) != 0 || len(windows.Windows) != 0 {
		t.Fatalf("refused input was stored: %d pauses, %d windows", len(pauses.Pauses), len(windows.Windows))
	}
	if got := c.call("GET", "/v1/settings/alert-policy", "").body; got != `{"failureThreshold":0,"recoveryThreshold":0,"realertMinutes":0,"maxDurationSeconds":0,"slowFactor":0}` {
		t.Fatalf("policy after refused writes: %s", got)
	}
}

// policyWrites are the write routes of this API, each with a body an admin would get a 2xx for.
var policyWrites = []struct{ method, path, body string }{
	{"POST", "/v1/jobs/etl/pause", `{"reason":"upgrade"}`},
	{"POST", "/v1/jobs/etl/resume", ``},
	{"POST", "/v1/maintenance-windows", `{"name":"nightly","cron":"0 2 * * *","durationMinutes":30}`},
	{"DELETE", "/v1/maintenance-windows/1", ``},
	{"PUT", "/v1/settings/alert-policy", `{"failureThreshold":3}`},
}

var policyReads = []string{"/v1/pauses", "/v1/maintenance-windows", "/v1/settings/alert-policy"}

// TestPolicyAPIRoles: a viewer reads but changes nothing (403), the ingest key and no
// credential get 401, and the admin's same requests succeed.
func TestPolicyAPIRoles(t *testing.T) {
	r := newPolicyRig(t)
	vu, vpw := r.addUser("viewer@example.org", models.RoleViewer)
	viewer := r.browser(vu.Email, vpw)
	for _, w := range policyWrites {
		if got := viewer.api(w.method, w.path, w.body); !refused(w.path, got) {
			t.Errorf("%s %s as a viewer: got %d %s, want the 403 refusal", w.method, w.path, got.status, got.body)
		}
		for name, key := range map[string]string{"no credential": "", "ingest key": policyIngestKey} {
			if got := r.anon.api(w.method, w.path, w.body, "x-api-key", key); got.status != 401 || got.body != `{"error":"Unauthorized"}` {
				t.Errorf("%s %s with %s: got %d %s, want 401", w.method, w.path, name, got.status, got.body)
			}
		}
	}
	for _, path := range policyReads {
		if got := viewer.api("GET", path, ""); got.status != 200 {
			t.Errorf("GET %s as a viewer: got %d %s", path, got.status, got.body)
		}
		if got := r.anon.api("GET", path, ""); got.status != 401 {
			t.Errorf("GET %s without credentials: got %d %s", path, got.status, got.body)
		}
		if got := r.anon.api("GET", path, "", "x-api-key", policyIngestKey); got.status != 401 {
			t.Errorf("GET %s with the ingest key: got %d %s", path, got.status, got.body)
		}
	}
	// The refusals changed nothing.
	var pauses struct{ Pauses []json.RawMessage }
	decode(t, "pauses", viewer.api("GET", "/v1/pauses", ""), 200, &pauses)
	var windows struct{ Windows []json.RawMessage }
	decode(t, "windows", viewer.api("GET", "/v1/maintenance-windows", ""), 200, &windows)
	if len(pauses.Pauses) != 0 || len(windows.Windows) != 0 {
		t.Fatalf("a refused write was stored: %d pauses, %d windows", len(pauses.Pauses), len(windows.Windows))
	}
	// The same requests as the admin succeed: the refusals above were about the role.
	r.signIn()
	for _, w := range policyWrites {
		if got := r.api(w.method, w.path, w.body); got.status/100 != 2 {
			t.Errorf("%s %s as the admin: got %d %s", w.method, w.path, got.status, got.body)
		}
	}
}

type windowJSON struct {
	ID                     int64
	Name                   string
	Jobs, Tags             []string
	StartsAt, EndsAt       *string
	Cron                   string
	DurationMinutes        int64
	Timezone               string
	Description, Scope     string
	Active                 bool
	ActiveUntil, NextStart *string
	CreatedAt, CreatedBy   string
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// TestMaintenanceWindowAPI creates recurring windows at a fixed clock (Wednesday 2026-03-04
// 10:00 UTC), lists them with their state, sees one hold a covered job's alert back, and
// deletes them.
func TestMaintenanceWindowAPI(t *testing.T) {
	r := newPolicyRig(t)
	c := r.apiKey()
	// Wednesdays 10:30 in Berlin (UTC+1 until 29 March): 09:30–10:30 UTC, on now.
	var created struct{ Window windowJSON }
	decode(t, "create weekly", c.call("POST", "/v1/maintenance-windows", `{"name":"db upgrade","jobs":["etl-*"],"tags":["db"],`+
		`"weekdays":["wed"],"time":"10:30","durationMinutes":60,"timezone":"Europe/Berlin"}`), 201, &created)
	weekly := created.Window
	if weekly.ID < 1 || weekly.Cron != "30 10 * * 3" || weekly.CreatedBy != "api-key" || weekly.CreatedAt != "2026-03-04T10:00:00.000Z" {
		t.Fatalf("created: %+v", weekly)
	}
	// Sundays 02:00 UTC for 30 minutes, every job: off now.
	decode(t, "create cron", c.call("POST", "/v1/maintenance-windows", `{"name":"os patches","cron":"0 2 * * 0","durationMinutes":30}`), 201, &created)
	sunday := created.Window

	var list struct{ Windows []windowJSON }
	decode(t, "list", c.call("GET", "/v1/maintenance-windows", ""), 200, &list)
	got := map[int64]windowJSON{}
	for _, w := range list.Windows {
		got[w.ID] = w
	}
	cases := []struct {
		id                                  int64
		active                              bool
		activeUntil, nextStart, desc, scope string
	}{
		{weekly.ID, true, "2026-03-04T10:30:00.000Z", "2026-03-11T09:30:00.000Z", "on Wed at 10:30 (Europe/Berlin) for 1 h", "jobs etl-* or tags db"},
		{sunday.ID, false, "<null>", "2026-03-08T02:00:00.000Z", "on Sun at 02:00 (UTC) for 30 min", "all jobs"},
	}
	if len(list.Windows) != len(cases) {
		t.Fatalf("list: got %d windows, want %d: %+v", len(list.Windows), len(cases), list.Windows)
	}
	for _, tc := range cases {
		w := got[tc.id]
		if w.Active != tc.active || str(w.ActiveUntil) != tc.activeUntil || str(w.NextStart) != tc.nextStart ||
			w.Description != tc.desc || w.Scope != tc.scope {
			t.Errorf("window %d: got active %v until %s, next %s, %q, %q; want %v %s %s %q %q", tc.id, w.Active, str(w.ActiveUntil),
				str(w.NextStart), w.Description, w.Scope, tc.active, tc.activeUntil, tc.nextStart, tc.desc, tc.scope)
		}
	}

	// The weekly window holds back a job it covers by name, not one it does not cover.
	r.ingestKeyed(event("job.failed", "etl-orders", "2026-03-04T10:00:00Z", ""), event("job.failed", "web-shop", "2026-03-04T10:00:00Z", ""))
	if a := openAlert(t, c, "etl-orders"); str(a.SuppressedReason) != `Maintenance window "db upgrade" until 2026-03-04T10:30:00.000Z` {
		t.Errorf("covered job's alert: suppressedReason %s", str(a.SuppressedReason))
	}
	if a := openAlert(t, c, "web-shop"); a.SuppressedReason != nil {
		t.Errorf("uncovered job's alert: suppressedReason %s", *a.SuppressedReason)
	}

	path := "/v1/maintenance-windows/" + strconv.FormatInt(weekly.ID, 10)
	decode(t, "delete", c.call("DELETE", path, ""), 200, nil)
	if body := c.call("DELETE", path, "").body; body != `{"error":"Maintenance window not found"}` {
		t.Errorf("delete again: %s", body)
	}
	decode(t, "delete again", c.call("DELETE", path, ""), 404, nil)
	for _, bad := range []string{"abc", "0", "-1", "1.5"} {
		decode(t, "delete "+bad, c.call("DELETE", "/v1/maintenance-windows/"+bad, ""), 400, nil)
	}
	decode(t, "list after delete", c.call("GET", "/v1/maintenance-windows", ""), 200, &list)
	if len(list.Windows) != 1 || list.Windows[0].ID != sunday.ID {
		t.Fatalf("after delete: %+v", list.Windows)
	}
}

// TestTagFilters: a job's tags from its check metadata filter the alerts, the events and the
// jobs page, and show on the status API.
func TestTagFilters(t *testing.T) {
	r := newPolicyRig(t)
	r.signIn()
	c := r.adminSession()
	r.ingestKeyed(
		event("job.failed", "db-backup", "2026-03-04T09:58:00Z", `,"runId":"db-backup:1","metadata":{"check_enabled":true,"tags":["db","nightly"]}`),
		event("job.failed", "web-shop", "2026-03-04T09:59:00Z", `,"runId":"web-shop:1","metadata":{"check_enabled":true,"tags":["web"]}`))
	var alerts struct{ Alerts []alertJSON }
	decode(t, "alerts", c.call("GET", "/v1/alerts?tag=db", ""), 200, &alerts)
	if len(alerts.Alerts) != 1 || alerts.Alerts[0].JobName != "db-backup" {
		t.Errorf("alerts?tag=db: got %+v, want db-backup's one", alerts.Alerts)
	}
	decode(t, "alerts", c.call("GET", "/v1/alerts?tag=web", ""), 200, &alerts)
	if len(alerts.Alerts) != 1 || alerts.Alerts[0].JobName != "web-shop" {
		t.Errorf("alerts?tag=web: got %+v, want web-shop's one", alerts.Alerts)
	}
	var events struct{ Events []struct{ JobName string } }
	decode(t, "events", c.call("GET", "/v1/events?tag=db", ""), 200, &events)
	if len(events.Events) == 0 {
		t.Errorf("events?tag=db: none")
	}
	for _, e := range events.Events {
		if e.JobName != "db-backup" {
			t.Errorf("events?tag=db: a row of %q", e.JobName)
		}
	}
	decode(t, "events", c.call("GET", "/v1/events?tag=nope", ""), 200, &events)
	if len(events.Events) != 0 {
		t.Errorf("events?tag=nope: got %d rows", len(events.Events))
	}
	var jobs struct {
		Jobs []struct {
			JobName string   `json:"jobName"`
			Tags    []string `json:"tags"`
		} `json:"jobs"`
	}
	decode(t, "status jobs", c.call("GET", "/v1/status/jobs", ""), 200, &jobs)
	tags := map[string]string{}
	for _, j := range jobs.Jobs {
		tags[j.JobName] = strings.Join(j.Tags, ",")
	}
	if tags["db-backup"] != "db,nightly" || tags["web-shop"] != "web" {
		t.Errorf("status jobs tags: got %v (%s)", tags, c.call("GET", "/v1/status/jobs", "").body)
	}
	decode(t, "status jobs by tag", c.call("GET", "/v1/status/jobs?tag=nightly", ""), 200, &jobs)
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].JobName != "db-backup" {
		t.Errorf("status/jobs?tag=nightly: got %+v", jobs.Jobs)
	}
	var runs struct{ Runs []struct{ JobName string } }
	decode(t, "runs by tag", c.call("GET", "/v1/runs?tag=web", ""), 200, &runs)
	if len(runs.Runs) != 1 || runs.Runs[0].JobName != "web-shop" {
		t.Errorf("runs?tag=web: got %+v", runs.Runs)
	}
	p := r.do("GET", "/jobs?tag=db", nil)
	rows := p.testid("job-row")
	if p.status != 200 || rows.Length() != 1 || rows.AttrOr("data-job", "") != "db-backup" {
		t.Errorf("/jobs?tag=db: got %d, %d rows (%s)", p.status, rows.Length(), rows.AttrOr("data-job", ""))
	}
	if p := r.do("GET", "/jobs", nil); p.testid("job-row").Length() != 2 {
		t.Errorf("/jobs: got %d rows, want 2", p.testid("job-row").Length())
	}
}

// TestPolicyAudit: every change through this API is in the audit log with who made it.
func TestPolicyAudit(t *testing.T) {
	r := newPolicyRig(t)
	r.signIn()
	admin, key := r.adminSession(), r.apiKey()
	decode(t, "pause", admin.call("POST", "/v1/jobs/etl/pause", `{"reason":"upgrade","until":"2026-03-05T00:00:00Z"}`), 200, nil)
	decode(t, "resume", key.call("POST", "/v1/jobs/etl/resume", ""), 200, nil)
	var created struct{ Window windowJSON }
	decode(t, "window", admin.call("POST", "/v1/maintenance-windows", `{"name":"sunday","jobs":["etl"],"cron":"0 2 * * 0","durationMinutes":30}`), 201, &created)
	decode(t, "delete", key.call("DELETE", "/v1/maintenance-windows/"+strconv.FormatInt(created.Window.ID, 10), ""), 200, nil)
	decode(t, "policy", admin.call("PUT", "/v1/settings/alert-policy", `{"failureThreshold":3,"realertMinutes":60}`), 200, nil)
	// A resume of a job that was not paused changed nothing: no entry.
	decode(t, "resume nothing", admin.call("POST", "/v1/jobs/other/resume", ""), 200, nil)

	var out struct {
		Entries []struct{ Actor, Action, Target, Detail string }
	}
	decode(t, "audit", admin.call("GET", "/v1/audit?limit=100", ""), 200, &out)
	var got []string
	for i := len(out.Entries) - 1; i >= 0; i-- { // oldest first
		e := out.Entries[i]
		if strings.HasPrefix(e.Action, "pause.") || strings.HasPrefix(e.Action, "maintenance.") || e.Action == "alert-policy.update" {
			got = append(got, e.Action+" "+e.Actor+" "+e.Target+" | "+e.Detail)
		}
	}
	want := []string{
		"pause.create " + testAdmin + " etl | until 2026-03-05T00:00:00.000Z; upgrade",
		"pause.resume api-key etl | ",
		"maintenance.create " + testAdmin + " sunday | jobs etl, on Sun at 02:00 (UTC) for 30 min",
		"maintenance.delete api-key " + strconv.FormatInt(created.Window.ID, 10) + " | ",
		"alert-policy.update " + testAdmin + ` defaults | {"failureThreshold":3,"recoveryThreshold":0,"realertMinutes":60,"maxDurationSeconds":0,"slowFactor":0}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit entries:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	if got := key.call("GET", "/v1/audit?action=pause.create", "").body; !strings.Contains(got, `"actor":"`+testAdmin+`"`) {
		t.Errorf("audit filtered by action: %s", got)
	}
}

// TestPauseEndsByItself: a pause with until lapses at that instant; the pass after it delivers
// the held-back alert and GET /v1/pauses no longer lists it.
func TestPauseEndsByItself(t *testing.T) {
	r := newPolicyRig(t)
	c := r.apiKey()
	decode(t, "pause", c.call("POST", "/v1/jobs/etl/pause", `{"until":"2026-03-04T10:30:00Z"}`), 200, nil)
	r.ingestKeyed(event("job.failed", "etl", "2026-03-04T10:00:00Z", ""))
	a := openAlert(t, c, "etl")
	if str(a.SuppressedReason) != "Paused by api-key until 2026-03-04T10:30:00.000Z" {
		t.Fatalf("suppressedReason: %s", str(a.SuppressedReason))
	}
	r.now = testutil.Time(t, "2026-03-04T10:29:59Z")
	r.tick()
	if n := deliveryCount(t, c, a.ID); n != 0 {
		t.Fatalf("a second before the end: %d deliveries", n)
	}
	r.now = testutil.Time(t, "2026-03-04T10:30:00Z")
	var pauses struct{ Pauses []json.RawMessage }
	decode(t, "pauses", c.call("GET", "/v1/pauses", ""), 200, &pauses)
	if len(pauses.Pauses) != 0 {
		t.Fatalf("the ended pause is still listed: %d", len(pauses.Pauses))
	}
	r.tick()
	if a = openAlert(t, c, "etl"); a.SuppressedReason != nil || deliveryCount(t, c, a.ID) != 1 {
		t.Fatalf("at the end: suppressedReason %s, %d deliveries, want null and 1", str(a.SuppressedReason), deliveryCount(t, c, a.ID))
	}
}

// TestPauseFormsOnJobPage: the job page's pause and resume forms are plain POSTs answered with
// a 303 back to the page, a refused until is the page again (400) with the message, and a
// viewer sees no form and is refused.
func TestPauseFormsOnJobPage(t *testing.T) {
	r := newPolicyRig(t)
	r.ingestKeyed(event("job.failed", "etl", "2026-03-04T09:59:00Z", ""))
	r.signIn()
	p := r.do("GET", "/jobs/etl", nil)
	if p.testid("pause-form").Length() != 1 || p.testid("job-suppressed-banner").Length() != 0 {
		t.Fatalf("job page before: %d pause forms, %d banners", p.testid("pause-form").Length(), p.testid("job-suppressed-banner").Length())
	}
	tok := p.testid("pause-form").Find(`input[name="_csrf"]`).AttrOr("value", "")
	post := func(path string, form url.Values) page {
		form.Set("_csrf", tok)
		return r.do("POST", path, form, "Origin", sameOrigin)
	}
	p = post("/job/pause?name=etl", url.Values{"until": {"2026-03-04T09:00"}, "reason": {"upgrade"}})
	if p.status != 400 || p.testid("pause-error").Text() != "until: Must be in the future" || p.testid("pause-form").Length() != 1 {
		t.Fatalf("past until: got %d %q", p.status, p.testid("pause-error").Text())
	}
	p = post("/job/pause?name=etl", url.Values{"until": {"soon"}})
	if p.status != 400 || !strings.HasPrefix(p.testid("pause-error").Text(), "until: Invalid date and time") {
		t.Fatalf("bad until: got %d %q", p.status, p.testid("pause-error").Text())
	}
	if p := r.do("POST", "/job/pause?name=etl", url.Values{"reason": {"no token"}}, "Origin", sameOrigin); p.status != 403 {
		t.Fatalf("without the CSRF token: got %d", p.status)
	}
	if p := post("/job/pause", url.Values{"reason": {"no job named"}}); p.status/100 == 2 || p.status/100 == 3 {
		t.Fatalf("without ?name=: got %d", p.status)
	}
	var pauses struct{ Pauses []json.RawMessage }
	decode(t, "pauses", r.api("GET", "/v1/pauses", ""), 200, &pauses)
	if len(pauses.Pauses) != 0 {
		t.Fatalf("a refused pause form was stored: %d pauses", len(pauses.Pauses))
	}
	// A datetime-local value has no offset: it is read in UTC.
	p = post("/job/pause?name=etl", url.Values{"until": {"2026-03-04T18:00"}, "reason": {"planned <b>upgrade</b>"}})
	if p.status != 303 || p.header.Get("Location") != "/jobs/etl" {
		t.Fatalf("pause: got %d %q", p.status, p.header.Get("Location"))
	}
	p = r.do("GET", "/jobs/etl", nil)
	state, banner := p.testid("pause-state").Text(), p.testid("job-suppressed-banner").Text()
	if !strings.Contains(state, "Paused by "+testAdmin) || !strings.Contains(state, "planned <b>upgrade</b>") ||
		!strings.Contains(banner, "Paused by "+testAdmin+" until 2026-03-04T18:00:00.000Z: planned <b>upgrade</b>") ||
		p.testid("resume-form").Length() != 1 || p.testid("pause-form").Length() != 0 || strings.Contains(p.body, "<b>upgrade") {
		t.Fatalf("paused job page: state %q, banner %q", state, banner)
	}
	// The open alert predates the pause: it was delivered, and a failure now only refreshes it.
	r.now = r.now.Add(time.Minute)
	r.ingestKeyed(event("job.failed", "etl", eventAt(r.now), ""))
	if p := r.do("GET", "/alerts?status=OPEN", nil); p.testid("alert-row").Length() != 1 || p.testid("suppressed").Length() != 0 {
		t.Fatalf("alerts page: %d rows, %d suppressed markers; want 1 and 0", p.testid("alert-row").Length(), p.testid("suppressed").Length())
	}
	if p := r.do("GET", "/jobs", nil); !strings.Contains(p.testid("job-suppressed").Text(), "alerts held: Paused by "+testAdmin) {
		t.Fatalf("jobs table: %q", p.testid("job-suppressed").Text())
	}

	vu, vpw := r.addUser("viewer@example.org", models.RoleViewer)
	viewer := r.browser(vu.Email, vpw)
	v := viewer.do("GET", "/jobs/etl", nil)
	if v.testid("resume-form").Length() != 0 || v.testid("pause-form").Length() != 0 || v.testid("job-suppressed-banner").Length() != 1 {
		t.Fatalf("viewer's job page: %d resume forms, %d pause forms, %d banners", v.testid("resume-form").Length(),
			v.testid("pause-form").Length(), v.testid("job-suppressed-banner").Length())
	}
	vtok := viewer.csrf("/jobs/etl")
	if got := viewer.do("POST", "/job/resume?name=etl", url.Values{"_csrf": {vtok}}, "Origin", sameOrigin); !refused("/job/resume", got) {
		t.Fatalf("viewer's resume: got %d", got.status)
	}

	p = post("/job/resume?name=etl", url.Values{})
	if p.status != 303 || p.header.Get("Location") != "/jobs/etl" {
		t.Fatalf("resume: got %d %q", p.status, p.header.Get("Location"))
	}
	if p := r.do("GET", "/jobs/etl", nil); p.testid("pause-form").Length() != 1 || p.testid("job-suppressed-banner").Length() != 0 {
		t.Fatalf("after the resume: %d pause forms, %d banners", p.testid("pause-form").Length(), p.testid("job-suppressed-banner").Length())
	}
}

// TestSuppressedMarkers: an alert opened while its job is paused is marked on the alerts page
// and the job page with the reason.
func TestSuppressedMarkers(t *testing.T) {
	r := newPolicyRig(t)
	decode(t, "pause", r.apiKey().call("POST", "/v1/jobs/etl/pause", `{"reason":"disk swap"}`), 200, nil)
	r.ingestKeyed(event("job.failed", "etl", "2026-03-04T09:59:00Z", ""))
	r.signIn()
	for _, path := range []string{"/alerts?status=OPEN", "/jobs/etl"} {
		p := r.do("GET", path, nil)
		if p.testid("suppressed").Length() != 1 || p.testid("suppressed-reason").Text() != "Paused by api-key: disk swap" {
			t.Errorf("%s: %d markers, reason %q", path, p.testid("suppressed").Length(), p.testid("suppressed-reason").Text())
		}
	}
}

// TestMaintenanceForms: the maintenance page's forms are plain POSTs: a weekly window scoped to
// a job, refused input shown with its field and kept as typed, the delete button, and the
// default policy form.
func TestMaintenanceForms(t *testing.T) {
	r := newPolicyRig(t)
	r.signIn()
	p := r.do("GET", "/settings/maintenance", nil)
	if p.status != 200 || p.testid("empty-state").Length() != 1 || p.testid("window-row").Length() != 0 {
		t.Fatalf("empty page: got %d, %d rows", p.status, p.testid("window-row").Length())
	}
	tok := p.testid("window-form").Find(`input[name="_csrf"]`).AttrOr("value", "")
	post := func(path string, form url.Values) page {
		form.Set("_csrf", tok)
		return r.do("POST", path, form, "Origin", sameOrigin)
	}
	// Wednesday 10:00 UTC: a window on Wednesdays and Saturdays at 10:30 is not on yet.
	form := url.Values{"name": {"weekly etl"}, "jobs": {"etl, etl-*"}, "weekdays": {"wed", "sat"}, "time": {"10:30"},
		"durationMinutes": {"abc"}, "timezone": {"UTC"}}
	p = post("/settings/maintenance", form)
	if p.status != 400 || p.testid("window-error").Text() != "durationMinutes: Expected a whole number" ||
		p.testid("window-form").Find(`input[name="name"]`).AttrOr("value", "") != "weekly etl" ||
		p.testid("window-form").Find(`input[name="weekdays"][value="sat"]`).AttrOr("checked", "no") == "no" {
		t.Fatalf("bad duration: got %d %q", p.status, p.testid("window-error").Text())
	}
	form.Set("durationMinutes", "60")
	form.Set("timezone", "Nowhere/Special")
	if p = post("/settings/maintenance", form); p.status != 400 || !strings.HasPrefix(p.testid("window-error").Text(), "timezone: ") {
		t.Fatalf("bad time zone: got %d %q", p.status, p.testid("window-error").Text())
	}
	form.Set("timezone", "UTC")
	p = post("/settings/maintenance", form)
	if p.status != 303 || p.header.Get("Location") != "/settings/maintenance?saved=added" {
		t.Fatalf("create: got %d %q %s", p.status, p.header.Get("Location"), p.testid("window-error").Text())
	}
	p = r.do("GET", "/settings/maintenance?saved=added", nil)
	row := p.testid("window-row")
	if row.Length() != 1 || row.AttrOr("data-window-active", "") != "false" || !strings.Contains(row.Text(), "jobs etl, etl-*") ||
		!strings.Contains(row.Text(), "on Wed, Sat at 10:30 (UTC) for 1 h") || p.testid("maintenance-notice").Text() != "Maintenance window added." {
		t.Fatalf("listed: %d rows, active %q, %q", row.Length(), row.AttrOr("data-window-active", ""), row.Text())
	}
	action := row.Find("form").AttrOr("action", "")
	if p = post(action, url.Values{}); p.status != 303 || p.header.Get("Location") != "/settings/maintenance?saved=deleted" {
		t.Fatalf("delete: got %d %q", p.status, p.header.Get("Location"))
	}
	if p = r.do("GET", "/settings/maintenance", nil); p.testid("window-row").Length() != 0 {
		t.Fatalf("after delete: %d rows", p.testid("window-row").Length())
	}

	p = post("/settings/alert-policy", url.Values{"failureThreshold": {"2"}, "slowFactor": {"0.5"}})
	if p.status != 400 || !strings.HasPrefix(p.testid("policy-error").Text(), "slowFactor: ") ||
		p.testid("policy-form").Find(`input[name="failureThreshold"]`).AttrOr("value", "") != "2" {
		t.Fatalf("bad slow factor: got %d %q", p.status, p.testid("policy-error").Text())
	}
	if p = post("/settings/alert-policy", url.Values{"failureThreshold": {"2"}, "slowFactor": {"1.5"}}); p.status != 303 {
		t.Fatalf("policy: got %d %s", p.status, p.testid("policy-error").Text())
	}
	if got := r.api("GET", "/v1/settings/alert-policy", "").body; got != `{"failureThreshold":2,"recoveryThreshold":0,"realertMinutes":0,"maxDurationSeconds":0,"slowFactor":1.5}` {
		t.Fatalf("stored policy: %s", got)
	}
}

// TestDurationBaselineInTheJobDetail: GET /v1/status/jobs/:jobName has the job's duration
// baseline, from its succeeded runs only.
func TestDurationBaselineInTheJobDetail(t *testing.T) {
	r := newPolicyRig(t)
	r.signIn()
	c := r.adminSession()
	var evs []string
	for i, ms := range []int{1000, 3000, 2000, 5000, 4000} {
		at := fmt.Sprintf("2026-03-04T09:0%d:00Z", i)
		evs = append(evs, event("job.completed", "etl", at, fmt.Sprintf(`,"runId":"etl:%d","success":true,"durationMs":%d`, i, ms)))
	}
	evs = append(evs, event("job.failed", "etl", "2026-03-04T09:06:00Z", `,"runId":"etl:9","success":false,"durationMs":90000`))
	r.ingestKeyed(evs...)
	var detail struct {
		Durations struct {
			Samples                 int
			RecentMs                []int64
			P50Ms, P95Ms, MaxMs     int64
			SuggestedTimeoutSeconds int64
		}
	}
	decode(t, "job detail", c.call("GET", "/v1/status/jobs/etl", ""), 200, &detail)
	d := detail.Durations
	if d.Samples != 5 || fmt.Sprint(d.RecentMs) != "[1000 3000 2000 5000 4000]" || d.P50Ms != 3000 || d.P95Ms != 5000 ||
		d.MaxMs != 5000 || d.SuggestedTimeoutSeconds != 60 {
		t.Fatalf("durations: %+v", d)
	}
}

// TestSlowRunFlaggedOnTheJobsPage: a run three times slower than the job's median opens SLOW,
// and the jobs table says so beside the job's health.
func TestSlowRunFlaggedOnTheJobsPage(t *testing.T) {
	r := newPolicyRig(t)
	r.signIn()
	meta := `"metadata":{"check_enabled":true,"slow_factor":2}`
	var evs []string
	for i, ms := range []int{60000, 61000, 59000, 60000, 62000, 180000} {
		at := fmt.Sprintf("2026-03-04T0%d:00:00Z", i+1)
		evs = append(evs, event("job.completed", "etl", at, fmt.Sprintf(`,"runId":"etl:%d","success":true,"durationMs":%d,%s`, i, ms, meta)))
	}
	for _, e := range evs { // one request each, as Chief's runs come
		r.ingestKeyed(e)
	}
	row := r.do("GET", "/jobs", nil).testid("job-row")
	if got := row.Find(`[data-testid="job-slow"]`).Text(); got != "ran slow: took 3m0s, 3.0× its usual 1m0s" {
		t.Fatalf("jobs table: got %q", got)
	}
}
