// Package testutil holds small helpers shared by the monitor's tests: a migrated SQLite store
// in a temp dir, readable fixed times, and free loopback ports.
package testutil

import (
	"bytes"
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // registers the "sqlite" driver for OpenSQL
	"github.com/gulag/chief-monitor/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresURL is the server the suite runs against in its PostgreSQL pass: set when
// MONITOR_TEST_DB=postgres, from MONITOR_TEST_POSTGRES_URL.
func PostgresURL() string {
	if os.Getenv("MONITOR_TEST_DB") != "postgres" {
		return ""
	}
	return os.Getenv("MONITOR_TEST_POSTGRES_URL")
}

// schemaURL creates (if needed) a schema named after key on the test server and returns a URL
// whose connections use it. The schema is dropped at cleanup.
func schemaURL(t testing.TB, base, key string) string {
	t.Helper()
	sum := sha1.Sum([]byte(key))
	name := "t_" + hex.EncodeToString(sum[:8])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA IF NOT EXISTS ` + name); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.Exec(`DROP SCHEMA IF EXISTS ` + name + ` CASCADE`)
			db.Close()
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + name
}

// DatabaseEnv is the environment that points a monitor binary at the database "path": the
// SQLite file itself, or in the PostgreSQL pass a schema of the test server named after it.
func DatabaseEnv(t testing.TB, path string) []string {
	t.Helper()
	if base := PostgresURL(); base != "" {
		return []string{"MONITOR_DB_PATH=" + path, "MONITOR_DB_URL=" + schemaURL(t, base, path)}
	}
	return []string{"MONITOR_DB_PATH=" + path}
}

// OpenSQL opens the database "path" directly (SQLite file, or its PostgreSQL schema), for
// tests that inspect what a monitor binary stored. Queries use "?" placeholders on SQLite and
// "$n" on PostgreSQL; use Q to write them once.
func OpenSQL(t testing.TB, path string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if base := PostgresURL(); base != "" {
		db, err = sql.Open("pgx", schemaURL(t, base, path))
	} else {
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewStore opens a fresh, migrated store and closes it at cleanup: SQLite in t.TempDir, or a
// fresh schema on the test PostgreSQL server in the suite's PostgreSQL pass.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	opts := store.Options{Path: filepath.Join(t.TempDir(), "monitor.sqlite")}
	if base := PostgresURL(); base != "" {
		opts.URL = schemaURL(t, base, opts.Path)
	}
	st, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Time parses an RFC 3339 literal, failing the test on a typo.
func Time(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad time literal %q: %v", s, err)
	}
	return v.UTC()
}

// FreePort returns a currently free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// BuildBinary compiles the main package pkg (an import path such as
// "github.com/gulag/chief-monitor/cmd/monitor") into dir and returns the binary's path. Call it
// from TestMain.
func BuildBinary(dir, pkg string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as `make build` builds them
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// Module binaries the tests build.
const (
	MonitorPkg = "github.com/gulag/chief-monitor/cmd/monitor"
	ChiefPkg   = "github.com/gulag/chief-monitor/cmd/gulag-chief"
)

// RunWithBinaries is a TestMain body: it builds each main package of builds into a temporary
// directory, stores the binary's path in the given variable, runs the tests, removes the
// directory and exits. A build failure fails the whole package (never a silent skip).
func RunWithBinaries(m *testing.M, builds map[string]*string) {
	dir, err := os.MkdirTemp("", "chief-monitor-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for pkg, dst := range builds {
		if *dst, err = BuildBinary(dir, pkg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Proc is a monitor process started by StartMonitor.
type Proc struct {
	Cmd  *exec.Cmd
	Base string
	Logs *SyncBuffer
	// Exited is closed when the process has exited; WaitErr is then its exit error.
	Exited  chan struct{}
	WaitErr error
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers (a process's stdout and stderr).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartMonitor starts bin on 127.0.0.1:port with the given database (SQLite file, or in the
// PostgreSQL pass a schema named after it) and extra environment, waits until /v1/health
// answers, and kills it at test cleanup if still running.
func StartMonitor(t testing.TB, bin string, port int, dbPath string, env ...string) *Proc {
	t.Helper()
	p, err := Launch(bin, port, filepath.Dir(dbPath), append(DatabaseEnv(t, dbPath), env...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Cmd.Process.Kill()
		<-p.Exited
	})
	return p
}

// Launch starts the monitor binary bin in dir on 127.0.0.1:port with env (on top of PATH, the
// address and warn-level logs) and returns once /v1/health answers. It is StartMonitor for a
// TestMain, which has no *testing.T.
func Launch(bin string, port int, dir string, env []string) (*Proc, error) {
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "MONITOR_HOST=127.0.0.1", fmt.Sprintf("MONITOR_PORT=%d", port),
		"MONITOR_LOG_LEVEL=warn"}, env...)
	p := &Proc{Cmd: cmd, Base: fmt.Sprintf("http://127.0.0.1:%d", port), Logs: &SyncBuffer{}, Exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Logs, p.Logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	exited := p.Exited
	go func() { p.WaitErr = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, fmt.Errorf("monitor exited at start:\n%s", p.Logs)
		default:
		}
		if res, err := http.Get(p.Base + "/v1/health"); err == nil {
			res.Body.Close()
			return p, nil
		}
		time.Sleep(15 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return nil, fmt.Errorf("monitor did not answer /v1/health:\n%s", p.Logs)
}

// Stop ends the process as a service manager would: SIGTERM, then SIGKILL after 10 s.
func (p *Proc) Stop() {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM) // it may have exited already
	select {
	case <-p.Exited:
	case <-time.After(10 * time.Second):
		_ = p.Cmd.Process.Kill()
		<-p.Exited
	}
}
