package handlers

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/services"
)

// fakeSessions treats a cookie "session=ok" as a signed-in user.
type fakeSessions struct{}

func (fakeSessions) UserFromRequest(c *fiber.Ctx) (string, bool) {
	return "admin@example.org", c.Cookies("session") == "ok"
}

type apiRig struct {
	t   *testing.T
	app *fiber.App
	w   *services.Writer
	now time.Time
}

func newAPI(t *testing.T, opts Options) *apiRig {
	t.Helper()
	st := testutil.NewStore(t)
	r := &apiRig{t: t, now: testutil.Time(t, "2026-03-04T10:00:00Z")}
	r.w = services.NewWriter(st, slog.New(slog.DiscardHandler), services.WriterOptions{})
	r.w.SetClock(func() time.Time { return r.now })
	go r.w.Run()
	t.Cleanup(r.w.Close)
	status := services.NewStatus(st)
	status.SetClock(func() time.Time { return r.now })
	if opts.DBPath == "" {
		opts.DBPath = "/data/monitor.sqlite"
	}
	h := New(opts, st, r.w, status, fakeSessions{})
	h.SetClock(func() time.Time { return r.now })
	r.app = NewApp(h)
	return r
}

type resp struct {
	status int
	body   string
	header http.Header
}

func (r *apiRig) do(method, path, body string, headers ...string) resp {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Cookie" {
			req.AddCookie(&http.Cookie{Name: "session", Value: headers[i+1]})
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := r.app.Test(req, 10_000)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: string(b), header: res.Header}
}

func (r *apiRig) want(got resp, status int, body string) {
	r.t.Helper()
	if got.status != status || (body != "" && got.body != body) {
		r.t.Fatalf("got %d %s\nwant %d %s", got.status, got.body, status, body)
	}
}

func (r *apiRig) wantContains(got resp, status int, parts ...string) {
	r.t.Helper()
	if got.status != status {
		r.t.Fatalf("got status %d (%s), want %d", got.status, got.body, status)
	}
	for _, p := range parts {
		if !strings.Contains(got.body, p) {
			r.t.Fatalf("body %s\ndoes not contain %s", got.body, p)
		}
	}
}

const minimal = `{"sourceType":"chief","eventType":"job.started","level":"INFO","message":"Job started","jobName":"sample-etl-pipeline","runId":"demo-1"}`

func TestHealthIsOpenAndReportsBaseName(t *testing.T) {
	r := newAPI(t, Options{APIKey: "k", AuthEnabled: true})
	got := r.do("GET", "/v1/health", "")
	r.want(got, 200, `{"ok":true,"service":"chief-monitor","now":"2026-03-04T10:00:00.000Z","dbPath":"monitor.sqlite"}`)
	if ct := got.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	r.want(r.do("POST", "/v1/health", ""), 404, `{"error":"Not found"}`)
}

// TestGateMatrix covers the /v1 gate: 4 configurations × {ingest, read} × {none, wrong key, right key, session}.
func TestGateMatrix(t *testing.T) {
	type cfg struct {
		auth bool
		key  string
	}
	creds := []struct {
		name    string
		headers []string
	}{
		{"none", nil},
		{"wrong key", []string{"x-api-key", "nope"}},
		{"right key", []string{"x-api-key", "k"}},
		{"session", []string{"Cookie", "ok", "Origin", "http://example.com"}},
	}
	// want[config][route][cred] = allowed
	tests := []struct {
		cfg    cfg
		ingest [4]bool
		read   [4]bool
	}{
		{cfg{true, ""}, [4]bool{true, true, true, true}, [4]bool{false, false, false, true}},
		{cfg{true, "k"}, [4]bool{false, false, true, false}, [4]bool{false, false, true, true}},
		{cfg{false, ""}, [4]bool{true, true, true, true}, [4]bool{true, true, true, true}},
		{cfg{false, "k"}, [4]bool{false, false, true, false}, [4]bool{false, false, true, false}},
	}
	for _, tc := range tests {
		r := newAPI(t, Options{AuthEnabled: tc.cfg.auth, APIKey: tc.cfg.key})
		for i, c := range creds {
			got := r.do("POST", "/v1/events", minimal, c.headers...)
			if ok := got.status == 202; ok != tc.ingest[i] {
				t.Errorf("auth=%v key=%q ingest with %s: got %d %s", tc.cfg.auth, tc.cfg.key, c.name, got.status, got.body)
			}
			if !tc.ingest[i] && got.body != `{"error":"Unauthorized"}` {
				t.Errorf("401 body: %s", got.body)
			}
			got = r.do("GET", "/v1/status/summary", "", c.headers...)
			if ok := got.status == 200; ok != tc.read[i] {
				t.Errorf("auth=%v key=%q read with %s: got %d %s", tc.cfg.auth, tc.cfg.key, c.name, got.status, got.body)
			}
			if !tc.read[i] && (got.status != 401 || got.body != `{"error":"Unauthorized"}`) {
				t.Errorf("401 body: %d %s", got.status, got.body)
			}
		}
	}
}

