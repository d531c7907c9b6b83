package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
)

// TestDurationBaselineReadsItsIndex: a job's duration baseline is its newest succeeded runs
// with a duration, read through the partial index that holds only those, so a job with many
// runs of other kinds (or without durations) costs no scan; on SQLite and PostgreSQL.
func TestDurationBaselineReadsItsIndex(t *testing.T) {
	ctx := context.Background()
	st := testutil.NewStore(t)
	var runs []*models.Run
	for i := range 30 {
		r := &models.Run{RunID: fmt.Sprintf("etl:%d", i), JobName: "etl", Status: models.RunSucceeded, ScriptsJSON: "[]",
			SortMs: int64(i), UpdatedAt: "2026-03-04T10:00:00.000Z"}
		switch {
		case i%3 == 0:
			r.Status = models.RunFailed
			r.DurationMs = ptr(int64(999_000))
		case i%3 == 1:
			r.DurationMs = ptr(int64(1000 + i))
		}
		runs = append(runs, r)
	}
	if err := st.Write(ctx, func(tx *store.Tx) error { return tx.SaveRuns(runs) }); err != nil {
		t.Fatal(err)
	}
	var sql string
	var vars []any
	capture := func(db *gorm.DB) {
		if strings.Contains(db.Statement.SQL.String(), "FROM `runs`") || strings.Contains(db.Statement.SQL.String(), `FROM "runs"`) {
			sql, vars = db.Statement.SQL.String(), append([]any(nil), db.Statement.Vars...)
		}
	}
	if err := st.DB().Callback().Query().After("gorm:query").Register("test:durations", capture); err != nil {
		t.Fatal(err)
	}
	got, err := st.RecentDurations(ctx, "etl", 5)
	_ = st.DB().Callback().Query().Remove("test:durations")
	if err != nil || fmt.Sprint(got) != "[1028 1025 1022 1019 1016]" {
		t.Fatalf("durations: %v %v", got, err)
	}
	if plan := queryPlan(t, st, sql, vars); !strings.Contains(plan, "idx_runs_job_durations") {
		t.Errorf("%s\nplan: %s", sql, plan)
	}
}

func ptr[T any](v T) *T { return &v }

// queryPlan is how the database would run sql: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's
// EXPLAIN with sequential scans off (a small table is cheaper to scan; this asks whether the
// index can be used at all).
func queryPlan(t *testing.T, st *store.Store, sql string, vars []any) string {
	t.Helper()
	var plan []string
	if st.Dialect() == store.SQLite {
		var rows []struct {
			Detail string `gorm:"column:detail"`
		}
		if err := st.DB().Raw("EXPLAIN QUERY PLAN "+sql, vars...).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			plan = append(plan, r.Detail)
		}
		return strings.Join(plan, "; ")
	}
	err := st.DB().Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
			return err
		}
		return tx.Raw("EXPLAIN "+sql, vars...).Scan(&plan).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
