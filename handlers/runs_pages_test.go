package handlers

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestFailingRunIsTheAnswer: a run whose script failed is shown as the answer on every page a
// person looks at: the jobs list (FAILING with the error line), the job page (its runs, with
// the failing script and the first error line) and the run page (script timeline, output).
func TestFailingRunIsTheAnswer(t *testing.T) {
	r := newDash(t, nil)
	run := `,"runId":"etl:7"`
	script := `,"scriptPath":"workers/load.py"`
	r.ingest(
		event("job.started", "etl", "2026-03-04T09:00:00Z", run+`,"metadata":{"trigger":"schedule","runner_id":"r1"}`),
		event("script.started", "etl", "2026-03-04T09:00:01Z", run+script),
		`{"sourceType":"worker","eventType":"worker.message","level":"WARN","message":"rows missing","jobName":"etl","eventAt":"2026-03-04T09:00:02Z"`+run+`}`,
		event("script.completed", "etl", "2026-03-04T09:00:03Z", run+script+`,"success":false,"returnCode":2,"durationMs":2000,`+
			`"metadata":{"stderr_tail":"Traceback (most recent call last):\n  File \"load.py\"\nKeyError: 'id' <script>\n","stdout_preview":"loading"}`),
		event("job.failed", "etl", "2026-03-04T09:00:03Z", run+`,"success":false,"durationMs":3000`),
		`{"sourceType":"chief","eventType":"chief.heartbeat","level":"INFO","message":"hb","eventAt":"2026-03-04T10:00:00Z",`+
			`"metadata":{"runner_id":"r1","host":"batch-01","mode":"daemon","pid":7,"ping_interval_seconds":15}}`)
	r.signIn()

	p := r.do("GET", "/jobs", nil)
	row := p.doc.Find(`[data-testid="job-row"][data-job="etl"]`)
	if row.Find(`[data-testid="health"]`).Text() != "FAILING" ||
		row.Find(`[data-testid="job-error"]`).Text() != "KeyError: 'id' <script>" {
		t.Fatalf("jobs row: %s", p.body)
	}
	if got := p.doc.Find(`[data-testid="runners-table"] [data-testid="runner-row"] [data-testid="runner-status"]`).Text(); got != "ONLINE" ||
		!strings.Contains(p.testid("runners-table").Text(), "batch-01") {
		t.Fatalf("runners: %q %s", got, p.body)
	}
	p = r.do("GET", "/jobs/etl", nil)
	runRow := p.doc.Find(`[data-testid="job-runs"] [data-testid="run-row"][data-run="etl:7"]`)
	if runRow.Find(`[data-testid="run-status"]`).Text() != "failed" || !strings.Contains(runRow.Text(), "workers/load.py") ||
		runRow.Find(`[data-testid="run-error"]`).Text() != "KeyError: 'id' <script>" {
		t.Fatalf("job runs: %s", p.body)
	}
	if href, _ := runRow.Find("a").Attr("href"); href != "/runs/etl:7" {
		t.Fatalf("run link %q", href)
	}
	p = r.do("GET", "/runs/etl:7", nil)
	if p.status != fiber.StatusOK || p.testid("script-timeline").Find("rect.is-down").Length() != 1 ||
		!strings.Contains(p.testid("run-stderr").Text(), "KeyError: 'id' <script>") ||
		p.testid("run-messages").Find(`[data-testid="event-row"]`).Length() != 1 ||
		p.testid("run-events").Find(`[data-testid="event-row"]`).Length() != 5 {
		t.Fatalf("run page: %s", p.body)
	}
	if strings.Contains(p.body, "<script>\n") || !strings.Contains(p.body, "&lt;script&gt;") {
		t.Fatalf("output text is not escaped: %s", p.body)
	}
	if p = r.do("GET", "/runs/nope", nil); p.status != fiber.StatusNotFound {
		t.Fatalf("unknown run: %d", p.status)
	}
}

// TestRunsAPIRefusesWhatItCannotFilter: /v1/runs names a repeated filter or a bound that is not
// a time in a 400, instead of answering with unfiltered runs.
func TestRunsAPIRefusesWhatItCannotFilter(t *testing.T) {
	r := newDash(t, nil)
	r.signIn()
	for q, field := range map[string]string{"from=yesterday": "from", "to=2026-13-99": "to", "jobName=a&jobName=b": "jobName"} {
		p := r.do("GET", "/v1/runs?"+q, nil)
		if p.status != fiber.StatusBadRequest || !strings.Contains(p.body, `"fieldErrors":{"`+field+`"`) {
			t.Errorf("%s: got %d %s", q, p.status, p.body)
		}
	}
	if p := r.do("GET", "/v1/runs?from=2026-03-04T00:00:00Z&limit=5", nil); p.status != fiber.StatusOK ||
		!strings.Contains(p.body, `"limit":5`) {
		t.Errorf("a valid query: %d %s", p.status, p.body)
	}
	if p := r.do("GET", "/v1/runs/nope", nil); p.status != fiber.StatusNotFound || !strings.Contains(p.body, `"runId":"nope"`) {
		t.Errorf("unknown run: %d %s", p.status, p.body)
	}
}
