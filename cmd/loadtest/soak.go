package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

type runtimeSample struct {
	Goroutines     int    `json:"goroutines"`
	HeapAllocBytes uint64 `json:"heapAllocBytes"`
	OpenFDs        int    `json:"openFDs"`
	VmRSSKB        int64  `json:"vmRSSKB"`
	VmHWMKB        int64  `json:"vmHWMKB"`
	WriterGroups   int64  `json:"writerGroups"`
	WriterRequests int64  `json:"writerRequests"`
}

func sampleRuntime(base string) (runtimeSample, error) {
	var s runtimeSample
	res, err := client.Get(base + "/v1/runtime")
	if err != nil {
		return s, err
	}
	defer res.Body.Close()
	err = json.NewDecoder(res.Body).Decode(&s)
	return s, err
}

func (s runtimeSample) String() string {
	return fmt.Sprintf("rss %5.1f MB  peak %5.1f MB  heap %5.1f MB  goroutines %4d  fds %3d",
		float64(s.VmRSSKB)/1024, float64(s.VmHWMKB)/1024, float64(s.HeapAllocBytes)/(1<<20), s.Goroutines, s.OpenFDs)
}

// soak runs mixed ingest, page loads and queries for d and reports memory, goroutines and
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
	first, err := sampleRuntime(m.base)
	if err != nil {
		return err
	}
	fmt.Printf("start  %s\n", first)
	end := time.Now().Add(d - warm)
	for time.Now().Before(end) {
		time.Sleep(min(time.Minute, time.Until(end)))
		s, err := sampleRuntime(m.base)
		if err != nil {
			return err
		}
		fmt.Printf("%s  %s  events %d  pages %d  queries %d  failures %d\n", time.Now().UTC().Format("15:04:05"), s,
			acked.Load(), pages.Load(), queries.Load(), failures.Load())
	}
	last, err := sampleRuntime(m.base)
	if err != nil {
		return err
	}
	close(stop)
	wg.Wait()
	fmt.Printf("end    %s\n", last)
	fmt.Printf("growth: rss %+.1f MB, goroutines %+d, fds %+d; %d events, %d page loads, %d queries, %d failures\n",
		float64(last.VmRSSKB-first.VmRSSKB)/1024, last.Goroutines-first.Goroutines, last.OpenFDs-first.OpenFDs,
		acked.Load(), pages.Load(), queries.Load(), failures.Load())
	return nil
}
