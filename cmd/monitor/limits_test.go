package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/internal/testutil"
)

// placeholders writes a query's "?" placeholders as $n on PostgreSQL.
func placeholders(q string) string {
	if testutil.PostgresURL() == "" {
		return q
	}
	for n := 1; strings.Contains(q, "?"); n++ {
		q = strings.Replace(q, "?", fmt.Sprintf("$%d", n), 1)
	}
	return q
}

// A row stored before the input limits (written here straight into the database) is shown
// bounded by every list, status answer and page.
func TestOversizeStoredRowIsShownBounded(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.sqlite")
	p := startMonitor(t, db, "MONITOR_AUTH_ENABLED=false") // no key: the pages are open too
	key := []string{"x-api-key", "k"}
	if code, body := p.req("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.started","level":"INFO","message":"m","jobName":"big"}`, key...); code != 202 {
		t.Fatalf("ingest: %d %s", code, body)
	}
	message := "a" + strings.Repeat("é", 500_000) // the cap falls inside a two-byte character
	metadata := `{"blob":"` + strings.Repeat("x", 1_000_000) + `"}`
	now := time.Now().UTC()
	sqlDB := testutil.OpenSQL(t, db)
	var id int64
	err := sqlDB.QueryRow(placeholders(`INSERT INTO telemetry_events (received_at, event_at, event_at_ms, source_type, event_type, level, message, job_name, metadata_json)
		VALUES (?, ?, ?, 'chief', 'job.failed', 'ERROR', ?, 'big', ?) RETURNING id`),
		telemetry.ServerTime(now), telemetry.ServerTime(now), now.UnixMilli()+1000, message, metadata).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec(placeholders(`UPDATE check_states SET latest_event_id = ?, latest_event_ms = ? WHERE job_name = 'big'`), id, now.UnixMilli()+1000); err != nil {
		t.Fatal(err)
	}

	cut := telemetry.MaxMessageBytes - 1 // back to the start of the split character
	wantMessage := message[:cut] + fmt.Sprintf("… [truncated %d bytes]", len(message)-cut)
	wantMeta := fmt.Sprintf(`{"truncated":true,"bytes":%d}`, len(metadata))
	type row struct {
		Message      string
		MetadataJSON string
		Metadata     json.RawMessage
	}
	check := func(what string, r row, withMeta bool) {
		t.Helper()
		if r.Message != wantMessage || !utf8.ValidString(r.Message) {
			t.Errorf("%s: message of %d bytes ends %q", what, len(r.Message), r.Message[max(0, len(r.Message)-40):])
		}
		if withMeta && (r.MetadataJSON != wantMeta || string(r.Metadata) != wantMeta) {
			t.Errorf("%s: metadata %.80s / %.80s", what, r.MetadataJSON, r.Metadata)
		}
	}
	get := func(path string, limit int) string {
		t.Helper()
		code, body := p.req("GET", path, "", key...)
		if code != 200 || len(body) > limit {
			t.Fatalf("GET %s: %d, %d bytes (limit %d)", path, code, len(body), limit)
		}
		return body
	}

	var list struct{ Events []row }
	_ = json.Unmarshal([]byte(get("/v1/events", 40_000)), &list)
	check("/v1/events", list.Events[0], true)
	var jobs struct{ Jobs []struct{ LatestEvent row } }
	_ = json.Unmarshal([]byte(get("/v1/status/jobs", 20_000)), &jobs)
	check("/v1/status/jobs", jobs.Jobs[0].LatestEvent, false)
	var job struct{ Events []row }
	_ = json.Unmarshal([]byte(get("/v1/status/jobs/big", 40_000)), &job)
	check("/v1/status/jobs/big", job.Events[0], true)
	for _, page := range []string{"/events", "/jobs/big", "/partials/events/table", "/partials/jobs/big/detail"} {
		if body := get(page, 120_000); !strings.Contains(body, "… [truncated ") || !strings.Contains(body, "&#34;truncated&#34;: true") {
			t.Errorf("%s does not show the truncated row", page)
		}
	}
}

// NUL cannot be stored in PostgreSQL text, so it is refused on every backend with a 400 naming
// the field (a 5xx would make Chief retry the event forever), and ingest goes on.
func TestNULIsA400OnEveryBackend(t *testing.T) {
	p := startMonitor(t, filepath.Join(t.TempDir(), "m.sqlite"), "MONITOR_AUTH_ENABLED=false", "MONITOR_API_KEY=k")
	key := []string{"x-api-key", "k"}
	for field, body := range map[string]string{
		"jobName":  `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","jobName":"a\u0000b"}`,
		"message":  `{"sourceType":"chief","eventType":"x","level":"INFO","message":"\u0000"}`,
		"metadata": `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","metadata":{"k\u0000":"v"}}`,
	} {
		if code, got := p.req("POST", "/v1/events", body, key...); code != 400 || !strings.Contains(got, `"fieldErrors":{"`+field+`":[`) {
			t.Errorf("NUL in %s: %d %s", field, code, got)
		}
		if code, got := p.req("POST", "/v1/events/batch", "["+body+"]", key...); code != 400 || !strings.Contains(got, `"path":"0.`+field+`"`) {
			t.Errorf("NUL in %s, batch: %d %s", field, code, got)
		}
	}
	if code, got := p.req("POST", "/v1/events", `{"sourceType":"chief","eventType":"x","level":"INFO","message":"after"}`, key...); code != 202 {
		t.Fatalf("ingest after the refused events: %d %s", code, got)
	}
}