func TestGateDetails(t *testing.T) {
	r := newAPI(t, Options{AuthEnabled: true, APIKey: "k", IngestAPIKey: "ingest-only"})
	// a trailing slash or other case still gets the ingest rule.
	r.want(r.do("POST", "/v1/events/", minimal, "x-api-key", "ingest-only"), 202, `{"inserted":1,"dropped":0}`)
	r.want(r.do("POST", "/V1/Events/Batch", "[]", "x-api-key", "ingest-only"), 202, `{"inserted":0,"dropped":0}`)
	// the ingest key opens nothing else.
	r.want(r.do("GET", "/v1/events", "", "x-api-key", "ingest-only"), 401, `{"error":"Unauthorized"}`)
	// 401 comes before 404 on unknown /v1 paths; with credentials it is a JSON 404.
	r.want(r.do("GET", "/v1/nope", ""), 401, `{"error":"Unauthorized"}`)
	r.want(r.do("GET", "/v1/nope", "", "x-api-key", "k"), 404, `{"error":"Not found"}`)
	// a session write needs a same-site Origin; a key write does not.
	r.wantContains(r.do("POST", "/v1/alerts/1/close", "{}", "Cookie", "ok", "Origin", "https://evil.example"), 403, "Invalid origin")
	r.wantContains(r.do("POST", "/v1/alerts/1/close", "{}", "Cookie", "ok"), 403, "Missing Origin")
	r.want(r.do("POST", "/v1/alerts/1/close", "{}", "Cookie", "ok", "Origin", "http://example.com"), 404, `{"error":"Alert not found","alertId":1}`)
	r.want(r.do("POST", "/v1/alerts/1/close", "{}", "x-api-key", "k"), 404, `{"error":"Alert not found","alertId":1}`)
}

func TestBodyParsing(t *testing.T) {
	r := newAPI(t, Options{AuthEnabled: true, APIKey: "k"})
	// Parser errors come before authentication.
	r.want(r.do("POST", "/v1/events", `{"x":`), 400, `{"error":"Malformed JSON in request body"}`)
	r.want(r.do("POST", "/v1/events", `5`), 400, `{"error":"Request body must be a JSON object or array"}`)
	r.want(r.do("POST", "/v1/events", `null`), 400, "")
	// The 2 MB limit (413) is enforced by the HTTP server itself; cmd/monitor's binary test covers it.
	r.want(r.do("POST", "/v1/events", minimal, "Content-Type", "application/json; charset=latin1"), 415, "")
	// gzip bodies are inflated.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(minimal))
	_ = zw.Close()
	req := httptest.NewRequest("POST", "/v1/events", &buf)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("x-api-key", "k")
	res, err := r.app.Test(req)
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("gzip ingest: %v %v", res.StatusCode, err)
	}
	// Content-Encoding: deflate is the zlib format (RFC 1950), as Node's zlib.createInflate reads.
	buf.Reset()
	zl := zlib.NewWriter(&buf)
	_, _ = zl.Write([]byte(minimal))
	_ = zl.Close()
	req = httptest.NewRequest("POST", "/v1/events", &buf)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "deflate")
	req.Header.Set("x-api-key", "k")
	res, err = r.app.Test(req)
	if err != nil || res.StatusCode != 202 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("deflate ingest: %v %v %s", res.StatusCode, err, b)
	}
	// A non-JSON content type counts as {}: the four required fields are missing.
	got := r.do("POST", "/v1/events", "", "x-api-key", "k", "Content-Type", "text/plain")
	r.wantContains(got, 400, `"sourceType":["Required"]`, `"eventType":["Required"]`, `"level":["Required"]`, `"message":["Required"]`)
}

