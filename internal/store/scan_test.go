package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
)

func ip(v int64) *int64 { return &v }
func bp(v bool) *bool   { return &v }

// The hand-written row readers of the event and check lists must read exactly what gorm's
// mapping reads: every column, NULL as nil, and no pointer shared between rows.
func TestListReadersMatchGorm(t *testing.T) {
	st := testutil.NewStore(t)
	ctx := context.Background()
	base := testutil.Time(t, "2026-03-04T10:00:00Z")
	full := mkEvent("script.failed", "ERROR", "etl", base, 1500)
	full.ScriptPath, full.RunID, full.ScheduledFor = sp("workers/load.py"), sp("etl:7"), sp("2026-03-04T09:59:00Z")
	full.Success, full.ReturnCode, full.EventID = bp(false), ip(-9), sp("ev-1")
	full.MetadataJSON = `{"rows":3,"nested":{"a":[1,2]}}`
	done := mkEvent("job.completed", "INFO", "etl", base.Add(time.Second), 20)
	done.Success, done.ReturnCode = bp(true), ip(0)
	bare := mkEvent("chief.heartbeat", "DEBUG", "", base.Add(2*time.Second), 0)
	insertEvents(t, st, full, done, bare, mkEvent("worker.message", "INFO", "other", base.Add(3*time.Second), 0))
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertCheck(&models.CheckState{JobName: "etl", Enabled: true, AlertOnFailure: false, AlertOnMiss: true,
			GraceSeconds: 90, Status: models.StatusLate, LastHeartbeatAt: sp("2026-03-04T10:00:00Z"),
			ExpectedNextAt: sp("2026-03-04T11:00:00Z"), ExpectedNextMs: ip(1772622000000), LastSuccessMs: ip(1772618400000),
			ConsecutiveFailures: 2, UpdatedAt: "2026-03-04T10:00:01Z", LatestEventID: ip(2), LatestEventMs: ip(1772618401000)}); err != nil {
			return err
		}
		return tx.InsertCheck(&models.CheckState{JobName: "other", Status: models.StatusUp, UpdatedAt: "2026-03-04T10:00:03Z"})
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := st.Events(ctx, store.EventFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	readsAsGorm(t, st, "Events", got, "event_at_ms DESC, id DESC", 4)
	if got[2].JobName == got[3].JobName || got[2].Success == got[3].Success || got[2].ReturnCode == got[3].ReturnCode {
		t.Fatal("two rows share a pointer")
	}

	checks, err := st.Checks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantChecks := readsAsGorm(t, st, "Checks", checks, "job_name", 2)

	// The jobs list: each check as Checks reads it, with the summary of its latest event.
	withLatest, err := st.ChecksWithLatest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(withLatest) != 2 || withLatest[1].Latest != nil {
		t.Fatalf("ChecksWithLatest = %+v, want 2 checks, the second without a latest event", withLatest)
	}
	for i, c := range withLatest {
		if !reflect.DeepEqual(c.Check, wantChecks[i]) {
			t.Errorf("ChecksWithLatest check %d = %+v, want %+v", i, c.Check, wantChecks[i])
		}
	}
	var latest models.TelemetryEvent
	if err := st.DB().First(&latest, 2).Error; err != nil {
		t.Fatal(err)
	}
	summary := models.TelemetryEvent{ID: latest.ID, EventAt: latest.EventAt, EventType: latest.EventType, Level: latest.Level,
		Message: latest.Message, Success: latest.Success, JobName: latest.JobName}
	if got := withLatest[0].Latest; got == nil || !reflect.DeepEqual(*got, summary) {
		t.Errorf("ChecksWithLatest latest event = %+v, want %+v", got, summary)
	}
}

// readsAsGorm fails the test unless got, read by the function named what, is the n rows gorm's
// own mapping reads in order; it returns gorm's rows.
func readsAsGorm[T any](t *testing.T, st *store.Store, what string, got []T, order string, n int) []T {
	t.Helper()
	var want []T
	if err := st.DB().Order(order).Find(&want).Error; err != nil {
		t.Fatal(err)
	}
	if len(want) != n || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s read\n%+v\ngorm reads\n%+v", what, got, want)
	}
	return want
}

