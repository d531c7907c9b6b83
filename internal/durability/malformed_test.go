package durability

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

// malformed is one kind of bad request: raw HTTP bytes, sent on a fresh connection, optionally
// trickled slowly.
type malformed struct {
	name  string
	raw   []byte
	slow  bool
	heavy bool // megabytes on the wire: sent for one request in ten of its turn
}

func rawPost(path, contentType string, body []byte, extra ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: k\r\nConnection: close\r\n", path)
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

func malformedKinds() []malformed {
	j := "application/json"
	huge := []byte(`{"sourceType":"chief","eventType":"x","level":"INFO","message":` + strings.Repeat("1", 1_500_000) + `}`)
	deep := []byte(strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000))
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	over := []byte("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 3000000\r\nConnection: close\r\n\r\n{\"a\":")
	return []malformed{
		{"truncated JSON", rawPost("/v1/events", j, []byte(`{"sourceType":"chief","eventType":`)), false, false},
		{"wrong types", rawPost("/v1/events", j, []byte(`{"sourceType":1,"eventType":[],"level":{},"message":true,"success":"yes"}`)), false, false},
		{"null optional", rawPost("/v1/events/batch", j, []byte(`[{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","jobName":null}]`)), false, false},
		{"huge string of the wrong type", rawPost("/v1/events", j, huge), false, true},
		{"deep nesting", rawPost("/v1/events/batch", j, deep), false, false},
		{"invalid UTF-8", rawPost("/v1/events", j, []byte("{\"sourceType\":\"chief\",\"eventType\":\"x\",\"level\":\"\xff\xfe\",\"message\":\"\xc3\x28\"}")), false, false},
		{"binary body", rawPost("/v1/events", j, binary), false, false},
		{"over 2 MB", over, false, false},
		{"scalar body", rawPost("/v1/events", j, []byte(`12345`)), false, false},
		{"bad charset", rawPost("/v1/events", "application/json; charset=latin1", []byte(`{}`)), false, false},
		{"bad gzip", rawPost("/v1/events", j, []byte("not gzip"), "Content-Encoding: gzip"), false, false},
		{"metadata over 64 KB", rawPost("/v1/events", j, []byte(`{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","metadata":{"a":"`+strings.Repeat("x", 70_000)+`"}}`)), false, false},
		{"bad alert id", rawPost("/v1/alerts/abc/close", j, []byte(`{}`)), false, false},
		{"slow truncated body", rawPost("/v1/events", j, []byte(`{"sourceType":"chief","eventType":"x","level":"INFO"`)), true, false},
	}
}

// send writes raw on a new connection and returns the status code of the answer.
func send(addr string, m malformed) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if m.slow {
		for i := 0; i < len(m.raw); i += 16 {
			if _, err := conn.Write(m.raw[i:min(i+16, len(m.raw))]); err != nil {
				return 0, err
			}
			time.Sleep(5 * time.Millisecond)
		}
	} else if _, err := conn.Write(m.raw); err != nil && !isReset(err) {
		return 0, err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("no status line: %w", err)
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	return strconv.Atoi(f[1])
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe")
}

func rssKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	return -1
}

// TestMalformedFloodWhileIngesting sends 10,000 malformed requests of many kinds while valid
// batches keep arriving: every malformed one gets a 4xx, every valid one a 202, the server stays
// up, its memory stays bounded, and valid ingest keeps going.
func TestMalformedFloodWhileIngesting(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.sqlite")
	port := testutil.FreePort(t)
	proc := testutil.StartMonitor(t, monitorBin, port, db, env...)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	hc := &http.Client{Timeout: 10 * time.Second}

	validRate := func(d time.Duration, seqBase int, stop <-chan struct{}) (float64, int) {
		start, n, bad := time.Now(), 0, 0
		for seq := seqBase; time.Since(start) < d; seq++ {
			select {
			case <-stop:
				return float64(n) / time.Since(start).Seconds(), bad
			default:
			}
			body, _ := batchBody(9, seq, 20)
			if code, err := post(hc, proc.Base+"/v1/events/batch", body); err != nil || code != 202 {
				bad++
				continue
			}
			n += 20
		}
		return float64(n) / time.Since(start).Seconds(), bad
	}
	before, bad := validRate(2*time.Second, 0, nil)
	if bad > 0 {
		t.Fatalf("%d valid batches failed before the flood", bad)
	}

	kinds := malformedKinds()
	const total = 10_000
	var next, non4xx, sent atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	floodDone := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				m := kinds[int(i)%len(kinds)]
				if (m.slow && i%50 != 13) || (m.heavy && i%10 != 3) { // a few slow or huge ones
					m = kinds[int(i/7)%2]
				}
				code, err := send(addr, m)
				sent.Add(1)
				if err != nil || code < 400 || code > 499 {
					non4xx.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%s: status %d, %v", m.name, code, err))
				}
			}
		}()
	}
	var during float64
	var duringBad int
	validDone := make(chan struct{})
	go func() {
		during, duringBad = validRate(time.Hour, 100_000, floodDone)
		close(validDone)
	}()
	wg.Wait()
	close(floodDone)
	<-validDone

	if n := non4xx.Load(); n != 0 {
		t.Fatalf("%d of %d malformed requests did not get a 4xx; first: %v", n, sent.Load(), firstErr.Load())
	}
	if duringBad != 0 {
		t.Fatalf("%d valid batches failed during the flood", duringBad)
	}
	if code, err := post(hc, proc.Base+"/v1/events", []byte(`{"sourceType":"chief","eventType":"x","level":"INFO","message":"still up"}`)); err != nil || code != 202 {
		t.Fatalf("server after the flood: %d %v", code, err)
	}
	hwm := rssKB(proc.Cmd.Process.Pid, "VmHWM")
	t.Logf("valid ingest: %.0f events/s before, %.0f during the flood (ratio %.2f); peak RSS %d MB", before, during, during/before, hwm/1024)
	// On PostgreSQL a batch costs several round trips to a server process that competes with
	// the flood for the same two cores, so its floor is lower.
	floor := 0.2
	if testutil.PostgresURL() != "" {
		floor = 0.08
	}
	if during < floor*before {
		t.Fatalf("valid ingest starved: %.0f events/s during the flood, %.0f before", during, before)
	}
	if hwm > 200*1024 {
		t.Fatalf("peak RSS %d MB during the flood", hwm/1024)
	}
}