func TestIngestValidation(t *testing.T) {
	r := newAPI(t, Options{})
	tests := []struct {
		name, body string
		status     int
		contains   []string
	}{
		{"minimal", minimal, 202, []string{`{"inserted":1,"dropped":0}`}},
		{"whitespace message is dropped", `{"sourceType":"worker","eventType":"x","level":"INFO","message":"   "}`, 202, []string{`{"inserted":0,"dropped":1}`}},
		{"null jobName", `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","jobName":null}`, 400, []string{`"error":"Invalid event payload"`, `"jobName":["Expected string, received null"]`}},
		{"bad enum", `{"sourceType":"agent","eventType":"x","message":"m"}`, 400, []string{`"sourceType":["Invalid enum value. Expected 'chief' | 'worker' | 'monitor', received 'agent'"]`, `"level":["Required"]`}},
		{"string success", `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","success":"true"}`, 400, []string{`"success":["Expected boolean, received string"]`}},
		{"float return code", `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","returnCode":1.5}`, 400, []string{`"returnCode":["Expected integer, received float"]`}},
		{"array metadata", `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","metadata":[1]}`, 400, []string{`"metadata":["Expected object, received array"]`}},
		{"empty message", `{"sourceType":"chief","eventType":"x","level":"INFO","message":""}`, 400, []string{`"message":["String must contain at least 1 character(s)"]`}},
		{"lower-case level", `{"sourceType":"chief","eventType":"x","level":"info","message":"m"}`, 400, []string{`"level":["Invalid enum value`}},
		{"bare array", `[]`, 400, []string{`"formErrors":["Expected object, received array"]`}},
		{"event id too long", `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","eventId":"` + strings.Repeat("e", 129) + `"}`, 400, []string{`"eventId":["String must contain at most 128 character(s)"]`}},
		{"metadata over 64 KB", `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","metadata":{"a":"` + strings.Repeat("x", 65536) + `"}}`, 400, []string{`"metadata":["Metadata must be at most 65536 bytes of JSON"]`}},
		{"unknown keys are stripped", `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","extra":1}`, 202, []string{`"inserted":1`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.wantContains(r.do("POST", "/v1/events", tc.body), tc.status, tc.contains...)
		})
	}
}

func TestBatchIngest(t *testing.T) {
	r := newAPI(t, Options{})
	ok := `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","jobName":"j"}`
	r.want(r.do("POST", "/v1/events/batch", `[`+ok+`,`+ok+`]`), 202, `{"inserted":2,"dropped":0}`)
	r.want(r.do("POST", "/v1/events/batch", `{"events":[`+ok+`],"other":1}`), 202, `{"inserted":1,"dropped":0}`)
	r.want(r.do("POST", "/v1/events/batch", `[]`), 202, `{"inserted":0,"dropped":0}`)
	// One bad element rejects the whole batch and nothing is stored.
	got := r.do("POST", "/v1/events/batch", `[`+ok+`,{"sourceType":"chief","eventType":"x","level":"LOUD","message":"m"}]`)
	r.wantContains(got, 400, `"error":"Invalid batch payload"`, `"formErrors":["Invalid input"],"fieldErrors":{}`, `"path":"1.level"`)
	r.wantContains(r.do("POST", "/v1/events/batch", `[{"sourceType":"chief","eventType":"x","level":"INFO","message":""}]`),
		400, `"fieldErrors":{"0":["String must contain at least 1 character(s)"]}`)
	r.wantContains(r.do("POST", "/v1/events/batch", `{"events":[{"sourceType":"chief","eventType":"x","level":"INFO","message":""}]}`),
		400, `"fieldErrors":{"events":["String must contain at least 1 character(s)"]}`)
	r.wantContains(r.do("POST", "/v1/events/batch", `{"evts":[]}`), 400, `"formErrors":["Invalid input"]`)
	got = r.do("GET", "/v1/events?limit=1000", "")
	var list struct{ Events []json.RawMessage }
	_ = json.Unmarshal([]byte(got.body), &list)
	if len(list.Events) != 3 {
		t.Fatalf("stored %d events, want 3", len(list.Events))
	}
}

