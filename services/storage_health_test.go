package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStorageHealthLogsOncePerChange(t *testing.T) {
	var logs lockedBuffer
	h := NewStorageHealth(slog.New(slog.NewTextHandler(&logs, nil)))
	t0 := testutil.Time(t, "2026-03-04T10:00:00Z")
	if h.Failed(errors.New("constraint failed"), t0) {
		t.Fatal("an ordinary error was taken for a storage outage")
	}
	gone := fmt.Errorf("insert: %w", store.ErrDatabaseGone)
	for i := range 1000 {
		if !h.Failed(gone, t0.Add(time.Duration(i)*time.Millisecond), "path", "/v1/events") {
			t.Fatal("a missing database file was not taken for a storage outage")
		}
	}
	h.OK(t0.Add(2 * time.Second)) // a write squeezing through between failures is no recovery
	last := t0.Add(999 * time.Millisecond)
	h.OK(last.Add(StorageSettle))
	h.OK(last.Add(StorageSettle + time.Second))
	got := logs.String()
	if n := strings.Count(got, "\n"); n != 2 ||
		!strings.Contains(got, `level=ERROR msg="Database unavailable: the database file is missing" path=/v1/events`) ||
		!strings.Contains(got, `level=INFO msg="Database available again" unavailable_for=6s failed_operations=1000`) {
		t.Fatalf("want one ERROR and one INFO line, got:\n%s", got)
	}
}

// The background loops report through the same tracker: an evaluator failing every pass on a
// read-only database logs once.
func TestEvaluatorReportsStorageOutageOnce(t *testing.T) {
	if testutil.PostgresURL() != "" {
		t.Skip("SQLite only")
	}
	st := testutil.NewStore(t)
	w := NewWriter(st, slog.New(slog.DiscardHandler), WriterOptions{})
	go w.Run()
	t.Cleanup(w.Close)
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	e := NewEvaluator(w, log, 5*time.Millisecond, "test")
	e.SetStorageHealth(NewStorageHealth(log))
	if _, err := st.WriteDB().Exec("PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	e.Run(ctx)
	got := logs.String()
	if strings.Count(got, "Database unavailable: the database is read-only") != 1 || strings.Contains(got, "Evaluator pass failed") {
		t.Fatalf("want one outage line, got:\n%s", got)
	}
}
