package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/glebarez/sqlite"
)

// TestOpenUpgradesReferenceDatabase builds a database in the original service's schema (no
// migration ledger) and opens it: every row survives, the new columns are backfilled, and the
// duplicate OPEN alerts the reference could create are closed, keeping the newest.
func TestOpenUpgradesReferenceDatabase(t *testing.T) {
	path := referenceDB(t)

	ctx := context.Background()
	st, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatalf("open reference database: %v", err)
	}
	defer st.Close()

	count := func(q string) int64 {
		var n int64
		if err := st.DB().Raw(q).Scan(&n).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	for q, want := range map[string]int64{
		`SELECT COUNT(*) FROM telemetry_events`:                                    4,
		`SELECT COUNT(*) FROM check_states`:                                        1,
		`SELECT COUNT(*) FROM alerts`:                                              3,
		`SELECT COUNT(*) FROM alert_deliveries`:                                    1,
		`SELECT COUNT(*) FROM "user"`:                                              1,
		`SELECT COUNT(*) FROM telemetry_events WHERE event_at_ms IS NULL`:          0,
		`SELECT COUNT(*) FROM alerts WHERE status = 'OPEN'`:                        1,
		`SELECT id FROM alerts WHERE status = 'OPEN'`:                              2,
		`SELECT COUNT(*) FROM schema_migrations`:                                   int64(len(mustMigrations(t))),
		`SELECT event_at_ms FROM telemetry_events WHERE id = 1`:                    1772615701902,
		`SELECT event_at_ms FROM telemetry_events WHERE message = 'odd timestamp'`: 1772616000000,
		`SELECT expected_next_ms FROM check_states`:                                1772619270000,
		`SELECT latest_event_id FROM check_states`:                                 4,
	} {
		if got := count(q); got != want {
			t.Errorf("%s: got %d, want %d", q, got, want)
		}
	}
	if n, err := st.EventsTotal(ctx); err != nil || n != 4 {
		t.Errorf("cached event count: got %d %v, want 4", n, err)
	}
	p, err := st.Presence(ctx)
	if err != nil || p == nil || p.EventAt != "2026-03-04T09:19:58.441907+00:00" || p.PingIntervalSeconds == nil || *p.PingIntervalSeconds != 15 {
		t.Errorf("presence backfill: %+v %v", p, err)
	}
	v, err := st.ConfigValue(ctx, KeyEmailSettings)
	if err != nil || v != `{"recipients":["ops@example.org"],"enabledAlertTypes":["FAILURE"]}` {
		t.Errorf("settings row: %q %v", v, err)
	}
	st.Close()
	// A second start applies nothing twice.
	st2, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	st2.Close()
}

// referenceDB writes a database in the original service's schema, with rows, from
// testdata/reference.sql, and returns its path.
func referenceDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "reference.sqlite")
	ddl, err := os.ReadFile("testdata/reference.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open(sqlite.DriverName, path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, stmt := range splitSQL(string(ddl)) {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("reference schema: %v\n%s", err, stmt)
		}
	}
	return path
}

func mustMigrations(t *testing.T) []Migration {
	t.Helper()
	m, err := Migrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
