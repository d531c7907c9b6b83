package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// TestInstancesStartTogetherOnEmptyPostgres: several instances opening one empty PostgreSQL
// database at once all start; the migration ledger is created under the same lock as the
// migrations, so none fails on a duplicate key.
func TestInstancesStartTogetherOnEmptyPostgres(t *testing.T) {
	base := os.Getenv("MONITOR_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("needs PostgreSQL: set MONITOR_TEST_POSTGRES_URL (CI does)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for round := range 6 {
		schema := fmt.Sprintf("t_together_%d_%d", os.Getpid(), round)
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() {
				st, err := Open(context.Background(), Options{URL: base + sep + "search_path=" + schema})
				if err == nil {
					err = st.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: instance %d did not start: %v", round, i, err)
			}
		}
	}
}