func TestQueriesAndShapes(t *testing.T) {
	r := newAPI(t, Options{})
	r.do("POST", "/v1/events/batch", `[
	 {"sourceType":"chief","eventType":"job.failed","level":"ERROR","message":"Job j failed.","jobName":"j","runId":"j:1","eventAt":"2026-03-04T09:00:00.118220+00:00","returnCode":2,"metadata":{"b":1,"a":2.50}},
	 {"sourceType":"worker","eventType":"worker.message","level":"WARN","message":"slow","jobName":"j","scriptPath":"w.py","eventAt":"2026-03-04T09:30:00Z"},
	 {"sourceType":"chief","eventType":"chief.heartbeat","level":"INFO","message":"hb","eventAt":"2026-03-04T09:59:50Z","metadata":{"ping_interval_seconds":15,"mode":"daemon"}}]`)
	r.want(r.do("GET", "/v1/events?jobName=j&limit=1", ""), 200, `{"events":[{"id":2,"receivedAt":"2026-03-04T10:00:00.000Z","eventAt":"2026-03-04T09:30:00Z","sourceType":"worker","eventType":"worker.message","level":"WARN","message":"slow","jobName":"j","scriptPath":"w.py","runId":null,"scheduledFor":null,"success":null,"returnCode":null,"durationMs":null,"metadataJson":"{}","metadata":{}}],"limit":1,"offset":0}`)
	r.wantContains(r.do("GET", "/v1/events?level=ERROR", ""), 200, `"metadataJson":"{\"b\":1,\"a\":2.50}","metadata":{"b":1,"a":2.50}`)
	r.wantContains(r.do("GET", "/v1/events?from=2026-03-04T09:15:00Z&to=2026-03-04T09:45:00%2B00:00", ""), 200, `"message":"slow"`)
	if got := r.do("GET", "/v1/events?from=2026-03-04T09:45:00Z", ""); strings.Contains(got.body, "slow") || !strings.Contains(got.body, `"hb"`) {
		t.Fatalf("from filter: %s", got.body)
	}
	// Pagination: fallbacks, clamps and echoes.
	for q, want := range map[string]string{"limit=0": `"limit":100,"offset":0`, "limit=-5": `"limit":100`, "limit=abc": `"limit":100`,
		"limit=1&limit=2": `"limit":100`, "limit=5000": `"limit":1000`, "limit=25abc&offset=1.9": `"limit":25,"offset":1`,
		"offset=2000000": `"offset":1000000`,
		// parseInt skips leading white space; "+" in a query is a space.
		"limit=%207&offset=+3": `"limit":7,"offset":3`} {
		r.wantContains(r.do("GET", "/v1/events?"+q, ""), 200, want)
		r.wantContains(r.do("GET", "/v1/alerts?"+q, ""), 200, want)
	}
	r.want(r.do("GET", "/v1/status/summary", ""), 200, `{"checks":[{"status":"UP","count":1}],"activeAlerts":[{"alertType":"FAILURE","count":1}],"totalEvents":3,"latestEventAt":"2026-03-04T09:59:50Z","chief":{"online":true,"lastHeartbeatAt":"2026-03-04T09:59:50Z","pingIntervalSeconds":15,"offlineAfterSeconds":30}}`)
	r.wantContains(r.do("GET", "/v1/status/jobs", ""), 200, `{"jobs":[{"jobName":"j","enabled":true,"alertOnFailure":true,"alertOnMiss":true,"graceSeconds":120,"status":"UP","lastHeartbeatAt":"2026-03-04T09:00:00.118220+00:00","expectedNextAt":null,"lastSuccessAt":null,"lastFailureAt":"2026-03-04T09:00:00.118220+00:00","consecutiveFailures":1,"updatedAt":"2026-03-04T10:00:00.000Z","latestEvent":{"id":2,`,
		// latestEvent is the whole event row: the original's five keys and, additively, the rest.
		`"eventAt":"2026-03-04T09:30:00Z","sourceType":"worker","eventType":"worker.message","level":"WARN","message":"slow","jobName":"j"`,
		`"success":null,"returnCode":null,"durationMs":null,"metadataJson":"{}","metadata":{}},`,
		// health and the last run are additive: the job's last outcome failed.
		`"health":"failing","lastRun":{"runId":"j:1","jobName":"j"`, `"status":"failed"`)
	r.want(r.do("GET", "/v1/status/jobs/does-not-exist", ""), 404, `{"error":"Job not found in check state","jobName":"does-not-exist"}`)
	r.wantContains(r.do("GET", "/v1/status/jobs/j", ""), 200, `{"check":{"jobName":"j"`, `"events":[{"id":2`, `"openAlerts":[{"id":1,"jobName":"j","alertType":"FAILURE","severity":"ERROR","status":"OPEN","openedAt":"2026-03-04T10:00:00.000Z","closedAt":null,"dedupeKey":"j:FAILURE","title":"Job j failed","detailsJson":"{\"eventType\":\"job.failed\",\"returnCode\":2,\"runId\":\"j:1\"}","details":{"eventType":"job.failed","returnCode":2,"runId":"j:1"}`)
	r.wantContains(r.do("GET", "/v1/alerts?status=OPEN&alertType=FAILURE&jobName=j&severity=ERROR", ""), 200, `"id":1`)
	r.want(r.do("GET", "/v1/alerts?status=open", ""), 200, `{"alerts":[],"limit":100,"offset":0}`)
	r.wantContains(r.do("GET", "/v1/alerts/1/deliveries", ""), 200, `{"deliveries":[{"id":1,"alertId":1,"channel":"webhook"`, `"status":"STUB"`)
	r.want(r.do("GET", "/v1/alerts/99/deliveries", ""), 404, `{"error":"Alert not found","alertId":99}`)
	// Presence: offline once twice the interval has passed.
	r.now = r.now.Add(21 * time.Second)
	r.wantContains(r.do("GET", "/v1/status/summary", ""), 200, `"chief":{"online":false`)
}

