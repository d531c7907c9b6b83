package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
)

func sp(s string) *string { return &s }

func insertEvents(t *testing.T, st *store.Store, evs ...models.TelemetryEvent) {
	t.Helper()
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		counts := map[int64]map[string]int64{}
		rows := make([]*models.TelemetryEvent, len(evs))
		for i := range evs {
			rows[i] = &evs[i]
		}
		if _, err := tx.InsertNewEvents(rows); err != nil {
			return err
		}
		for i := range evs {
			h := store.HourOf(evs[i].EventAtMs)
			if counts[h] == nil {
				counts[h] = map[string]int64{}
			}
			counts[h][evs[i].Level]++
		}
		return tx.AddHourly(counts) // as the ingest writer does
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mkEvent(typ, level, job string, at time.Time, dur int64) models.TelemetryEvent {
	e := models.TelemetryEvent{ReceivedAt: "2026-03-04T12:00:00.000Z", EventAt: at.Format(time.RFC3339), SourceType: "chief",
		EventType: typ, Level: level, Message: "m", MetadataJSON: "{}", EventAtMs: at.UnixMilli()}
	if job != "" {
		e.JobName = sp(job)
	}
	if dur > 0 {
		e.DurationMs = &dur
	}
	return e
}

func TestDashboardQueries(t *testing.T) {
	st := testutil.NewStore(t)
	ctx := context.Background()
	base := testutil.Time(t, "2026-03-04T10:00:00Z")
	insertEvents(t, st,
		mkEvent("job.started", "INFO", "etl", base.Add(-25*time.Hour), 0), // before the window
		mkEvent("job.started", "INFO", "etl", base.Add(5*time.Minute), 0),
		mkEvent("job.completed", "INFO", "etl", base.Add(6*time.Minute), 1500),
		mkEvent("worker.message", "WARN", "etl", base.Add(7*time.Minute), 0),
		mkEvent("job.failed", "ERROR", "etl", base.Add(70*time.Minute), 900),
		mkEvent("job.completed", "INFO", "other", base.Add(71*time.Minute), 10),
	)

	hours, err := st.EventsPerHour(ctx, base.Add(-time.Hour).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hours {
		got = append(got, time.UnixMilli(h.HourMs).UTC().Format("15:04")+" "+h.Level+" "+string(rune('0'+h.Count)))
	}
	if want := "10:00 INFO 2,10:00 WARN 1,11:00 ERROR 1,11:00 INFO 1"; strings.Join(got, ",") != want {
		t.Errorf("events per hour: got %s, want %s", strings.Join(got, ","), want)
	}

	runs, err := st.JobRuns(ctx, "etl", 10)
	if err != nil || len(runs) != 2 || runs[0].EventType != "job.failed" || runs[1].EventType != "job.completed" {
		t.Errorf("job runs: got %+v, %v", runs, err)
	}
	beats, err := st.JobHeartbeats(ctx, "etl", base.UnixMilli(), 100)
	if err != nil || len(beats) != 4 || beats[0].EventAtMs != base.Add(-25*time.Hour).UnixMilli() || beats[3].EventType != "job.failed" {
		t.Errorf("heartbeats: want the one before the window, then 3 in order; got %d, %v", len(beats), err)
	}
}

func TestEventsPerHourUsesTheTimeIndex(t *testing.T) {
	st := testutil.NewStore(t)
	if st.Dialect() != store.SQLite {
		t.Skip("reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans this scan by its own statistics")
	}
	var plan []struct {
		Detail string `gorm:"column:detail"`
	}
	err := st.DB().Raw(`EXPLAIN QUERY PLAN SELECT (event_at_ms / 3600000) * 3600000 AS hour_ms, level, COUNT(*) AS count
		FROM telemetry_events WHERE event_at_ms >= ? GROUP BY hour_ms, level`, 0).Scan(&plan).Error
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, p := range plan {
		details = append(details, p.Detail)
	}
	if s := strings.Join(details, "; "); !strings.Contains(s, "USING INDEX idx_events_at_ms") {
		t.Errorf("plan: %s", s)
	}
}

func TestJobAlertsSince(t *testing.T) {
	st := testutil.NewStore(t)
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		for i, a := range []models.Alert{
			{JobName: "etl", AlertType: models.AlertFailure, Severity: models.SeverityError, Status: models.AlertOpen, OpenedAt: "2026-03-01T00:00:00.000Z", DedupeKey: "etl:FAILURE"},
			{JobName: "etl", AlertType: models.AlertMissed, Severity: models.SeverityWarn, Status: models.AlertClosed, OpenedAt: "2026-03-03T00:00:00.000Z", ClosedAt: sp("2026-03-04T09:00:00.000Z"), DedupeKey: "etl:MISSED"},
			{JobName: "etl", AlertType: models.AlertMissed, Severity: models.SeverityWarn, Status: models.AlertClosed, OpenedAt: "2026-02-01T00:00:00.000Z", ClosedAt: sp("2026-02-02T00:00:00.000Z"), DedupeKey: "etl:MISSED:old"},
			{JobName: "other", AlertType: models.AlertFailure, Severity: models.SeverityError, Status: models.AlertOpen, OpenedAt: "2026-03-04T00:00:00.000Z", DedupeKey: "other:FAILURE"},
		} {
			a.Title, a.DetailsJSON = "t"+string(rune('0'+i)), "{}"
			closedAt := a.ClosedAt
			if _, err := tx.OpenAlert(&a); err != nil {
				return err
			}
			if closedAt != nil {
				if _, err := tx.CloseOpenAlerts(a.JobName, a.AlertType, *closedAt, "test"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.JobAlertsSince(ctx, "etl", "2026-03-03T10:00:00.000Z", 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("alerts since: got %d (%v), want the open one and the one closed in the window", len(got), err)
	}
}

// TestJobPageQueriesUseThePartialRunsIndex captures the statements the job page's run and
// heartbeat reads really send, and asks each database for its plan: every one must read the
// partial index of migration 0007. A query whose WHERE no longer implies the index's predicate
// (a type added to the lists but not to the index) would fall back to scanning the job's rows.
func TestJobPageQueriesUseThePartialRunsIndex(t *testing.T) {
	st := testutil.NewStore(t)
	ctx := context.Background()
	base := testutil.Time(t, "2026-03-04T10:00:00Z")
	var evs []models.TelemetryEvent
	for i := range 200 {
		typ := "worker.message"
		if i%20 == 0 {
			typ = "job.completed"
		}
		evs = append(evs, mkEvent(typ, "INFO", "etl", base.Add(time.Duration(i)*time.Second), 0))
	}
	insertEvents(t, st, evs...)

	type stmt struct {
		sql  string
		vars []any
	}
	var seen []stmt
	capture := func(db *gorm.DB) {
		if strings.Contains(db.Statement.SQL.String(), "telemetry_events") {
			seen = append(seen, stmt{db.Statement.SQL.String(), append([]any(nil), db.Statement.Vars...)})
		}
	}
	if err := st.DB().Callback().Query().After("gorm:query").Register("test:capture", capture); err != nil {
		t.Fatal(err)
	}
	runs, err := st.JobRuns(ctx, "etl", 5)
	if err != nil || len(runs) != 5 {
		t.Fatalf("job runs: %d, %v", len(runs), err)
	}
	if _, err := st.JobHeartbeats(ctx, "etl", base.Add(time.Minute).UnixMilli(), 50); err != nil {
		t.Fatal(err)
	}
	_ = st.DB().Callback().Query().Remove("test:capture")
	if len(seen) < 4 {
		t.Fatalf("captured %d statements, want one per type and read", len(seen))
	}
	for _, s := range seen {
		plan := queryPlan(t, st, s.sql, s.vars)
		if !strings.Contains(plan, "idx_events_job_runs_ms") {
			t.Errorf("%s\nplan: %s", s.sql, plan)
		}
	}
}
