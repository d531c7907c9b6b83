package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/models"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to make a schema
)

// TestCopyToPostgres copies a database in the original service's schema into PostgreSQL, twice
// (the second run copies nothing: the copy is resumable), and checks counts, values and that
// new ids continue after the copied ones.
func TestCopyToPostgres(t *testing.T) {
	base := os.Getenv("MONITOR_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("needs PostgreSQL: set MONITOR_TEST_POSTGRES_URL (CI does) to test monitor migrate --from-sqlite")
	}
	ctx := context.Background()
	src, err := Open(ctx, Options{Path: referenceDB(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "t_copy_" + strings.ReplaceAll(filepath.Base(t.TempDir()), "-", "")
	schema = strings.ToLower(schema[:min(len(schema), 40)])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	dst, err := Open(ctx, Options{URL: base + sep + "search_path=" + schema})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	// rows of the tables newer than the reference database
	at := "2026-03-05T00:00:00.000Z"
	if err := src.Write(ctx, func(tx *Tx) error {
		if err := tx.PutPause(&models.JobPause{JobName: "invoice-sync", PausedAt: at, PausedBy: "admin", Reason: "upgrade"}); err != nil {
			return err
		}
		if err := tx.InsertWindow(&models.MaintenanceWindow{Name: "db", JobsJSON: "[]", TagsJSON: `["db"]`, Cron: "0 1 * * 0",
			DurationMinutes: 60, Timezone: "UTC", CreatedAt: at, CreatedBy: "admin"}); err != nil {
			return err
		}
		return tx.SaveRuns([]*models.Run{{RunID: "invoice-sync:1", JobName: "invoice-sync", Status: models.RunSucceeded,
			ScriptsJSON: "[]", SortMs: 1, UpdatedAt: at}})
	}); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		counts, err := src.CopyTo(ctx, dst, 2, nil)
		if err != nil {
			t.Fatalf("copy run %d: %v", run, err)
		}
		for _, c := range counts {
			if (c.Table == "job_pauses" || c.Table == "maintenance_windows" || c.Table == "runs") && c.Source != 1 {
				t.Fatalf("%s: %d rows in the source", c.Table, c.Source)
			}
			if c.Source != c.Target {
				t.Fatalf("run %d: %s has %d rows, copied %d", run, c.Table, c.Source, c.Target)
			}
		}
	}
	var enabled bool
	var meta string
	if err := dst.WriteDB().QueryRow(`SELECT enabled FROM check_states WHERE job_name = 'invoice-sync'`).Scan(&enabled); err != nil || !enabled {
		t.Fatalf("boolean column: %v %v", enabled, err)
	}
	if err := dst.WriteDB().QueryRow(`SELECT metadata_json FROM telemetry_events WHERE id = 3`).Scan(&meta); err != nil ||
		meta != `{"ping_interval_seconds":15,"mode":"daemon","pid":4412}` {
		t.Fatalf("metadata: %q %v", meta, err)
	}
	var created string
	if err := dst.WriteDB().QueryRow(`SELECT "createdAt" FROM "user"`).Scan(&created); err != nil || created != "2026-03-01T08:00:00.000Z" {
		t.Fatalf("user createdAt: %q %v", created, err)
	}
	if n, err := dst.EventsTotal(ctx); err != nil || n != 4 {
		t.Fatalf("event count: %d %v", n, err)
	}
	var id int64
	if err := dst.WriteDB().QueryRow(`INSERT INTO telemetry_events (received_at, event_at, source_type, event_type, level, message, event_at_ms)
		VALUES ('x', 'x', 'chief', 'x', 'INFO', 'm', 0) RETURNING id`).Scan(&id); err != nil || id != 5 {
		t.Fatalf("next id after the copy: %d %v", id, err)
	}
}
