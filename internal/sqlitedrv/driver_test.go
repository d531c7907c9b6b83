package sqlitedrv_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // the driver the gorm side uses, registered as "sqlite"
	"github.com/gulag/chief-monitor/internal/sqlitedrv"
)

func open(t *testing.T, pragmas ...string) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.sqlite")
	db := sqlitedrv.Open(path, append([]string{"journal_mode=WAL", "busy_timeout=2000"}, pragmas...)...)
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, n INTEGER, f REAL, b BLOB, flag BOOLEAN, at TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE UNIQUE INDEX ux_k ON t(k) WHERE k IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	return db, path
}

func TestValuesRoundTrip(t *testing.T) {
	db, _ := open(t)
	at := time.Date(2026, 3, 1, 8, 0, 0, 500, time.UTC)
	for _, k := range []any{"plain", "", "ünïcødé ✓ with 'quotes' and \x00 nul", nil} {
		res, err := db.Exec(`INSERT INTO t (k, n, f, b, flag, at) VALUES (?, ?, ?, ?, ?, ?)`, k, int64(-42), 2.5, []byte{0, 1, 2}, true, at)
		if err != nil {
			t.Fatalf("insert %q: %v", k, err)
		}
		id, _ := res.LastInsertId()
		var (
			gotK  sql.NullString
			n     int64
			f     float64
			b     []byte
			flag  bool
			gotAt string
		)
		if err := db.QueryRow(`SELECT k, n, f, b, flag, at FROM t WHERE id = ?`, id).Scan(&gotK, &n, &f, &b, &flag, &gotAt); err != nil {
			t.Fatal(err)
		}
		if k == nil {
			if gotK.Valid {
				t.Errorf("NULL came back as %q", gotK.String)
			}
		} else if !gotK.Valid || gotK.String != k {
			t.Errorf("text %q came back as %+v", k, gotK)
		}
		if n != -42 || f != 2.5 || string(b) != "\x00\x01\x02" || !flag || gotAt != "2026-03-01 08:00:00.0000005+00:00" {
			t.Errorf("got n=%d f=%v b=%v flag=%v at=%q", n, f, b, flag, gotAt)
		}
	}
	var empty []byte
	if err := db.QueryRow(`SELECT x'' `).Scan(&empty); err != nil || len(empty) != 0 {
		t.Errorf("empty blob: %v %v", empty, err)
	}
}

// A kept statement runs again and again with fresh bindings, and reports each run's effect.
func TestReusedStatementReportsEachRun(t *testing.T) {
	db, _ := open(t)
	st, err := db.Prepare(`INSERT INTO t (k, n) VALUES (?, ?) ON CONFLICT (k) WHERE k IS NOT NULL DO NOTHING`)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 1; i <= 300; i++ {
		res, err := st.Exec(fmt.Sprintf("k%d", i%200), int64(i))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.RowsAffected()
		id, _ := res.LastInsertId()
		if i <= 199 && (n != 1 || id != int64(i)) {
			t.Fatalf("run %d: affected %d, id %d", i, n, id)
		}
		if i > 200 && n != 0 {
			t.Fatalf("run %d repeated key k%d but affected %d rows", i, i%200, n)
		}
	}
	var count int
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&count); err != nil || count != 200 {
		t.Fatalf("stored %d rows (%v), want 200", count, err)
	}
}

