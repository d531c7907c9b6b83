package sqlitedrv_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/internal/sqlitedrv"
)

// crashCopy copies the database and its WAL as they are on disk right now (what a process
// killed at this moment would leave; the shared-memory index is not copied, so SQLite rebuilds
// it from the log and checks every frame's checksum) and opens the copy with the stock driver.
func crashCopy(t *testing.T, path string) *sql.DB {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatalf("read %s: %v", path+suffix, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "copy.sqlite"+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "copy.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity of the copy: %q %v", ok, err)
	}
	return db
}

func count(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// openLog opens path on sqlitedrv with pragmas and creates the table e with an index, the
// shape of the events table in small.
func openLog(t *testing.T, path string, pragmas ...string) *sql.DB {
	t.Helper()
	db := sqlitedrv.Open(path, append([]string{"journal_mode=WAL", "synchronous=NORMAL", "wal_autocheckpoint=0"}, pragmas...)...)
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	for _, q := range []string{`CREATE TABLE e (id INTEGER PRIMARY KEY, job TEXT, msg TEXT)`, `CREATE INDEX e_job ON e(job, id)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// The gathered WAL writes of a transaction are in the file when its COMMIT returns: a copy taken
// then, with the writer still open, recovers every committed row, commit after commit.
func TestCommittedFramesAreOnDiskWhenCommitReturns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.sqlite")
	db := openLog(t, path)
	if _, err := db.Exec(`CREATE TABLE one (id INTEGER PRIMARY KEY, n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO one (id, n) VALUES (1, 0)`); err != nil {
		t.Fatal(err)
	}
	reader := sqlitedrv.Open(path, "busy_timeout=2000")
	defer reader.Close()
	// A transaction that changes a single page writes a single frame, the commit frame.
	for n := 1; n <= 3; n++ {
		if _, err := db.Exec(`UPDATE one SET n = ? WHERE id = 1`, n); err != nil {
			t.Fatal(err)
		}
		if got := count(t, reader, `SELECT n FROM one`); got != n {
			t.Fatalf("another connection reads n=%d after the one-frame commit of n=%d", got, n)
		}
		if got := count(t, crashCopy(t, path), `SELECT n FROM one`); got != n {
			t.Fatalf("a copy taken after the one-frame commit of n=%d reads n=%d", n, got)
		}
	}
	want := 0
	for round, rows := range []int{1, 7, 120} {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < rows; i++ {
			if _, err := tx.Exec(`INSERT INTO e (job, msg) VALUES (?, ?)`, fmt.Sprintf("job-%d", i%13), strings.Repeat("m", 200)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		want += rows
		if got := count(t, crashCopy(t, path), `SELECT count(*) FROM e`); got != want {
			t.Fatalf("round %d: a copy taken after COMMIT holds %d rows, want %d", round, got, want)
		}
	}
}

// A transaction bigger than the page cache writes frames before its commit, writes some pages
// again in place, and then rewrites the checksums of every frame from the first rewritten one,
// the commit frame's header last. That last header has no page after it; it must still be on
// disk when COMMIT returns, or recovery stops at the broken checksum and loses the transaction.
func TestRewrittenCommitFrameIsOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sqlite")
	db := openLog(t, path, "cache_size=20")
	for round := 1; round <= 3; round++ {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3000; i++ {
			if _, err := tx.Exec(`INSERT INTO e (job, msg) VALUES (?, ?)`, fmt.Sprintf("job-%d", i%97), strings.Repeat("x", 300)); err != nil {
				t.Fatal(err)
			}
		}
		// Touch early pages again after the cache spilled them to the log.
		if _, err := tx.Exec(`UPDATE e SET msg = 'again' WHERE id % 50 = 0`); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		c := crashCopy(t, path)
		if got := count(t, c, `SELECT count(*) FROM e`); got != 3000*round {
			t.Fatalf("round %d: the copy holds %d rows, want %d", round, got, 3000*round)
		}
		if got := count(t, c, `SELECT count(*) FROM e WHERE msg = 'again'`); got != 60*round {
			t.Fatalf("round %d: the copy holds %d updated rows, want %d", round, got, 60*round)
		}
	}
}

// Background checkpoints keep the log bounded under a steady stream of small commits, leave
// nothing behind, and the database file alone holds every row once all connections close.
func TestCheckpointerKeepsTheLogBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sqlite")
	db, cp := sqlitedrv.OpenWriter(path, "journal_mode=WAL", "synchronous=NORMAL")
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE e (id INTEGER PRIMARY KEY, job TEXT, run TEXT, msg TEXT)`); err != nil {
		t.Fatal(err)
	}
	for _, ix := range []string{`CREATE INDEX e_job ON e(job, id)`, `CREATE INDEX e_run ON e(run)`} {
		if _, err := db.Exec(ix); err != nil {
			t.Fatal(err)
		}
	}
	if err := cp.Start(); err != nil {
		t.Fatal(err)
	}
	reader := sqlitedrv.Open(path, "busy_timeout=2000")
	const commits = 3000
	maxWAL := int64(0)
	for i := 0; i < commits; i++ {
		if _, err := db.Exec(`INSERT INTO e (job, run, msg) VALUES (?, ?, ?)`, fmt.Sprintf("job-%d", i%50),
			fmt.Sprintf("run-%d", (i*7919)%1000), strings.Repeat("m", 400)); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if st, err := os.Stat(path + "-wal"); err == nil {
				maxWAL = max(maxWAL, st.Size())
			}
			// A reader sees every commit at once.
			if got := count(t, reader, `SELECT count(*) FROM e`); got != i+1 {
				t.Fatalf("reader saw %d rows after %d commits", got, i+1)
			}
		}
	}
	passes, finals := cp.Stats()
	if passes == 0 || finals == 0 {
		t.Errorf("background passes %d, final checkpoints %d: both should have run", passes, finals)
	}
	// The writer restarts the log after each complete checkpoint: without that it would hold
	// every one of the ~25,000 frames written here (about 100 MB).
	if maxWAL > 16<<20 {
		t.Errorf("the log grew to %d bytes", maxWAL)
	}
	_ = reader.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	cp.Close()
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("the log is still there after every connection closed: %v", err)
	}
	check, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	if got := count(t, check, `SELECT count(*) FROM e`); got != commits {
		t.Errorf("the database holds %d rows, want %d", got, commits)
	}
	t.Logf("log peak %d bytes, %d background passes, %d final checkpoints", maxWAL, passes, finals)
}
