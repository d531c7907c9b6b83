package handlers

import (
	"strings"
	"testing"
)

// A run stamped in the future is flagged in the job's status and on its page.
func TestFutureEventAtIsFlagged(t *testing.T) {
	r := newAPI(t, Options{})
	r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.completed","level":"INFO","message":"m","jobName":"skewed","success":true,"eventAt":"2031-01-01T00:00:00Z"}`)
	r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.completed","level":"INFO","message":"m","jobName":"fine","success":true,"eventAt":"2026-03-04T10:04:00Z"}`)
	r.wantContains(r.do("GET", "/v1/status/jobs/skewed", ""), 200, `"lastHeartbeatAt":"2026-03-04T10:00:00.000Z"`, `"eventAt":"2031-01-01T00:00:00Z"`, `,"futureEventAt":true,`)
	r.wantContains(r.do("GET", "/v1/status/jobs/fine", ""), 200, `"lastHeartbeatAt":"2026-03-04T10:04:00Z"`, `,"futureEventAt":false,`)
	r.wantContains(r.do("GET", "/jobs/skewed", ""), 200, `data-testid="clock-skew-warning"`, "more than 5 minutes after")
	if got := r.do("GET", "/jobs/fine", ""); strings.Contains(got.body, "clock-skew-warning") {
		t.Fatal("warning shown for a correctly timed job")
	}
}
