package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	metricsAPIKey = "metrics-test-api-key-0123456789"
	metricsToken  = "metrics-test-scrape-token-abcdef"
)

// scrape GETs /metrics with the given headers and returns the status and the parsed families
// (nil unless 200).
func scrape(t *testing.T, p *proc, headers ...string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, p.Base+"/metrics", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, nil
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type: got %q, want the text exposition format", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return res.StatusCode, fams
}

// sample returns the value of the series of name whose labels include want.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue(), true
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue(), true
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func wantSample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := sample(t, fams, name, labels)
	if !ok {
		t.Errorf("%s%v: no such series", name, labels)
		return
	}
	if got != want {
		t.Errorf("%s%v: got %v, want %v", name, labels, got, want)
	}
}

func metricsEvents(now time.Time) []map[string]any {
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	ev := func(typ, level, job, msg string, when time.Duration, extra map[string]any) map[string]any {
		e := map[string]any{"sourceType": "chief", "eventType": typ, "level": level, "message": msg, "eventAt": at(when)}
		if job != "" {
			e["jobName"] = job
		}
		for k, v := range extra {
			e[k] = v
		}
		return e
	}
	runner := map[string]any{"runner_id": "runner-m1", "host": "batch-07", "pid": 99, "version": "1.0", "mode": "daemon",
		"ping_interval_seconds": 60, "poll_interval_seconds": 10, "config_hash": "h1"}
	return []map[string]any{
		ev("job.started", "INFO", "good-job", "Job started", -3*time.Minute, map[string]any{"runId": "good-1"}),
		ev("job.completed", "INFO", "good-job", "Job completed", -3*time.Minute+2500*time.Millisecond,
			map[string]any{"runId": "good-1", "success": true, "returnCode": 0, "durationMs": 2500}),
		ev("job.started", "INFO", "bad-job", "Job started", -2*time.Minute, map[string]any{"runId": "bad-1"}),
		ev("job.failed", "ERROR", "bad-job", "Job failed", -2*time.Minute+time.Second,
			map[string]any{"runId": "bad-1", "success": false, "returnCode": 1, "durationMs": 1000}),
		ev("job.started", "INFO", "bad-job", "Job started", -time.Minute, map[string]any{"runId": "bad-2"}),
		ev("job.failed", "ERROR", "bad-job", "Job failed", -time.Minute+4*time.Second,
			map[string]any{"runId": "bad-2", "success": false, "returnCode": 1, "durationMs": 4000}),
		ev("chief.heartbeat", "DEBUG", "", "Chief heartbeat", 0, map[string]any{"metadata": runner}),
	}
}

