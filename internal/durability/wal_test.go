package durability

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/gulag/chief-monitor/internal/testutil"
)

// TestWALStaysBoundedUnderIngest posts batches to the real monitor and checks that SQLite's
// WAL restarts after each checkpoint instead of growing with the data. A background
// checkpointer tried for speed never caught up with a busy writer, so the WAL grew by every
// page written; with the writer's own checkpoints switched off this test sees a 22 MB WAL.
func TestWALStaysBoundedUnderIngest(t *testing.T) {
	if testutil.PostgresURL() != "" {
		t.Skip("a SQLite file property")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "monitor.sqlite")
	proc := testutil.StartMonitor(t, monitorBin, testutil.FreePort(t), db, env...)
	client := &http.Client{}
	var maxWAL int64
	for seq := 0; seq < 30; seq++ {
		body := spreadBatch(seq, 500)
		if code, err := post(client, proc.Base+"/v1/events/batch", body); err != nil || code != http.StatusAccepted {
			t.Fatalf("batch %d: %d %v", seq, code, err)
		}
		if fi, err := os.Stat(db + "-wal"); err == nil {
			maxWAL = max(maxWAL, fi.Size())
		}
	}
	// The autocheckpoint runs at 1,000 pages (about 4 MB of WAL); the 15,000 events written
	// here take several times that in WAL frames.
	if limit := int64(8 << 20); maxWAL > limit {
		t.Fatalf("the WAL grew to %d bytes (limit %d): it does not restart after checkpoints", maxWAL, limit)
	}
}

// spreadBatch is a batch over 50 jobs with scattered event ids, so each commit touches pages
// all over the indexes, as real traffic does.
func spreadBatch(seq, size int) []byte {
	evs := make([]map[string]any, size)
	for i := range evs {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d-%d", seq, i)
		evs[i] = map[string]any{"eventId": fmt.Sprintf("%016x", h.Sum64()), "sourceType": "worker",
			"eventType": "worker.message", "level": "INFO", "message": fmt.Sprintf("m %d", i),
			"jobName": fmt.Sprintf("job-%d", i%50), "metadata": map[string]any{"a": i}}
	}
	b, _ := json.Marshal(map[string]any{"events": evs})
	return b
}
