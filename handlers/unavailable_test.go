package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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
