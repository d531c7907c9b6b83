package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
)

// Jobs are listed by job name in byte order, also on a PostgreSQL
// database whose collation is a language one: there the test gives the column an ICU
// collation, under which "a job" would sort before "B_job".
func TestChecksAreInByteOrder(t *testing.T) {
	st := testutil.NewStore(t)
	ctx := context.Background()
	if st.Dialect() == store.Postgres {
		var n int
		if err := st.DB().Raw(`SELECT count(*) FROM pg_collation WHERE collname = 'und-x-icu'`).Scan(&n).Error; err != nil || n == 0 {
			t.Skip("PostgreSQL without ICU collations")
		}
		if err := st.DB().Exec(`ALTER TABLE check_states ALTER COLUMN job_name TYPE TEXT COLLATE "und-x-icu"`).Error; err != nil {
			t.Fatal(err)
		}
	}
	names := []string{"b-job", "a job", "Zed", "_x", "B_job"}
	err := st.Write(ctx, func(tx *store.Tx) error {
		for _, n := range names {
			c := models.CheckState{JobName: n, Enabled: true, AlertOnFailure: true, AlertOnMiss: true,
				GraceSeconds: 120, Status: models.StatusUp, UpdatedAt: "2026-03-04T10:00:00.000Z"}
			if err := tx.InsertCheck(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = "B_job,Zed,_x,a job,b-job"
	withLatest, err := st.ChecksWithLatest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range withLatest {
		got = append(got, c.Check.JobName)
	}
	if strings.Join(got, ",") != want {
		t.Errorf("checks with latest: got %s, want %s", strings.Join(got, ","), want)
	}
	checks, err := st.Checks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, c := range checks {
		got = append(got, c.JobName)
	}
	if strings.Join(got, ",") != want {
		t.Errorf("checks: got %s, want %s", strings.Join(got, ","), want)
	}
}
