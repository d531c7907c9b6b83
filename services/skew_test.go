package services

import (
	"context"
	"testing"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
)

// A run stamped in 2031 by a producer whose clock is far ahead counts at its receipt: it does
// not hold the check's times in the future, so later correctly timed runs still move the check,
// a real failure still opens FAILURE and a missed run is still found.
func TestFutureStampedEventCountsAtReceipt(t *testing.T) {
	r := newRig(t)
	const J = "J"
	r.at("2026-03-04T09:00:00Z").ingest(withSuccess(ev("job.completed", J, "2031-01-01T00:00:00Z", ""), true))
	c := r.check(J)
	if *c.LastHeartbeatAt != "2026-03-04T09:00:00.000Z" || *c.LastSuccessAt != "2026-03-04T09:00:00.000Z" {
		t.Fatalf("after the future-stamped run: heartbeat %v, success %v", *c.LastHeartbeatAt, *c.LastSuccessAt)
	}
	stored, _ := r.st.Events(context.Background(), store.EventFilter{JobName: J, Limit: 1})
	if stored[0].EventAt != "2031-01-01T00:00:00Z" {
		t.Fatalf("stored eventAt %q, want it as sent", stored[0].EventAt)
	}
	detail, err := NewStatus(r.st).Job(context.Background(), J)
	if err != nil || !detail.FutureEventAt {
		t.Fatalf("FutureEventAt = %v (%v), want true", detail.FutureEventAt, err)
	}

	// A correctly timed expectation and run still count.
	r.at("2026-03-04T09:05:00Z").ingest(ev("job.next_scheduled", J, "2026-03-04T09:05:00Z", `{"next_run_at":"2026-03-04T10:00:00Z"}`))
	if c := r.check(J); c.ExpectedNextAt == nil || *c.ExpectedNextAt != "2026-03-04T10:00:00Z" {
		t.Fatalf("expectation after the future-stamped run: %v", c.ExpectedNextAt)
	}
	r.at("2026-03-04T10:00:10Z").ingest(ev("job.started", J, "2026-03-04T10:00:05Z", ""))
	if c := r.check(J); *c.LastHeartbeatAt != "2026-03-04T10:00:05Z" {
		t.Fatalf("heartbeat %s, want the correctly timed start", *c.LastHeartbeatAt)
	}
	r.at("2026-03-04T10:01:00Z").ingest(ev("job.failed", J, "2026-03-04T10:01:00Z", ""))
	if c := r.check(J); c.ConsecutiveFailures != 1 || *c.LastFailureAt != "2026-03-04T10:01:00Z" {
		t.Fatalf("after the failure: %+v", c)
	}
	r.wantAlerts("FAILURE ERROR J:FAILURE OPEN")

	// Monitoring is not silenced: the next expected run that does not come is found.
	r.at("2026-03-04T10:02:00Z").ingest(ev("job.next_scheduled", J, "2026-03-04T10:02:00Z", `{"next_run_at":"2026-03-04T11:00:00Z"}`))
	r.at("2026-03-04T11:02:01Z").tick()
	r.wantStatus(J, models.StatusDown)
}

// The bound is measured from the receipt time the writer is given, at millisecond precision.
func TestFutureSkewBound(t *testing.T) {
	r := newRig(t)
	r.at("2026-03-04T09:00:00Z").ingest(ev("job.started", "edge", "2026-03-04T09:05:00Z", ""),
		ev("job.started", "over", "2026-03-04T09:05:00.001Z", ""))
	if c := r.check("edge"); *c.LastHeartbeatAt != "2026-03-04T09:05:00Z" {
		t.Fatalf("5 minutes ahead: heartbeat %s, want the eventAt", *c.LastHeartbeatAt)
	}
	if c := r.check("over"); *c.LastHeartbeatAt != "2026-03-04T09:00:00.000Z" {
		t.Fatalf("over 5 minutes ahead: heartbeat %s, want the receipt", *c.LastHeartbeatAt)
	}
}
