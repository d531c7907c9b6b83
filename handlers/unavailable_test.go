package handlers

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/services"
)

// TestStorageTroubleIs503: a full disk, a read-only database or a deleted SQLite file answers
// ingest with 503 and a clear reason, never 202 for an event that is not durably stored; a full
// disk or a read-only database recovers once fixed, without a restart.
func TestStorageTroubleIs503(t *testing.T) {
	if testutil.PostgresURL() != "" {
		t.Skip("SQLite only")
	}
	path := filepath.Join(t.TempDir(), "monitor.sqlite")
	st, err := store.Open(context.Background(), store.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	r := &apiRig{t: t, now: testutil.Time(t, "2026-03-04T10:00:00Z")}
	r.w = services.NewWriter(st, slog.New(slog.DiscardHandler), services.WriterOptions{})
	go r.w.Run()
	t.Cleanup(r.w.Close)
	h := New(Options{DBPath: path}, st, r.w, services.NewStatus(st), fakeSessions{})
	h.SetClock(func() time.Time { return r.now })
	r.app = NewApp(h)
	post := func(i int) resp {
		body := fmt.Sprintf(`{"sourceType":"chief","eventType":"x","level":"INFO","message":"%s","eventId":"e%d"}`, strings.Repeat("m", 2000), i)
		return r.do("POST", "/v1/events", body)
	}
	r.want(post(0), 202, "")
	// The single writer connection cannot grow the file any more: a full disk.
	if _, err := st.WriteDB().Exec("PRAGMA max_page_count = 1"); err != nil {
		t.Fatal(err)
	}
	var got resp
	for i := 1; i < 200; i++ {
		if got = post(i); got.status != 202 {
			break
		}
	}
	r.want(got, 503, `{"error":"Database unavailable: the database disk is full"}`)
	if got.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	if _, err := st.WriteDB().Exec("PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	r.want(post(1000), 202, "")
	// A read-only database.
	if _, err := st.WriteDB().Exec("PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	r.want(post(1002), 503, `{"error":"Database unavailable: the database is read-only"}`)
	if _, err := st.WriteDB().Exec("PRAGMA query_only = 0"); err != nil {
		t.Fatal(err)
	}
	r.want(post(1003), 202, "")
	// The file is deleted: SQLite would keep writing to the unlinked inode.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
	r.want(post(1001), 503, `{"error":"Database unavailable: the database file is missing"}`)
}

// TestStorageOutageLogsOncePerChange: a full disk refusing many requests logs one ERROR, not one
// per request; the first write that works once storage has been quiet for a moment logs one INFO;
// a new outage (read-only) logs again.
func TestStorageOutageLogsOncePerChange(t *testing.T) {
	if testutil.PostgresURL() != "" {
		t.Skip("SQLite only")
	}
	path := filepath.Join(t.TempDir(), "monitor.sqlite")
	st, err := store.Open(context.Background(), store.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var logs syncBuffer
	r := &apiRig{t: t, now: testutil.Time(t, "2026-03-04T10:00:00Z")}
	r.w = services.NewWriter(st, slog.New(slog.DiscardHandler), services.WriterOptions{})
	go r.w.Run()
	t.Cleanup(r.w.Close)
	h := New(Options{DBPath: path, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, st, r.w, services.NewStatus(st), fakeSessions{})
	h.SetClock(func() time.Time { return r.now })
	r.app = NewApp(h)
	post := func(i int) resp {
		body := fmt.Sprintf(`{"sourceType":"chief","eventType":"x","level":"INFO","message":"%s","eventId":"e%d"}`, strings.Repeat("m", 2000), i)
		return r.do("POST", "/v1/events", body)
	}
	count := func(s string) int { return strings.Count(logs.String(), s) }
	if _, err := st.WriteDB().Exec("PRAGMA max_page_count = 1"); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i := range 300 {
		if post(i).status == 503 {
			refused++
		}
	}
	if refused < 100 || count("Database unavailable: the database disk is full") != 1 || count("Request failed") != 0 {
		t.Fatalf("%d requests refused; log:\n%s", refused, logs.String())
	}
	if _, err := st.WriteDB().Exec("PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	r.want(post(1000), 202, "")
	if count("Database available again") != 0 {
		t.Fatalf("recovery logged right after a failure:\n%s", logs.String())
	}
	r.now = r.now.Add(services.StorageSettle)
	r.want(post(1001), 202, "")
	r.want(post(1002), 202, "")
	if count("Database available again") != 1 || !strings.Contains(logs.String(), "failed_operations="+fmt.Sprint(refused)) {
		t.Fatalf("want one recovery line counting %d failures:\n%s", refused, logs.String())
	}
	if _, err := st.WriteDB().Exec("PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		post(2000 + i)
	}
	if count("Database unavailable: the database is read-only") != 1 || count("level=ERROR") != 2 {
		t.Fatalf("want one line for the read-only outage:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the handler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