func TestEmptySummary(t *testing.T) {
	r := newAPI(t, Options{})
	r.want(r.do("GET", "/v1/status/summary", ""), 200, `{"checks":[],"activeAlerts":[],"totalEvents":0,"latestEventAt":null,"chief":{"online":false,"lastHeartbeatAt":null,"pingIntervalSeconds":null,"offlineAfterSeconds":45}}`)
	r.want(r.do("GET", "/v1/status/jobs", ""), 200, `{"jobs":[]}`)
	r.want(r.do("GET", "/v1/events", ""), 200, `{"events":[],"limit":100,"offset":0}`)
}

func TestPresenceIntervals(t *testing.T) {
	tests := []struct {
		name, meta string
		age        time.Duration
		want       string
	}{
		{"interval 15 online within 30 s", `{"ping_interval_seconds":15}`, 30 * time.Second, `"online":true,"lastHeartbeatAt":"2026-03-04T09:59:30.000Z","pingIntervalSeconds":15,"offlineAfterSeconds":30`},
		{"interval 15 offline after 30 s", `{"ping_interval_seconds":15}`, 31 * time.Second, `"online":false`},
		{"no interval: 45 s", `{}`, 45 * time.Second, `"online":true,"lastHeartbeatAt":"2026-03-04T09:59:15.000Z","pingIntervalSeconds":null,"offlineAfterSeconds":45`},
		{"interval 1: the 5 s minimum", `{"ping_interval_seconds":"1"}`, 5 * time.Second, `"pingIntervalSeconds":1,"offlineAfterSeconds":5`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newAPI(t, Options{})
			at := r.now.Add(-tc.age).Format("2006-01-02T15:04:05.000Z")
			r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"chief.heartbeat","level":"INFO","message":"hb","eventAt":"`+at+`","metadata":`+tc.meta+`}`)
			r.wantContains(r.do("GET", "/v1/status/summary", ""), 200, tc.want)
		})
	}
}

func TestCloseAlert(t *testing.T) {
	r := newAPI(t, Options{AuthEnabled: false, APIKey: "k"})
	r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.failed","level":"ERROR","message":"f","jobName":"j"}`, "x-api-key", "k")
	for _, id := range []string{"0", "-1", "abc", "1abc"} {
		r.want(r.do("POST", "/v1/alerts/"+id+"/close", "", "x-api-key", "k"), 400, `{"error":"alertId must be a positive integer"}`)
	}
	r.want(r.do("POST", "/v1/alerts/9999/close", "", "x-api-key", "k"), 404, `{"error":"Alert not found","alertId":9999}`)
	r.wantContains(r.do("POST", "/v1/alerts/1/close", `{"reason":"   "}`, "x-api-key", "k"), 400,
		`{"error":"Invalid close payload","details":{"formErrors":[],"fieldErrors":{"reason":["String must contain at least 1 character(s)"]}`)
	r.wantContains(r.do("POST", "/v1/alerts/1/close", `{"reason":5}`, "x-api-key", "k"), 400, `"reason":["Expected string, received number"]`)
	r.wantContains(r.do("POST", "/v1/alerts/1/close", `[]`, "x-api-key", "k"), 400, `"formErrors":["Expected object, received array"]`)
	r.wantContains(r.do("POST", "/v1/alerts/1/close", `{"reason":"`+strings.Repeat("r", 201)+`"}`, "x-api-key", "k"), 400, "at most 200")
	// 101 emoji are 202 UTF-16 code units: over the limit, as zod counts them.
	r.wantContains(r.do("POST", "/v1/alerts/1/close", `{"reason":"`+strings.Repeat("\U0001F600", 101)+`"}`, "x-api-key", "k"), 400, "at most 200")
	r.want(r.do("POST", "/v1/alerts/1/close", "", "x-api-key", "k"), 200, `{"found":true,"updated":true,"reason":"manual","alert":{"id":1,"status":"CLOSED","closedAt":"2026-03-04T10:00:00.000Z"}}`)
	r.now = r.now.Add(time.Minute)
	r.want(r.do("POST", "/v1/alerts/1/close", `{"reason":" resolved by on-call "}`, "x-api-key", "k"), 200, `{"found":true,"updated":false,"reason":"resolved by on-call","alert":{"id":1,"status":"CLOSED","closedAt":"2026-03-04T10:00:00.000Z"}}`)
	r.wantContains(r.do("GET", "/v1/alerts", "", "x-api-key", "k"), 200, `"closedReason":"manual","closedBy":"api-key"`)
}

// A panic in a handler (here: a status service that is missing) answers 500 and is logged; the
// service keeps serving the next requests.
func TestPanicInHandlerIsA500(t *testing.T) {
	st := testutil.NewStore(t)
	w := services.NewWriter(st, slog.New(slog.DiscardHandler), services.WriterOptions{})
	go w.Run()
	t.Cleanup(w.Close)
	var logs bytes.Buffer
	h := New(Options{DBPath: "/data/monitor.sqlite", Logger: slog.New(slog.NewTextHandler(&logs, nil))}, st, w, nil, fakeSessions{})
	r := &apiRig{t: t, app: NewApp(h)}
	r.want(r.do("GET", "/v1/status/summary", ""), 500, `{"error":"Internal Server Error"}`)
	if !strings.Contains(logs.String(), "panic: runtime error") {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}
	r.wantContains(r.do("GET", "/v1/health", ""), 200, `"ok":true`)
}