// Every page of every filter combination reads the rows a plain ordered, offset query reads:
// the first page and later pages take different statements (Store.Events), and events that
// share an event time are ordered by id.
func TestEventPagesMatchOrderedQuery(t *testing.T) {
	st := testutil.NewStore(t)
	ctx := context.Background()
	base := testutil.Time(t, "2026-03-04T10:00:00Z")
	var evs []models.TelemetryEvent
	for i := range 45 {
		at := base.Add(time.Duration(i/3) * time.Second) // three events per instant
		e := mkEvent([]string{"worker.message", "job.completed", "script.failed"}[i%3],
			[]string{"INFO", "WARN", "ERROR", "DEBUG"}[i%4], []string{"etl", "sync", ""}[i%3], at, 0)
		e.ScriptPath = sp([]string{"a.py", "b.py"}[i%2])
		e.SourceType = []string{"chief", "worker"}[i%2]
		evs = append(evs, e)
	}
	insertEvents(t, st, evs...)
	from, to := base.Add(3*time.Second).Format(time.RFC3339), base.Add(11*time.Second).Format(time.RFC3339)
	for _, f := range []store.EventFilter{{}, {JobName: "etl"}, {Level: "WARN"}, {EventType: "script.failed"},
		{SourceType: "worker"}, {ScriptPath: "a.py", JobName: "sync"}, {From: from, To: to}, {From: from, Level: "INFO"},
		{To: "not a time"}, {JobName: "none"}} {
		for _, page := range [][2]int{{10, 0}, {7, 3}, {10, 10}, {4, 40}, {100, 0}, {5, 100}} {
			f.Limit, f.Offset = page[0], page[1]
			got, err := st.Events(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			q := whereEqual(st.DB().Order("event_at_ms DESC, id DESC").Limit(f.Limit).Offset(f.Offset),
				map[string]string{"job_name": f.JobName, "level": f.Level, "event_type": f.EventType,
					"source_type": f.SourceType, "script_path": f.ScriptPath})
			if f.From != "" {
				q = q.Where("event_at_ms >= ?", testutil.Time(t, f.From).UnixMilli())
			}
			if f.To == "not a time" {
				q = q.Where("event_at <= ?", f.To)
			} else if f.To != "" {
				q = q.Where("event_at_ms <= ?", testutil.Time(t, f.To).UnixMilli())
			}
			sameAsQuery(t, f, got, q)
		}
	}
}

// The alert list reads what gorm's mapping reads, for every filter and page, the unlimited list
// included.
func TestAlertPagesMatchGorm(t *testing.T) {
	st := testutil.NewStore(t)
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		for i := range 12 {
			a := models.Alert{JobName: []string{"etl", "sync", "load"}[i%3], AlertType: []models.AlertType{models.AlertFailure, models.AlertMissed}[i%2],
				Severity: []models.Severity{models.SeverityError, models.SeverityWarn}[i/6], Title: "t", DetailsJSON: `{"n":1}`,
				OpenedAt: fmt.Sprintf("2026-03-04T10:00:%02d.000Z", i/2), DedupeKey: fmt.Sprint("k", i)}
			if _, err := tx.OpenAlert(&a); err != nil {
				return err
			}
			if i%4 == 0 { // closed, with a reason
				if _, err := tx.CloseOpenAlerts(a.JobName, a.AlertType, "2026-03-04T11:00:00.000Z", "test"); err != nil {
					return err
				}
			}
			if i%5 == 0 { // seen again
				if _, err := tx.OpenAlert(&a); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []store.AlertFilter{{}, {Status: models.AlertOpen}, {JobName: "etl"}, {AlertType: string(models.AlertMissed)},
		{Severity: string(models.SeverityWarn), Status: models.AlertClosed}, {JobName: "none"}} {
		for _, page := range [][2]int{{-1, 0}, {5, 0}, {5, 5}, {3, 10}, {25, 0}} {
			f.Limit, f.Offset = page[0], page[1]
			got, err := st.Alerts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			sameAsQuery(t, f, got, whereEqual(st.DB().Order("opened_at DESC, id DESC").Limit(f.Limit).Offset(f.Offset),
				map[string]string{"job_name": f.JobName, "status": f.Status, "alert_type": f.AlertType, "severity": f.Severity}))
		}
	}
	all, err := st.Alerts(ctx, store.AlertFilter{Limit: -1})
	if err != nil || len(all) != 13 { // the first alert was opened again after it closed
		t.Fatalf("all alerts: %d, %v", len(all), err)
	}
	seen := map[*string]bool{}
	for _, a := range all {
		if a.ClosedAt != nil && seen[a.ClosedAt] {
			t.Fatal("two alerts share a closedAt pointer")
		} else if a.ClosedAt != nil {
			seen[a.ClosedAt] = true
		}
	}
	if len(seen) < 2 {
		t.Fatalf("%d closed alerts, want several", len(seen))
	}
}

// whereEqual adds column = value to q for each non-empty value of eq.
func whereEqual(q *gorm.DB, eq map[string]string) *gorm.DB {
	for col, v := range eq {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	return q
}

// sameAsQuery fails the test unless got holds, in order, the rows gorm's own mapping reads for q;
// what names the case in the failure.
func sameAsQuery[T any](t *testing.T, what any, got []T, q *gorm.DB) {
	t.Helper()
	var want []T
	if err := q.Find(&want).Error; err != nil {
		t.Fatal(err)
	}
	if (len(got) > 0 || len(want) > 0) && !reflect.DeepEqual(got, want) {
		t.Errorf("%+v: read %d rows, want %d:\n%+v\nwant\n%+v", what, len(got), len(want), got, want)
	}
}
