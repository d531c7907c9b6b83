package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// procSample is what /proc tells of the monitor process: resident memory, its peak, threads
// and open file descriptors.
type procSample struct {
	VmRSSKB, VmHWMKB, Threads int64
	OpenFDs                   int
}

func sampleProc(pid int) (procSample, error) {
	s := procSample{VmRSSKB: -1, VmHWMKB: -1, Threads: -1, OpenFDs: -1}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(value)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch name {
		case "VmRSS":
			s.VmRSSKB = n
		case "VmHWM":
			s.VmHWMKB = n
		case "Threads":
			s.Threads = n
		}
	}
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.OpenFDs = len(fds)
	}
	return s, nil
}

func (s procSample) String() string {
	return fmt.Sprintf("rss %5.1f MB  peak %5.1f MB  threads %3d  fds %3d",
		float64(s.VmRSSKB)/1024, float64(s.VmHWMKB)/1024, s.Threads, s.OpenFDs)
}

// soak runs mixed ingest, page loads and queries for d and reports memory, threads and
// open file descriptors at the start (after a one-minute warm-up) and at the end.
func soak(o options, d time.Duration) error {
	dir, err := tempDir()
	if err != nil {
		return err
	}
	m, err := startMonitor(o.monitorBin, filepath.Join(dir, "monitor.sqlite"), o.dbURL)
	if err != nil {
		return err
	}
	defer m.stop()
	gen := &eventGen{}
	var acked, pages, queries, failures atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	loop := func(fn func() bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !fn() {
					failures.Add(1)
				}
			}
		}()
	}
	ingest := func(size int) func() bool {
		return func() bool {
			var code int
			var err error
			if size == 1 {
				code, err = post(m.base+"/v1/events", gen.single())
			} else {
				code, err = post(m.base+"/v1/events/batch", gen.batch(size))
			}
			time.Sleep(2 * time.Millisecond)
			if err != nil || code != http.StatusAccepted {
				return false
			}
			acked.Add(int64(size))
			return true
		}
	}
	get := func(paths []string, n *atomic.Int64) func() bool {
		i := 0
		return func() bool {
			p := paths[i%len(paths)]
			i++
			res, err := client.Get(m.base + p)
			if err != nil {
				return false
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			n.Add(1)
			time.Sleep(20 * time.Millisecond)
			return res.StatusCode < 500
		}
	}
	loop(ingest(1))
	loop(ingest(1))
	loop(ingest(100))
	loop(get([]string{"/", "/jobs", "/jobs/job-03", "/alerts", "/events", "/events?level=WARN&page=3"}, &pages))
	loop(get([]string{"/v1/status/summary", "/v1/status/jobs", "/v1/events?limit=100&offset=5000", "/v1/alerts?status=OPEN",
		"/v1/events?jobName=job-01"}, &queries))

	warm := min(time.Minute, d/5)
	fmt.Printf("Soak for %s (warm-up %s)\n", d, warm)
	time.Sleep(warm)
	first, err := sampleProc(m.cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("start  %s\n", first)
	end := time.Now().Add(d - warm)
	for time.Now().Before(end) {
		time.Sleep(min(time.Minute, time.Until(end)))
		s, err := sampleProc(m.cmd.Process.Pid)
		if err != nil {
			return err
		}
		fmt.Printf("%s  %s  events %d  pages %d  queries %d  failures %d\n", time.Now().UTC().Format("15:04:05"), s,
			acked.Load(), pages.Load(), queries.Load(), failures.Load())
	}
	last, err := sampleProc(m.cmd.Process.Pid)
	if err != nil {
		return err
	}
	close(stop)
	wg.Wait()
	fmt.Printf("end    %s\n", last)
	fmt.Printf("growth: rss %+.1f MB, threads %+d, fds %+d; %d events, %d page loads, %d queries, %d failures\n",
		float64(last.VmRSSKB-first.VmRSSKB)/1024, last.Threads-first.Threads, last.OpenFDs-first.OpenFDs,
		acked.Load(), pages.Load(), queries.Load(), failures.Load())
	return nil
}
