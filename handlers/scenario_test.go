package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/services"
)

// TestWorkedScenarioOverHTTP drives the original's worked example (grace 120 s) through the route table with a
// hand-moved clock and evaluator passes: the late start satisfies the
// expectation, so step 5 neither goes DOWN nor opens a second MISSED.
func TestWorkedScenarioOverHTTP(t *testing.T) {
	r := newAPI(t, Options{APIKey: "k"})
	eval := services.NewEvaluator(r.w, slog.New(slog.DiscardHandler), 15*time.Second, "test")
	key := []string{"x-api-key", "k"}
	at := func(ts string) { r.now = testutil.Time(t, ts) }
	tick := func(ts string) {
		t.Helper()
		at(ts)
		if _, err := eval.Tick(context.Background(), r.now); err != nil {
			t.Fatal(err)
		}
	}
	post := func(ts, typ, extra string) {
		t.Helper()
		at(ts)
		body := `{"sourceType":"chief","eventType":"` + typ + `","level":"INFO","message":"m","jobName":"J","eventAt":"` + ts +
			`","metadata":{"grace_seconds":120` + extra + `}}`
		r.want(r.do("POST", "/v1/events", body, key...), 202, `{"inserted":1,"dropped":0}`)
	}
	status := func() string {
		t.Helper()
		var out struct{ Check struct{ Status string } }
		_ = json.Unmarshal([]byte(r.do("GET", "/v1/status/jobs/J", "", key...).body), &out)
		return out.Check.Status
	}
	alerts := func() string {
		t.Helper()
		var out struct {
			Alerts []struct{ AlertType, Severity, DedupeKey, Status, Title string }
		}
		_ = json.Unmarshal([]byte(r.do("GET", "/v1/alerts", "", key...).body), &out)
		var parts []string
		for i := len(out.Alerts) - 1; i >= 0; i-- {
			a := out.Alerts[i]
			parts = append(parts, a.AlertType+" "+a.Severity+" "+a.DedupeKey+" "+a.Status)
		}
		return strings.Join(parts, "; ")
	}
	check := func(step, wantStatus, wantAlerts string) {
		t.Helper()
		if got := status(); got != wantStatus {
			t.Fatalf("step %s: status %s, want %s", step, got, wantStatus)
		}
		if got := alerts(); got != wantAlerts {
			t.Fatalf("step %s: alerts\n got  %s\n want %s", step, got, wantAlerts)
		}
	}
	post("2026-03-04T09:05:00Z", "job.next_scheduled", `,"next_run_at":"2026-03-04T10:00:00Z"`)
	check("1", "UP", "")
	tick("2026-03-04T10:01:00Z")
	check("2", "LATE", "")
	tick("2026-03-04T10:02:01Z")
	check("3", "DOWN", "MISSED WARN J:MISSED OPEN")
	post("2026-03-04T10:03:00Z", "job.started", "")
	check("4", "UP", "MISSED WARN J:MISSED CLOSED; RECOVERY INFO J:RECOVERY:MISSED OPEN")
	tick("2026-03-04T10:03:15Z")
	check("5", "UP", "MISSED WARN J:MISSED CLOSED; RECOVERY INFO J:RECOVERY:MISSED OPEN")
	post("2026-03-04T10:05:00Z", "job.failed", "")
	check("6", "UP", "MISSED WARN J:MISSED CLOSED; RECOVERY INFO J:RECOVERY:MISSED CLOSED; FAILURE ERROR J:FAILURE OPEN")
	post("2026-03-04T10:05:01Z", "job.next_scheduled", `,"next_run_at":"2026-03-04T11:00:00Z"`)
	check("7", "UP", "MISSED WARN J:MISSED CLOSED; RECOVERY INFO J:RECOVERY:MISSED CLOSED; FAILURE ERROR J:FAILURE OPEN")
	tick("2026-03-04T11:00:15Z")
	check("8a", "LATE", "MISSED WARN J:MISSED CLOSED; RECOVERY INFO J:RECOVERY:MISSED CLOSED; FAILURE ERROR J:FAILURE OPEN")
	at("2026-03-04T11:00:30Z")
	r.want(r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.completed","level":"INFO","message":"m","jobName":"J",
		"eventAt":"2026-03-04T11:00:30Z","success":true}`, key...), 202, "")
	check("8b", "UP", "MISSED WARN J:MISSED CLOSED; RECOVERY INFO J:RECOVERY:MISSED CLOSED; FAILURE ERROR J:FAILURE CLOSED; RECOVERY INFO J:RECOVERY:FAILURE OPEN")
	tick("2026-03-04T11:15:31Z")
	check("9", "UP", "MISSED WARN J:MISSED CLOSED; RECOVERY INFO J:RECOVERY:MISSED CLOSED; FAILURE ERROR J:FAILURE CLOSED; RECOVERY INFO J:RECOVERY:FAILURE CLOSED")
	// Every alert opened got the reference's webhook placeholder delivery.
	for id := 1; id <= 4; id++ {
		r.wantContains(r.do("GET", "/v1/alerts/"+string(rune('0'+id))+"/deliveries", "", key...), 200, `"channel":"webhook"`, `"status":"STUB"`)
	}
}
