// Package testutil holds small helpers shared by the monitor's tests: a migrated SQLite store
// in a temp dir, readable fixed times, and free loopback ports.
package testutil

import (
	"context"
	"net"
	"path/filepath"
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
