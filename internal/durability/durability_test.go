package durability

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

var monitorBin string

func TestMain(m *testing.M) {
	testutil.RunWithBinaries(m, map[string]*string{testutil.MonitorPkg: &monitorBin})
}

var env = []string{"MONITOR_AUTH_ENABLED=false", "MONITOR_API_KEY=k"}

func post(client *http.Client, url string, body []byte) (int, error) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "k")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

func batchBody(client, seq, size int) ([]byte, []string) {
	var evs []map[string]any
	var ids []string
	for i := 0; i < size; i++ {
		id := fmt.Sprintf("c%d-b%d-e%d", client, seq, i)
		ids = append(ids, id)
		typ := "worker.message"
		if i == 0 {
			typ = "job.started"
		}
		evs = append(evs, map[string]any{"eventId": id, "sourceType": "chief", "eventType": typ, "level": "INFO",
			"message": "event " + id, "jobName": fmt.Sprintf("job-%d", client), "metadata": map[string]any{"seq": seq}})
	}
	b, _ := json.Marshal(map[string]any{"events": evs})
	return b, ids
}

// TestKillNineLosesNoAcknowledgedEvent ingests from several clients while the monitor is
// killed with SIGKILL at random moments and restarted on the same database. Clients resend a
// batch with the same eventIds until it is acknowledged. Every acknowledged event must be
// stored exactly once.
func TestKillNineLosesNoAcknowledgedEvent(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.sqlite")
	port := testutil.FreePort(t)
	var mu sync.Mutex
	proc := testutil.StartMonitor(t, monitorBin, port, db, env...)
	base := proc.Base

	const clients, batches = 4, 40
	var acked sync.Map
	var ackedCount atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			hc := &http.Client{Timeout: 5 * time.Second}
			for seq := 0; seq < batches; seq++ {
				body, ids := batchBody(c, seq, 25)
				for {
					code, err := post(hc, base+"/v1/events/batch", body)
					if err == nil && code == http.StatusAccepted {
						for _, id := range ids {
							acked.Store(id, true)
						}
						ackedCount.Add(int64(len(ids)))
						break
					}
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond): // the monitor is restarting: resend
					}
				}
			}
		}(c)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for kill := 0; kill < 4; kill++ {
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		mu.Lock()
		if err := proc.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		proc = testutil.StartMonitor(t, monitorBin, port, db, env...)
		mu.Unlock()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		close(stop)
		t.Fatalf("clients did not finish; %d events acknowledged", ackedCount.Load())
	}
	_ = proc.Cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)

	rows := storedEventIDs(t, db)
	want := clients * batches * 25
	if int(ackedCount.Load()) != want {
		t.Fatalf("acknowledged %d events, want %d", ackedCount.Load(), want)
	}
	seen := map[string]int{}
	for _, id := range rows {
		seen[id]++
	}
	missing, dup := 0, 0
	acked.Range(func(k, _ any) bool {
		switch seen[k.(string)] {
		case 0:
			missing++
		case 1:
		default:
			dup++
		}
		return true
	})
	if missing != 0 || dup != 0 || len(rows) != want {
		t.Fatalf("after 4 kills: %d rows for %d acknowledged events, %d missing, %d duplicated", len(rows), want, missing, dup)
	}
}

func storedEventIDs(t *testing.T, path string) []string {
	t.Helper()
	db := testutil.OpenSQL(t, path)
	rows, err := db.Query(`SELECT event_id FROM telemetry_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id sql.NullString
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id.String)
	}
	return out
}

// TestKillNineDuringEvaluatorPassesOpensNoDuplicateAlert makes 150 checks overdue, lets the
// evaluator run every second, kills the monitor with SIGKILL mid-pass several times, and checks
// that every job ends with exactly one MISSED alert.
func TestKillNineDuringEvaluatorPassesOpensNoDuplicateAlert(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.sqlite")
	port := testutil.FreePort(t)
	envEval := append([]string{"MONITOR_EVALUATOR_INTERVAL_SECONDS=1"}, env...)
	proc := testutil.StartMonitor(t, monitorBin, port, db, envEval...)
	const jobs = 150
	var evs []map[string]any
	for i := 0; i < jobs; i++ {
		evs = append(evs, map[string]any{"sourceType": "chief", "eventType": "job.next_scheduled", "level": "INFO",
			"message": "next", "jobName": fmt.Sprintf("job-%03d", i),
			"metadata": map[string]any{"next_run_at": "2020-01-01T00:00:00Z", "grace_seconds": 0}})
	}
	body, _ := json.Marshal(evs)
	if code, err := post(http.DefaultClient, proc.Base+"/v1/events/batch", body); err != nil || code != 202 {
		t.Fatalf("seed: %d %v", code, err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for kill := 0; kill < 4; kill++ {
		time.Sleep(time.Duration(900+rng.IntN(400)) * time.Millisecond)
		_ = proc.Cmd.Process.Signal(syscall.SIGKILL)
		time.Sleep(50 * time.Millisecond)
		proc = testutil.StartMonitor(t, monitorBin, port, db, envEval...)
	}
	// Let passes run to completion after the last restart (the dead holder's lease expires).
	deadline := time.Now().Add(20 * time.Second)
	var open, total int
	for time.Now().Before(deadline) {
		open, total = missedCounts(t, db)
		if open == jobs {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if open != jobs || total != jobs {
		t.Fatalf("MISSED alerts: %d open, %d in all, want exactly %d of each", open, total, jobs)
	}
}

func missedCounts(t *testing.T, path string) (open, total int) {
	t.Helper()
	db := testutil.OpenSQL(t, path)
	if err := db.QueryRow(`SELECT COUNT(*) FILTER (WHERE status = 'OPEN'), COUNT(*) FROM alerts WHERE alert_type = 'MISSED'`).
		Scan(&open, &total); err != nil {
		t.Fatal(err)
	}
	return open, total
}
