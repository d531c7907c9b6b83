// Package testutil holds small helpers shared by the monitor's tests: a migrated SQLite store
// in a temp dir, readable fixed times, and free loopback ports.
package testutil

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
)

// NewStore opens a fresh, migrated SQLite store in t.TempDir and closes it at cleanup.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "monitor.sqlite")})
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
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// Proc is a monitor process started by StartMonitor.
type Proc struct {
	Cmd  *exec.Cmd
	Base string
	Logs *SyncBuffer
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

// StartMonitor starts bin on 127.0.0.1:port with the given database and extra environment,
// waits until /v1/health answers, and kills it at test cleanup if still running.
func StartMonitor(t testing.TB, bin string, port int, dbPath string, env ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Dir = filepath.Dir(dbPath)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "MONITOR_HOST=127.0.0.1", fmt.Sprintf("MONITOR_PORT=%d", port),
		"MONITOR_DB_PATH=" + dbPath, "MONITOR_LOG_LEVEL=warn"}, env...)
	p := &Proc{Cmd: cmd, Base: fmt.Sprintf("http://127.0.0.1:%d", port), Logs: &SyncBuffer{}}
	cmd.Stdout, cmd.Stderr = p.Logs, p.Logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start monitor: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("monitor exited at start:\n%s", p.Logs)
		default:
		}
		if res, err := http.Get(p.Base + "/v1/health"); err == nil {
			res.Body.Close()
			return p
		}
		time.Sleep(15 * time.Millisecond)
	}
	t.Fatalf("monitor did not answer /v1/health:\n%s", p.Logs)
	return nil
}
