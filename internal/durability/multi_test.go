package durability

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

// TestThreeInstancesOnPostgres runs three monitor processes on one PostgreSQL database, spreads
// ingest from several clients over them (the same jobs on every instance), kills the instance
// holding the evaluator lease with SIGKILL, and checks that MISSED alerts still open on time,
// that no acknowledged event is lost, and that no alert or failure count is duplicated or lost.
func TestThreeInstancesOnPostgres(t *testing.T) {
	if testutil.PostgresURL() == "" {
		t.Skip("needs PostgreSQL: runs in the suite's PostgreSQL pass (make test with MONITOR_TEST_POSTGRES_URL set)")
	}
	dbKey := filepath.Join(t.TempDir(), "shared")
	envEval := append([]string{"MONITOR_EVALUATOR_INTERVAL_SECONDS=1"}, env...)
	var procs []*testutil.Proc
	for i := 0; i < 3; i++ {
		procs = append(procs, testutil.StartMonitor(t, monitorBin, testutil.FreePort(t), dbKey, envEval...))
	}
	var alive [3]atomic.Bool
	for i := range alive {
		alive[i].Store(true)
	}
	hc := &http.Client{Timeout: 5 * time.Second}

	// 30 jobs expected 6 s from now with no grace: MISSED is due at +7 s.
	expected := time.Now().UTC().Add(6 * time.Second).Truncate(time.Second)
	var seed []map[string]any
	for i := 0; i < 30; i++ {
		seed = append(seed, map[string]any{"sourceType": "chief", "eventType": "job.next_scheduled", "level": "INFO",
			"message": "next", "jobName": fmt.Sprintf("watched-%02d", i),
			"metadata": map[string]any{"next_run_at": expected.Format(time.RFC3339), "grace_seconds": 0}})
	}
	body, _ := json.Marshal(seed)
	if code, err := post(hc, procs[0].Base+"/v1/events/batch", body); err != nil || code != 202 {
		t.Fatalf("seed: %d %v", code, err)
	}

	// Six clients post batches round-robin over the live instances; every batch holds a
	// job.failed for one of five shared jobs, so the same check rows are written everywhere.
	var acked sync.Map
	var failuresAcked [5]atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := 0; c < 6; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			target := c % 3
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				shared := (c + seq) % 5
				var evs []map[string]any
				var ids []string
				for i := 0; i < 10; i++ {
					id := fmt.Sprintf("m%d-%d-%d", c, seq, i)
					ids = append(ids, id)
					e := map[string]any{"eventId": id, "sourceType": "worker", "eventType": "worker.message", "level": "INFO",
						"message": "work " + id, "jobName": fmt.Sprintf("shared-%d", shared)}
					if i == 0 {
						e["sourceType"], e["eventType"], e["level"] = "chief", "job.failed", "ERROR"
					}
					evs = append(evs, e)
				}
				b, _ := json.Marshal(map[string]any{"events": evs})
				for {
					if !alive[target].Load() {
						target = (target + 1) % 3
						continue
					}
					code, err := post(hc, procs[target].Base+"/v1/events/batch", b)
					if err == nil && code == 202 {
						break
					}
					target = (target + 1) % 3 // that instance is gone: resend elsewhere
				}
				for _, id := range ids {
					acked.Store(id, true)
				}
				failuresAcked[shared].Add(1)
				target = (target + 1) % 3
				time.Sleep(10 * time.Millisecond)
			}
		}(c)
	}

	time.Sleep(2 * time.Second)
	db := testutil.OpenSQL(t, dbKey)
	var l struct{ Holder string }
	if err := db.QueryRow(`SELECT holder FROM leases WHERE name = 'evaluator'`).Scan(&l.Holder); err != nil {
		t.Fatalf("no evaluator lease: %v", err)
	}
	parts := strings.Split(l.Holder, "/")
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	killed := -1
	for i, p := range procs {
		if p.Cmd.Process.Pid == pid {
			killed = i
		}
	}
	if killed < 0 {
		t.Fatalf("lease holder %q is none of the three instances", l.Holder)
	}
	alive[killed].Store(false)
	_ = procs[killed].Cmd.Process.Signal(syscall.SIGKILL)
	killedAt := time.Now()

	// MISSED is due at expected+1 s; another instance takes the lease within 3 intervals.
	deadline := expected.Add(1*time.Second + 3*time.Second + 3*time.Second)
	var open int
	for time.Now().Before(deadline.Add(5 * time.Second)) {
		if err := db.QueryRow(`SELECT COUNT(*) FROM alerts WHERE alert_type = 'MISSED' AND status = 'OPEN'`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 30 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if open != 30 {
		t.Fatalf("%d of 30 MISSED alerts open after the lease holder died (killed %s after start)", open, killedAt.Sub(expected))
	}
	var latest string
	_ = db.QueryRow(`SELECT MAX(opened_at) FROM alerts WHERE alert_type = 'MISSED'`).Scan(&latest)
	if at, err := time.Parse("2006-01-02T15:04:05.000Z", latest); err != nil || at.After(deadline) {
		t.Fatalf("MISSED opened late: last at %s, deadline %s", latest, deadline.Format(time.RFC3339))
	}
	var dupAlerts int
	_ = db.QueryRow(`SELECT COUNT(*) FROM (SELECT job_name, alert_type FROM alerts GROUP BY job_name, alert_type HAVING COUNT(*) > 1) d`).Scan(&dupAlerts)
	if dupAlerts != 0 {
		t.Fatalf("%d job/type pairs have more than one alert", dupAlerts)
	}
	for i := 0; i < 5; i++ {
		var failures int64
		_ = db.QueryRow(`SELECT consecutive_failures FROM check_states WHERE job_name = $1`, fmt.Sprintf("shared-%d", i)).Scan(&failures)
		if failures != failuresAcked[i].Load() {
			t.Errorf("shared-%d: %d failures counted, %d acknowledged", i, failures, failuresAcked[i].Load())
		}
	}
	stored := map[string]int{}
	rows, err := db.Query(`SELECT event_id FROM telemetry_events WHERE event_id IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		stored[id]++
	}
	rows.Close()
	lost, n := 0, 0
	acked.Range(func(k, _ any) bool {
		n++
		if stored[k.(string)] != 1 {
			lost++
		}
		return true
	})
	if lost != 0 || n == 0 {
		t.Fatalf("%d of %d acknowledged events not stored exactly once", lost, n)
	}
	t.Logf("%d events acknowledged across 3 instances; killed instance %d (the evaluator lease holder)", n, killed)
}

// TestSessionsWorkOnEveryInstance signs in on one instance and uses the session on another:
// sessions live in the shared database and are signed with the shared secret.
func TestSessionsWorkOnEveryInstance(t *testing.T) {
	if testutil.PostgresURL() == "" {
		t.Skip("needs PostgreSQL: runs in the suite's PostgreSQL pass (make test with MONITOR_TEST_POSTGRES_URL set)")
	}
	dbKey := filepath.Join(t.TempDir(), "sessions")
	authEnv := []string{"MONITOR_AUTH_ENABLED=true", "MONITOR_AUTH_SECRET=shared-secret-for-both",
		"MONITOR_AUTH_ADMIN_EMAIL=admin@example.org", "MONITOR_AUTH_ADMIN_PASSWORD=correct horse battery"}
	a := testutil.StartMonitor(t, monitorBin, testutil.FreePort(t), dbKey, authEnv...)
	b := testutil.StartMonitor(t, monitorBin, testutil.FreePort(t), dbKey, authEnv...)
	res, err := http.Post(a.Base+"/api/auth/sign-in/email", "application/json",
		strings.NewReader(`{"email":"admin@example.org","password":"correct horse battery"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("sign in on A: %v %v", res, err)
	}
	res.Body.Close()
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if strings.HasSuffix(c.Name, "session_token") {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no session cookie from A: %v", res.Header)
	}
	for _, path := range []string{"/api/auth/get-session", "/v1/status/summary", "/jobs"} {
		req, _ := http.NewRequest("GET", b.Base+path, nil)
		req.AddCookie(cookie)
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := make([]byte, 64)
		n, _ := res.Body.Read(body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body[:n]) == "null" {
			t.Fatalf("GET %s on B with A's session: %d %q", path, res.StatusCode, body[:n])
		}
	}
}