func TestConstraintErrorThenStatementStillWorks(t *testing.T) {
	db, _ := open(t)
	const q = `INSERT INTO t (k) VALUES (?)`
	if _, err := db.Exec(q, "a"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Exec(q, "a")
	var se *sqlitedrv.Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "UNIQUE constraint failed: t.k") {
		t.Fatalf("duplicate insert: %v", err)
	}
	if _, err := db.Exec(q, "b"); err != nil {
		t.Fatalf("the statement after an error: %v", err)
	}
	if _, err := db.Exec(q, "c", "extra"); err == nil || !strings.Contains(err.Error(), "2 arguments for 1 parameters") {
		t.Fatalf("too many arguments: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO nowhere VALUES (1)`); err == nil || !strings.Contains(err.Error(), "no such table: nowhere") {
		t.Fatalf("bad SQL: %v", err)
	}
}

// The same SQL run while its kept statement is still reading rows gets a statement of its own.
func TestSameQueryNestedWhileRowsOpen(t *testing.T) {
	db, _ := open(t)
	db.SetMaxOpenConns(1)
	for i := 1; i <= 3; i++ {
		if _, err := db.Exec(`INSERT INTO t (k, n) VALUES (?, ?)`, fmt.Sprint(i), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`
	outer, err := conn.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	var rowsOuter []int64
	for outer.Next() {
		var n int64
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		rowsOuter = append(rowsOuter, n)
	}
	outer.Close()
	for _, n := range rowsOuter {
		inner, err := conn.QueryContext(ctx, q, n)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for inner.Next() {
			var m int64
			_ = inner.Scan(&m)
			got = append(got, m)
		}
		inner.Close()
		seen = append(seen, fmt.Sprint(got))
	}
	if strings.Join(seen, " ") != "[1 2 3] [2 3] [3]" {
		t.Fatalf("nested reads: %v", seen)
	}
	// Two open result sets of the same SQL on one connection at the same time.
	a, err := conn.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Next()
	var first int64
	_ = a.Scan(&first)
	var fromB int64
	if err := conn.QueryRowContext(ctx, q, 3).Scan(&fromB); err != nil || fromB != 3 {
		t.Fatalf("second result set: %d %v", fromB, err)
	}
	a.Next()
	var second int64
	_ = a.Scan(&second)
	if first != 1 || second != 2 {
		t.Fatalf("first result set was disturbed: %d, %d", first, second)
	}
}

func TestScriptsAndManyDistinctStatements(t *testing.T) {
	db, _ := open(t)
	if _, err := db.Exec(`-- a migration
		CREATE TABLE u (x INTEGER); /* two statements */
		INSERT INTO u VALUES (1); INSERT INTO u VALUES (2);
		`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO u VALUES (?); INSERT INTO u VALUES (?)`, 3, 4); err == nil {
		t.Fatal("arguments to a script were accepted")
	}
	// More distinct statements than a connection keeps: every one still runs.
	for i := 0; i < 300; i++ {
		if _, err := db.Exec(fmt.Sprintf(`INSERT INTO u VALUES (%d)`, 100+i)); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM u`).Scan(&n); err != nil || n != 302 {
		t.Fatalf("count %d %v", n, err)
	}
}

func TestTransactionsAndLocking(t *testing.T) {
	db, path := open(t)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO t (k) VALUES ('rolled back')`); err != nil {
		t.Fatal(err)
	}
	// BEGIN IMMEDIATE holds the write lock from the start: another connection cannot write.
	other := sqlitedrv.Open(path, "busy_timeout=50")
	defer other.Close()
	if _, err := other.Exec(`INSERT INTO t (k) VALUES ('blocked')`); err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("a second writer during the transaction: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	tx, err = db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO t (k) VALUES ('kept')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// The gorm side's driver, on the same file in the same process, sees the committed row.
	g, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var ks []string
	rows, err := g.Query(`SELECT k FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		ks = append(ks, k)
	}
	rows.Close()
	if strings.Join(ks, ",") != "kept" {
		t.Fatalf("rows seen by the other driver: %v", ks)
	}
}

// A statement hands out a text value equal to the previous row's again: every row must still
// read its own value, across rows, NULLs, long values and later runs of the statement.
func TestRepeatedTextReadsEachRowsValue(t *testing.T) {
	db, _ := open(t)
	long := strings.Repeat("x", 100)
	vals := []any{"a", "a", "b", nil, "a", long, long + "y", "", "b", "b"}
	for i, v := range vals {
		if _, err := db.Exec(`INSERT INTO t (id, at) VALUES (?, ?)`, i+1, v); err != nil {
			t.Fatal(err)
		}
	}
	for run := 0; run < 2; run++ {
		rows, err := db.Query(`SELECT at FROM t ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var got []any
		for rows.Next() {
			var s sql.NullString
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			if s.Valid {
				got = append(got, s.String)
			} else {
				got = append(got, nil)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if fmt.Sprint(got) != fmt.Sprint(vals) {
			t.Fatalf("run %d read %q, want %q", run, got, vals)
		}
	}
}