// TestMetricsScrape ingests a success, two failures and a runner heartbeat, then scrapes
// /metrics as Prometheus would and reads the families with Prometheus' own text parser.
func TestMetricsScrape(t *testing.T) {
	p := startMonitor(t, filepath.Join(t.TempDir(), "monitor.sqlite"), "MONITOR_AUTH_ENABLED=false",
		"MONITOR_API_KEY="+metricsAPIKey, "MONITOR_METRICS_TOKEN="+metricsToken)
	events := metricsEvents(time.Now().UTC())
	body, _ := json.Marshal(map[string]any{"events": events})
	if code, out := p.req("POST", "/v1/events/batch", string(body), "x-api-key", metricsAPIKey); code != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", code, out)
	}

	code, fams := scrape(t, p, "Authorization", "Bearer "+metricsToken)
	if code != http.StatusOK {
		t.Fatalf("scrape with the metrics token: status %d", code)
	}
	bad, good := map[string]string{"job": "bad-job"}, map[string]string{"job": "good-job"}
	wantSample(t, fams, "chief_job_up", bad, 0)
	wantSample(t, fams, "chief_job_up", good, 1)
	wantSample(t, fams, "chief_job_consecutive_failures", bad, 2)
	wantSample(t, fams, "chief_job_consecutive_failures", good, 0)
	wantSample(t, fams, "chief_job_status", map[string]string{"job": "bad-job", "status": "failing"}, 1)
	wantSample(t, fams, "chief_job_status", map[string]string{"job": "bad-job", "status": "up"}, 0)
	wantSample(t, fams, "chief_job_status", map[string]string{"job": "good-job", "status": "up"}, 1)
	wantSample(t, fams, "chief_job_last_duration_seconds", bad, 4)
	wantSample(t, fams, "chief_job_last_duration_seconds", good, 2.5)
	wantSample(t, fams, "chief_job_runs_total", map[string]string{"job": "bad-job", "outcome": "failed"}, 2)
	wantSample(t, fams, "chief_job_runs_total", map[string]string{"job": "good-job", "outcome": "succeeded"}, 1)
	if _, ok := sample(t, fams, "chief_job_last_success_timestamp_seconds", bad); ok {
		t.Errorf("bad-job never succeeded but has a last success timestamp")
	}
	if v, ok := sample(t, fams, "chief_job_last_failure_timestamp_seconds", bad); !ok || time.Since(time.Unix(int64(v), 0)) > 5*time.Minute {
		t.Errorf("bad-job last failure: got %v (%v), want about a minute ago", v, ok)
	}
	if v, ok := sample(t, fams, "chief_job_last_success_timestamp_seconds", good); !ok || time.Since(time.Unix(int64(v), 0)) > 5*time.Minute {
		t.Errorf("good-job last success: got %v (%v), want about three minutes ago", v, ok)
	}

	runner := map[string]string{"runner": "runner-m1", "host": "batch-07"}
	wantSample(t, fams, "chief_runner_up", runner, 1)
	if v, ok := sample(t, fams, "chief_runner_last_seen_timestamp_seconds", runner); !ok || time.Since(time.Unix(int64(v), 0)) > time.Minute {
		t.Errorf("runner last seen: got %v (%v), want now", v, ok)
	}

	if v, ok := sample(t, fams, "chief_monitor_events_ingested_total", nil); !ok || v < float64(len(events)) {
		t.Errorf("events ingested: got %v (%v), want >= %d", v, ok, len(events))
	}
	if v, ok := sample(t, fams, "chief_monitor_writer_commit_seconds", nil); !ok || v < 1 {
		t.Errorf("commit histogram count: got %v (%v), want >= 1", v, ok)
	}
	wantSample(t, fams, "chief_monitor_open_alerts", map[string]string{"type": "FAILURE"}, 1)
	wantSample(t, fams, "chief_monitor_open_alerts", map[string]string{"type": "MISSED"}, 0)
	wantSample(t, fams, "chief_monitor_state_up", nil, 1)
	// No e-mail provider is configured: the FAILURE alert's e-mail is recorded as FAILED.
	wantSample(t, fams, "chief_monitor_notifier_pending", nil, 0)
	for _, name := range []string{"chief_monitor_writer_queue_depth", "chief_monitor_evaluator_pass_seconds",
		"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("family %s missing", name)
		}
	}

	// The API key opens it too, in both header forms.
	for _, h := range [][]string{{"x-api-key", metricsAPIKey}, {"Authorization", "Bearer " + metricsAPIKey}} {
		if code, _ := scrape(t, p, h...); code != http.StatusOK {
			t.Errorf("scrape with %s: status %d, want 200", h[0], code)
		}
	}
}

// TestMetricsRefused: /metrics is not open without a credential, or with a wrong one, and the
// metrics token opens /metrics only, not the /v1 API.
func TestMetricsRefused(t *testing.T) {
	p := startMonitor(t, filepath.Join(t.TempDir(), "monitor.sqlite"), "MONITOR_AUTH_ENABLED=false",
		"MONITOR_API_KEY="+metricsAPIKey, "MONITOR_METRICS_TOKEN="+metricsToken)
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"no credential", nil},
		{"wrong bearer token", []string{"Authorization", "Bearer " + metricsToken + "x"}},
		{"wrong api key", []string{"x-api-key", "not-the-key"}},
		{"metrics token as x-api-key", []string{"x-api-key", metricsToken}},
		{"token without Bearer", []string{"Authorization", metricsToken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := p.req("GET", "/metrics", "", tc.headers...)
			if code != http.StatusUnauthorized || body != `{"error":"Unauthorized"}` {
				t.Errorf("got %d %s, want 401 {\"error\":\"Unauthorized\"}", code, body)
			}
		})
	}
	if code, _ := p.req("GET", "/v1/status/jobs", "", "Authorization", "Bearer "+metricsToken); code != http.StatusUnauthorized {
		t.Errorf("/v1 with the metrics token: got %d, want 401", code)
	}
}

// TestMetricsOpenMode: with no key and sign-in off (loopback only), /metrics is open, as /v1 is.
func TestMetricsOpenMode(t *testing.T) {
	port := testutil.FreePort(t)
	p := &proc{Proc: testutil.StartMonitor(t, monitorBin, port, filepath.Join(t.TempDir(), "monitor.sqlite"),
		"MONITOR_AUTH_ENABLED=false"), t: t}
	if code, fams := scrape(t, p); code != http.StatusOK || fams["chief_monitor_state_up"] == nil {
		t.Fatalf("open mode: got %d, want 200 with the monitor's families", code)
	}
}
