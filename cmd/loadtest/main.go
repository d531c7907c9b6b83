// Command loadtest is `make bench`: it starts the built monitor on a fresh database and measures,
// in one run on this machine, the ceilings (a raw SQLite insert loop with the same schema, and a
// Fiber handler that parses and validates without storing) and the monitor itself: single ingest
// at 1, 8 and 32 clients, batch ingest of 100 and 500 events, query latencies after preloading N
// events, peak RSS and lost events. It prints each ratio against its target and writes JSON lines.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/gulag/chief-monitor/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to count what a PostgreSQL monitor stored
)

type options struct {
	monitorBin string
	dbURL      string
	preload    int
	duration   time.Duration
	rawRows    int
	out        string
	queries    int
	rounds     int
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "baseline-server" {
		app := baselineApp()
		if err := app.Listen("127.0.0.1:" + os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.monitorBin, "monitor", "bin/monitor", "monitor binary to measure")
	flag.StringVar(&o.dbURL, "db-url", "", "measure the monitor on this PostgreSQL database (an empty one) instead of SQLite")
	flag.IntVar(&o.preload, "n", 1_000_000, "events stored before the query measurements")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each throughput measurement")
	flag.IntVar(&o.rawRows, "raw-rows", 200_000, "rows inserted by the raw SQLite ceiling")
	flag.StringVar(&o.out, "out", "bench-results.jsonl", "JSON lines output")
	flag.IntVar(&o.queries, "queries", 600, "requests per query measurement, spread over 3 interleaved passes")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of the paired ceiling and monitor throughput measurements; a ratio is the median of its rounds")
	soakFor := flag.Duration("soak", 0, "run a soak of this length instead of the measurements")
	singleOnly := flag.Bool("single-only", false, "measure only single-event ingest at 8 clients against the Fiber ceiling (for profiling the hot path)")
	flag.Parse()
	var err error
	if *singleOnly {
		err = singleIngestOnly(o)
	} else if *soakFor > 0 {
		err = soak(o, *soakFor)
	} else {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type result struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	Ratio  float64 `json:"ratio,omitempty"`
	Pass   *bool   `json:"pass,omitempty"`
	At     string  `json:"at"`
}

type report struct {
	rows []result
	f    *os.File
}

func (r *report) add(res result) {
	res.At = time.Now().UTC().Format(time.RFC3339)
	r.rows = append(r.rows, res)
	b, _ := json.Marshal(res)
	fmt.Fprintln(r.f, string(b))
	line := fmt.Sprintf("%-44s %12.1f %-8s", res.Name, res.Value, res.Unit)
	if res.Target != "" {
		verdict := "FAIL"
		if res.Pass != nil && *res.Pass {
			verdict = "ok"
		}
		if res.Ratio != 0 {
			line += fmt.Sprintf(" ratio %.2f", res.Ratio)
		}
		line += fmt.Sprintf("  target %s  %s", res.Target, verdict)
	}
	fmt.Println(line)
}

func pass(b bool) *bool { return &b }

func tempDir() (string, error) { return os.MkdirTemp("", "chief-bench") }

func run(o options) error {
	dir, err := tempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(o.out)
	if err != nil {
		return err
	}
	defer f.Close()
	rep := &report{f: f}
	host, _ := os.Hostname()
	fmt.Printf("Chief Monitor load run on %s, %s, %d preloaded events\n\n", host, time.Now().UTC().Format(time.RFC3339), o.preload)

	m, err := startMonitor(o.monitorBin, filepath.Join(dir, "monitor.sqlite"), o.dbURL)
	if err != nil {
		return err
	}
	defer m.stop()
	if o.dbURL != "" {
		fmt.Println("  (monitor on PostgreSQL)")
	}
	var acked atomic.Int64
	gen := &eventGen{}
	// Warm up before measuring, as any benchmark does: the first seconds of a fresh database
	// grow its files (the WAL in particular) and fill the caches, and would understate the
	// steady state.
	throughput(m.base, 4, 500, 3*time.Second, gen, &acked)

	// The targets are ratios, and on a shared machine a single window of either side can meet a
	// noisy or a quiet minute. So each ratio is measured in rounds that pair a ceiling with the
	// monitor measurement taken right after it, and the median of the rounds' ratios is reported;
	// every round is printed too.
	var raws, fibers, singles, batches, singleRatios, batchRatios []float64
	for r := range max(1, o.rounds) {
		rawPath := filepath.Join(dir, fmt.Sprintf("raw-%d.sqlite", r))
		raw, err := rawInsertCeiling(rawPath, o.rawRows)
		if err != nil {
			return fmt.Errorf("raw ceiling: %w", err)
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(rawPath + suffix)
		}
		batch := throughput(m.base, 4, 500, o.duration, gen, &acked)
		fiber, err := baselineCeiling(o)
		if err != nil {
			return fmt.Errorf("fiber ceiling: %w", err)
		}
		single := throughput(m.base, 8, 1, o.duration, gen, &acked)
		raws, fibers, singles, batches = append(raws, raw), append(fibers, fiber), append(singles, single), append(batches, batch)
		singleRatios, batchRatios = append(singleRatios, single/fiber), append(batchRatios, batch/raw)
		fmt.Printf("  round %d: raw SQLite %.0f rows/s, batch of 500 %.0f events/s (%.2f x); Fiber %.0f req/s, single at 8 clients %.0f events/s (%.2f x)\n",
			r+1, raw, batch, batch/raw, fiber, single, single/fiber)
	}
	rep.add(result{Name: "ceiling: raw SQLite insert (500 rows/tx)", Value: median(raws), Unit: "rows/s"})
	rep.add(result{Name: "ceiling: Fiber parse+validate, 8 clients", Value: median(fibers), Unit: "req/s"})
	for _, clients := range []int{1, 8, 32} {
		r := result{Name: fmt.Sprintf("monitor: single ingest, %d clients", clients), Unit: "events/s"}
		if clients == 8 {
			r.Value, r.Ratio = median(singles), median(singleRatios)
			r.Target = ">= 0.15 x Fiber ceiling"
			r.Pass = pass(r.Ratio >= 0.15)
		} else {
			r.Value = throughput(m.base, clients, 1, o.duration, gen, &acked)
		}
		rep.add(r)
	}
	rep.add(result{Name: "monitor: batch ingest of 100, 4 clients", Value: throughput(m.base, 4, 100, o.duration, gen, &acked), Unit: "events/s"})
	r := result{Name: "monitor: batch ingest of 500, 4 clients", Value: median(batches), Unit: "events/s", Ratio: median(batchRatios),
		Target: ">= 0.60 x raw SQLite"}
	r.Pass = pass(r.Ratio >= 0.6)
	rep.add(r)
	start := time.Now()
	for acked.Load() < int64(o.preload) {
		left := int64(o.preload) - acked.Load()
		d := time.Duration(float64(left)/30000*float64(time.Second)) + time.Second
		throughput(m.base, 4, 500, min(d, 30*time.Second), gen, &acked)
	}
	fmt.Printf("  (preloaded %d events in %s)\n", acked.Load(), time.Since(start).Round(time.Second))
	// An evaluator pass and some alerts make the open-alert query non-trivial.
	post(m.base+"/v1/events/batch", gen.failures(50))

	// Each list is asked for in three passes over all of them, so a noisy moment of the machine
	// is spread over the lists instead of landing on one; a p99 is then over all of a list's
	// requests.
	queries := []struct{ name, path string }{
		{"events by job", "/v1/events?jobName=job-07&limit=100"},
		{"events by level", "/v1/events?level=WARN&limit=100"},
		{"events unfiltered, offset 10,000", "/v1/events?limit=100&offset=10000"},
		{"status summary", "/v1/status/summary"},
		{"status jobs", "/v1/status/jobs"},
		{"open alerts", "/v1/alerts?status=OPEN"},
	}
	pages := []string{"/", "/jobs", "/jobs/job-07", "/alerts", "/events", "/events?level=WARN&page=5"}
	const passes = 3
	times := map[string][]time.Duration{}
	failed := map[string]error{}
	for range passes {
		for _, q := range queries {
			ds, err := latencies(m.base+q.path, o.queries/passes)
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			times[q.path] = append(times[q.path], ds...)
		}
		for _, page := range pages {
			ds, err := latencies(m.base+page, o.queries/passes/3)
			if err != nil {
				failed[page] = err
			}
			times[page] = append(times[page], ds...)
		}
	}
	for _, q := range queries {
		p50, p99 := percentiles(times[q.path])
		rep.add(result{Name: "p50 " + q.name, Value: ms(p50), Unit: "ms"})
		rep.add(result{Name: "p99 " + q.name, Value: ms(p99), Unit: "ms", Target: "<= 5 ms", Pass: pass(p99 <= 5*time.Millisecond)})
	}
	for _, page := range pages {
		if failed[page] != nil {
			rep.add(result{Name: "page " + page + " (unavailable)", Value: 0, Unit: "ms"})
			continue
		}
		p50, p99 := percentiles(times[page])
		rep.add(result{Name: "p50 page " + page, Value: ms(p50), Unit: "ms"})
		rep.add(result{Name: "p99 page " + page, Value: ms(p99), Unit: "ms", Target: "<= 20 ms", Pass: pass(p99 <= 20*time.Millisecond)})
	}
	hwm := m.vmHWM()
	rep.add(result{Name: "monitor peak memory (VmHWM)", Value: float64(hwm) / 1024, Unit: "MB"})
	m.stop()
	stored, distinct, err := countStored(filepath.Join(dir, "monitor.sqlite"), o.dbURL)
	if err != nil {
		return err
	}
	lost := acked.Load() + 50 - stored
	rep.add(result{Name: "acknowledged events lost", Value: float64(lost), Unit: "events", Target: "0", Pass: pass(lost == 0 && stored == distinct)})
	fmt.Printf("\nJSON lines written to %s\n", o.out)
	return nil
}

// singleIngestOnly measures the Fiber ceiling and the monitor's single-event ingest at 8
// clients, nothing else: a quick loop for work on the hot path.
func singleIngestOnly(o options) error {
	dir, err := tempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	baseRate, err := baselineCeiling(o)
	if err != nil {
		return fmt.Errorf("fiber ceiling: %w", err)
	}
	m, err := startMonitor(o.monitorBin, filepath.Join(dir, "monitor.sqlite"), o.dbURL)
	if err != nil {
		return err
	}
	defer m.stop()
	var acked atomic.Int64
	gen := &eventGen{}
	// The same warm-up as the full run, so the database is in the same state when measured.
	throughput(m.base, 4, 500, 3*time.Second, gen, &acked)
	rate := throughput(m.base, 8, 1, o.duration, gen, &acked)
	fmt.Printf("ceiling %.0f req/s, monitor %.0f events/s, ratio %.2f\n", baseRate, rate, rate/baseRate)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// rawInsertCeiling inserts rows with the monitor's schema and indexes, 500 per transaction,
// through database/sql and the same pure-Go SQLite driver, and returns rows per second.
func rawInsertCeiling(path string, rows int) (float64, error) {
	st, err := store.Open(context.Background(), store.Options{Path: path})
	if err != nil {
		return 0, err
	}
	_ = st.Close() // only the schema was wanted
	db, err := sql.Open(sqlite.DriverName, "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	stmt, err := db.Prepare(`INSERT INTO telemetry_events (received_at, event_at, source_type, event_type, level, message,
		job_name, script_path, run_id, scheduled_for, success, return_code, duration_ms, metadata_json, event_at_ms, event_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	gen := &eventGen{}
	start := time.Now()
	for done := 0; done < rows; {
		tx, err := db.Begin()
		if err != nil {
			return 0, err
		}
		txStmt := tx.Stmt(stmt)
		for i := 0; i < 500 && done < rows; i++ {
			e := gen.next()
			now := time.Now().UTC()
			if _, err := txStmt.Exec(now.Format("2006-01-02T15:04:05.000Z"), e.EventAt, e.SourceType, e.EventType, e.Level,
				e.Message, e.JobName, e.ScriptPath, e.RunID, nil, nil, nil, nil, string(e.Metadata), now.UnixMilli(), e.EventID); err != nil {
				return 0, err
			}
			done++
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

func baselineCeiling(o options) (float64, error) {
	port := freePort()
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, "baseline-server", strconv.Itoa(port))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitUp(base+"/v1/events", "POST"); err != nil {
		return 0, err
	}
	var acked atomic.Int64
	return throughput(base, 8, 1, o.duration, &eventGen{}, &acked), nil
}

type monitorProc struct {
	cmd  *exec.Cmd
	base string
	once sync.Once
}

func startMonitor(bin, db, dbURL string) (*monitorProc, error) {
	port := freePort()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "MONITOR_HOST=127.0.0.1", "MONITOR_PORT="+strconv.Itoa(port), "MONITOR_DB_PATH="+db,
		"MONITOR_DB_URL="+dbURL, "MONITOR_AUTH_ENABLED=false", "MONITOR_API_KEY=", "MONITOR_LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start monitor %s: %w", bin, err)
	}
	m := &monitorProc{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := waitUp(m.base+"/v1/health", "GET"); err != nil {
		m.stop()
		return nil, err
	}
	return m, nil
}

func (m *monitorProc) stop() {
	m.once.Do(func() {
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		_ = m.cmd.Wait()
	})
}

// vmHWM reads the process's peak resident set size in KiB.
func (m *monitorProc) vmHWM() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	return -1
}

func countStored(path, dbURL string) (total, distinct int64, err error) {
	db, err := sql.Open(sqlite.DriverName, "file:"+path+"?mode=ro")
	if dbURL != "" {
		db, err = sql.Open("pgx", dbURL)
	}
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	err = db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT event_id) FROM telemetry_events`).Scan(&total, &distinct)
	return total, distinct, err
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitUp(url, method string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(method, url, nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up", url)
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 30 * time.Second}

func post(url string, body []byte) (int, error) {
	res, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// throughput runs clients goroutines posting batches of size (1 = the single-event route) for
// d and returns acknowledged events per second; acked accumulates acknowledged events.
func throughput(base string, clients, size int, d time.Duration, gen *eventGen, acked *atomic.Int64) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				var code int
				var err error
				if size == 1 {
					code, err = post(base+"/v1/events", gen.single())
				} else {
					code, err = post(base+"/v1/events/batch", gen.batch(size))
				}
				if err == nil && code == http.StatusAccepted {
					n.Add(int64(size))
				}
			}
		}()
	}
	wg.Wait()
	acked.Add(n.Load())
	return float64(n.Load()) / time.Since(start).Seconds()
}

// latencies times n sequential GETs of url.
func latencies(url string, n int) ([]time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	// Start each series without a collection of this process's own heap due, as the testing
	// package does before a benchmark: the ingest phases leave garbage behind, and a pause of
	// the load tool is not a latency of the monitor.
	runtime.GC()
	for i := 0; i < n; i++ {
		t := time.Now()
		res, err := client.Get(url)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", url, res.StatusCode)
		}
		ds = append(ds, time.Since(t))
	}
	return ds, nil
}

// percentiles returns the median and the 99th percentile of ds (which it sorts).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], ds[(len(ds)*99)/100]
}

// median returns the middle value of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else if n > 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return 0
}
