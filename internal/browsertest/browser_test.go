package browsertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/gulag/chief-monitor/internal/testutil"
)

// monitor is the running binary under test.
type monitor struct {
	base          string
	email, passwd string
}

var (
	chromiumPath string
	mon          *monitor
)

func TestMain(m *testing.M) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			chromiumPath = p
			break
		}
	}
	if chromiumPath == "" {
		fmt.Println("browsertest: no chromium binary on PATH (apt-get install chromium); skipping the browser tests")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "monitor-browsertest")
	if err != nil {
		fmt.Println("browsertest:", err)
		os.Exit(1)
	}
	stop, err := startMonitor(dir)
	code := 1
	if err != nil {
		fmt.Println("browsertest:", err)
	} else {
		code = m.Run()
		stop()
	}
	_ = os.RemoveAll(dir) // temp files; nothing to report
	os.Exit(code)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// startMonitor builds ./cmd/monitor and runs it on a free loopback port with a fresh database
// and a random admin password.
func startMonitor(dir string) (stop func(), err error) {
	bin, err := testutil.BuildBinary(dir, testutil.MonitorPkg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	mon = &monitor{base: "http://127.0.0.1:" + strconv.Itoa(port), email: "admin@example.org", passwd: "pw-" + randomHex(8)}
	p, err := testutil.Launch(bin, port, dir, []string{"MONITOR_DB_PATH=" + filepath.Join(dir, "monitor.sqlite"),
		"MONITOR_AUTH_ENABLED=true", "MONITOR_AUTH_SECRET=" + randomHex(16), "MONITOR_AUTH_ADMIN_EMAIL=" + mon.email,
		"MONITOR_AUTH_ADMIN_PASSWORD=" + mon.passwd, "MONITOR_API_KEY="})
	if err != nil {
		return nil, err
	}
	return p.Stop, nil
}

// ingest posts events to /v1/events/batch as Chief would.
func ingest(t *testing.T, events ...map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"events": events})
	res, err := http.Post(mon.base+"/v1/events/batch", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("ingest: status %d", res.StatusCode)
	}
}

func ev(typ, level, job, msg string, at time.Time, extra map[string]any) map[string]any {
	e := map[string]any{"sourceType": "chief", "eventType": typ, "level": level, "message": msg,
		"eventAt": at.UTC().Format(time.RFC3339Nano)}
	if job != "" {
		e["jobName"] = job
	}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

// seedHistory gives the pages something to show: a day of runs of three jobs, a failure, and a
// Chief heartbeat.
func seedHistory(t *testing.T, now time.Time) {
	var events []map[string]any
	jobs := []string{"nightly-backup", "sample-etl-pipeline", "report-mailer"}
	for h := 23; h >= 1; h-- {
		at := now.Add(-time.Duration(h) * time.Hour)
		for i, job := range jobs {
			start := at.Add(time.Duration(i*7) * time.Minute)
			dur := int64(800 + (h*137+i*911)%9000)
			events = append(events,
				ev("job.started", "INFO", job, "Job started", start, map[string]any{"runId": job + "-" + strconv.Itoa(h)}),
				ev("worker.message", "DEBUG", job, "Processed batch", start.Add(time.Second), nil),
				ev("job.completed", "INFO", job, "Job completed", start.Add(time.Duration(dur)*time.Millisecond),
					map[string]any{"durationMs": dur, "success": true, "returnCode": 0, "runId": job + "-" + strconv.Itoa(h)}))
			if h%6 == 0 && i == 1 {
				events = append(events, ev("worker.message", "WARN", job, "Slow upstream response", start.Add(2*time.Second), nil))
			}
		}
	}
	fail := map[string]any{"runId": "report-mailer-fail"}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{"runId": "report-mailer-fail"}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	runner := map[string]any{"runner_id": "runner-1", "host": "batch-01", "pid": 4242, "version": "1.0", "mode": "daemon",
		"ping_interval_seconds": 600, "poll_interval_seconds": 10, "config_hash": "abc"}
	spec := func(name, text string) map[string]any {
		return map[string]any{"name": name, "enabled": true, "schedule_text": text, "scripts": []any{}}
	}
	events = append(events,
		ev("chief.config", "INFO", "", "Configuration loaded: 3 jobs", now.Add(-11*time.Minute), map[string]any{"metadata": map[string]any{
			"runner_id": "runner-1", "host": "batch-01", "mode": "daemon", "config_hash": "abc", "parts": 1, "part": 1,
			"jobs": []any{spec("nightly-backup", "Runs daily at 02:00 (UTC)"), spec("sample-etl-pipeline", "Runs every hour"),
				spec("report-mailer", "Runs every hour at :50")}}}),
		ev("job.started", "INFO", "report-mailer", "Job started", now.Add(-10*time.Minute), with(map[string]any{"metadata": map[string]any{"trigger": "schedule", "runner_id": "runner-1"}})),
		ev("script.started", "INFO", "report-mailer", "Script started: workers/render.py", now.Add(-10*time.Minute), with(map[string]any{"scriptPath": "workers/render.py"})),
		ev("script.completed", "INFO", "report-mailer", "Script completed: workers/render.py", now.Add(-9*time.Minute-50*time.Second),
			with(map[string]any{"scriptPath": "workers/render.py", "success": true, "returnCode": 0, "durationMs": 10000})),
		ev("script.started", "INFO", "report-mailer", "Script started: workers/send.py", now.Add(-9*time.Minute-50*time.Second), with(map[string]any{"scriptPath": "workers/send.py"})),
		ev("worker.message", "WARN", "report-mailer", "Retrying the SMTP relay", now.Add(-9*time.Minute-30*time.Second), fail),
		ev("script.completed", "ERROR", "report-mailer", "Script failed: workers/send.py (code=2)", now.Add(-9*time.Minute),
			with(map[string]any{"scriptPath": "workers/send.py", "success": false, "returnCode": 2, "durationMs": 50000,
				"metadata": map[string]any{"stderr_tail": "Traceback (most recent call last):\n  File \"send.py\", line 41, in <module>\n" +
					"smtplib.SMTPConnectError: (421, 'relay.example.org refused the connection')\n", "stdout_tail": "rendering 12 reports\nsending\n"}})),
		ev("job.failed", "ERROR", "report-mailer", "SMTP relay refused the connection", now.Add(-9*time.Minute),
			with(map[string]any{"durationMs": 60000, "success": false, "returnCode": 2})),
		ev("job.next_scheduled", "INFO", "nightly-backup", "Next run scheduled", now.Add(-time.Minute),
			map[string]any{"metadata": map[string]any{"next_run_at": now.Add(6 * time.Hour).UTC().Format(time.RFC3339)}}),
		ev("chief.heartbeat", "DEBUG", "", "Chief heartbeat", now, map[string]any{"metadata": runner}),
	)
	ingest(t, events...)
}

// screenshot saves the current page as docs/screenshots/<name>.png when UPDATE_SCREENSHOTS=1.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name+".png"), png, 0o644); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	must(t, "text of "+css, err)
	return strings.TrimSpace(s)
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	must(t, js, err)
	return v
}

// TestDashboardInBrowser is one user's session, step by step.
func TestDashboardInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	now := time.Now().UTC()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Collect CSP violations, uncaught script errors and console errors for the whole session.
	var mu sync.Mutex
	var problems []string
	must(t, "listen", chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *cdplog.EventEntryAdded:
			if strings.Contains(e.Entry.Text, "Content Security Policy") || e.Entry.Level == cdplog.EntryLevelError && e.Entry.Source == cdplog.EntrySourceJavascript {
				problems = append(problems, e.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value))
				}
				problems = append(problems, "console.error "+strings.Join(parts, " "))
			}
		}
	}))
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("browser console: %s", p)
		}
	})

	// Signed out, every page leads to /login with next.
	must(t, "open /jobs", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/jobs"), chromedp.WaitVisible(css(`[data-testid="login"]`))))
	if loc := eval[string](t, ctx, `location.pathname + location.search`); loc != "/login?next=%2Fjobs" {
		t.Fatalf("redirect: got %q", loc)
	}
	screenshot(t, ctx, "login")

	// Sign in with the form.
	must(t, "sign in", chromedp.Do(ctx,
		chromedp.SendKeys(css(`[data-testid="login-email"]`), mon.email),
		chromedp.SendKeys(css(`[data-testid="login-password"]`), mon.passwd),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="jobs-table"]`)),
	))
	if got := text(t, ctx, `[data-testid="user-email"]`); got != mon.email {
		t.Errorf("signed in as %q", got)
	}
	if got := text(t, ctx, `[data-testid="empty-state"] strong`); got != "No jobs" {
		t.Errorf("empty jobs page: got %q", got)
	}

	// A job appears after an ingest, without reloading the page (the 10 s poll).
	eval[bool](t, ctx, `window.__noReload = true`)
	ingest(t, ev("job.started", "INFO", "browser-job", "Job started", now.Add(-2*time.Minute), nil))
	must(t, "wait for the polled row", chromedp.Do(ctx, chromedp.WaitVisible(css(`[data-testid="job-row"][data-job="browser-job"]`))))
	if !eval[bool](t, ctx, `window.__noReload === true`) {
		t.Errorf("the page reloaded")
	}

	// A message with markup is shown as text, never run.
	evil := `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`
	ingest(t, ev("job.failed", "ERROR", "browser-job", "boom "+evil, now.Add(-time.Minute), map[string]any{"durationMs": 1234}))
	seedHistory(t, now)

	// Filter events on submit; the filter lands in the URL and resets to page 1.
	must(t, "events", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/events?page=3"), chromedp.WaitVisible(css(`[data-testid="events-filters"]`))))
	must(t, "filter", chromedp.Do(ctx, chromedp.SendKeys(css(`[data-testid="events-filters"] input[name="jobName"]`), "browser-job")))
	_, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="events-filters"] button[type="submit"]`)))
	must(t, "apply filters", err)
	if loc := eval[string](t, ctx, `location.search`); loc != "?jobName=browser-job&scriptPath=&level=&eventType=&tag=&from=&to=" {
		t.Errorf("filter URL: got %q", loc)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="event-row"]').length`); n != 2 {
		t.Errorf("filtered rows: got %d, want 2", n)
	}
	msg := text(t, ctx, `[data-testid="event-message"]`)
	if msg != "boom "+evil {
		t.Errorf("message: got %q, want the markup as text", msg)
	}
	if eval[bool](t, ctx, `typeof window.__xss !== "undefined" || document.querySelector('[data-testid="events-table"] img') !== null`) {
		t.Errorf("user markup was executed or rendered")
	}

	// Close an alert in place (htmx swaps the row).
	must(t, "alerts", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/alerts?jobName=browser-job&status=OPEN"),
		chromedp.WaitVisible(css(`[data-testid="close-button"]`))))
	screenshot(t, ctx, "alerts")
	must(t, "close", chromedp.Do(ctx,
		chromedp.SendKeys(css(`[data-testid="close-form"] input[name="reason"]`), "fixed in browser test"),
		chromedp.Click(css(`[data-testid="close-button"]`)),
		chromedp.WaitVisible(css(`[data-testid="closed-info"]`)),
	))
	if got := text(t, ctx, `[data-testid="closed-info"]`); got != "closed by "+mon.email+" (fixed in browser test)" {
		t.Errorf("closed row: got %q", got)
	}

	// The other pages render with data (and feed the screenshots).
	for _, p := range []struct{ name, path, ready string }{
		{"overview", "/", `[data-testid="events-per-hour-svg"]`},
		{"jobs", "/jobs", `[data-testid="job-row"]`},
		{"job-detail", "/jobs/report-mailer", `[data-testid="run-durations-svg"]`},
		{"run", "/runs/report-mailer-fail", `[data-testid="script-timeline"]`},
		{"events", "/events", `[data-testid="event-row"]`},
		{"settings", "/settings", `[data-testid="settings-form"]`},
		{"not-found", "/no-such-page", `[data-testid="not-found"]`},
	} {
		must(t, p.name, chromedp.Do(ctx, chromedp.Navigate(mon.base+p.path), chromedp.WaitVisible(css(p.ready))))
		screenshot(t, ctx, p.name)
	}
	if got := text(t, ctx, `[data-testid="not-found"] h1`); got != "Page not found" {
		t.Errorf("404 page: got %q", got)
	}
	// The answer first: the failing job, its error line and its run.
	must(t, "jobs", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/jobs"), chromedp.WaitVisible(css(`[data-testid="job-row"]`))))
	if got := text(t, ctx, `[data-testid="job-row"][data-job="report-mailer"] [data-testid="health"]`); got != "FAILING" {
		t.Errorf("report-mailer health: got %q", got)
	}
	if got := text(t, ctx, `[data-testid="job-row"][data-job="report-mailer"] [data-testid="job-error"]`); got != "smtplib.SMTPConnectError: (421, 'relay.example.org refused the connection')" {
		t.Errorf("report-mailer error line: got %q", got)
	}
	if got := text(t, ctx, `[data-testid="job-row"][data-job="report-mailer"] [data-testid="job-owner"]`); got != "on batch-01" {
		t.Errorf("report-mailer owner: got %q", got)
	}
	must(t, "run page", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/runs/report-mailer-fail"), chromedp.WaitVisible(css(`[data-testid="run-stderr"]`))))
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="script-timeline"] rect').length`); n != 2 {
		t.Errorf("script bars: got %d, want 2", n)
	}
	if got := text(t, ctx, `[data-testid="run-error"]`); got != "smtplib.SMTPConnectError: (421, 'relay.example.org refused the connection')" {
		t.Errorf("run error: got %q", got)
	}

	// Sign out: back to /login, and the pages are closed again.
	must(t, "sign out", chromedp.Do(ctx, chromedp.Click(css(`[data-testid="sign-out"]`)), chromedp.WaitVisible(css(`[data-testid="login"]`))))
	must(t, "after sign-out", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/alerts"), chromedp.WaitVisible(css(`[data-testid="login"]`))))
}

// TestWorksWithoutJavaScript signs in, filters, closes an alert and signs out with scripts off:
// every page and form is plain HTML first.
func TestWorksWithoutJavaScript(t *testing.T) {
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	noJS := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	ingest(t, ev("job.failed", "ERROR", "nojs-job", "failed without js", time.Now().Add(-time.Minute), nil))

	must(t, "open alerts", chromedp.Do(ctx, noJS, chromedp.Navigate(mon.base+"/alerts?jobName=nojs-job&status=OPEN"),
		chromedp.WaitVisible(css(`[data-testid="login"]`)),
		chromedp.SendKeys(css(`[data-testid="login-email"]`), mon.email),
		chromedp.SendKeys(css(`[data-testid="login-password"]`), mon.passwd)))
	_, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="login-submit"]`)))
	must(t, "sign in", err)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(t, "location", err)
	if want := mon.base + "/alerts?jobName=nojs-job&status=OPEN"; loc != want {
		t.Fatalf("after sign-in: got %q, want %q", loc, want)
	}
	if got := text(t, ctx, `[data-testid="alert-row"] time`); !strings.HasSuffix(got, " UTC") {
		t.Errorf("time without JS: got %q, want the UTC fallback", got)
	}

	_, err = chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="close-button"]`)))
	must(t, "close", err)
	loc, err = chromedp.Run(ctx, chromedp.Location())
	must(t, "location", err)
	if want := mon.base + "/alerts?jobName=nojs-job&status=OPEN"; loc != want {
		t.Errorf("after close: got %q, want the same filtered page %q", loc, want)
	}
	if got := text(t, ctx, `[data-testid="empty-state"] strong`); got != "No alerts" {
		t.Errorf("after close: got %q, want the empty state", got)
	}

	_, err = chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="sign-out"]`)))
	must(t, "sign out", err)
	must(t, "login again", chromedp.Do(ctx, chromedp.WaitVisible(css(`[data-testid="login"]`))))
}

// TestLiveRefreshKeepsPlace: the 10 s poll re-renders a table region, but keeps the user's
// horizontal scroll in a wide table (phones) and a close reason typed into a field that has
// lost the focus.
func TestLiveRefreshKeepsPlace(t *testing.T) {
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	ingest(t, ev("job.failed", "ERROR", "refresh-job", "failed for the refresh test", time.Now().Add(-time.Minute), nil))
	must(t, "sign in", chromedp.Do(ctx, chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(mon.base+"/login?next="+url.QueryEscape("/alerts?jobName=refresh-job&status=OPEN")),
		chromedp.WaitVisible(css(`[data-testid="login"]`)),
		chromedp.SendKeys(css(`[data-testid="login-email"]`), mon.email),
		chromedp.SendKeys(css(`[data-testid="login-password"]`), mon.passwd),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="close-form"] input[name="reason"]`)),
		chromedp.SendKeys(css(`[data-testid="close-form"] input[name="reason"]`), "half-typed reason"),
	))
	before := eval[int](t, ctx, `(function () {
		document.activeElement.blur();
		window.__swaps = 0;
		document.addEventListener("htmx:afterSwap", function () { window.__swaps++; });
		var w = document.querySelector("#alerts-table .table-wrap");
		w.scrollLeft = 200;
		return w.scrollLeft;
	})()`)
	if before < 100 {
		t.Fatalf("the alerts table does not scroll sideways at 390 px (scrollLeft %d)", before)
	}
	must(t, "wait for a poll", chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`window.__swaps > 0`, chromedp.WithPollingTimeout(20*time.Second))))
	if got := eval[int](t, ctx, `document.querySelector("#alerts-table .table-wrap").scrollLeft`); got != before {
		t.Errorf("horizontal scroll after the refresh: got %d, want %d", got, before)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="close-form"] input[name="reason"]').value`); got != "half-typed reason" {
		t.Errorf("typed close reason after the refresh: got %q", got)
	}
}

// TestWideTablesFitDesktop: at 1280 px the explorers show every column, Close and Message
// included, even with a long job name and a long script path.
func TestWideTablesFitDesktop(t *testing.T) {
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	job := "a-very-long-job-name-for-the-quarterly-financial-reconciliation-export"
	ingest(t, ev("job.failed", "ERROR", job, "failed", time.Now().Add(-time.Minute),
		map[string]any{"scriptPath": "/very/long/path/to/some/deeply/nested/directory/structure/with/a/script_name_that_is_long.py"}))
	must(t, "sign in", chromedp.Do(ctx,
		chromedp.Navigate(mon.base+"/login?next="+url.QueryEscape("/alerts?jobName="+job)),
		chromedp.WaitVisible(css(`[data-testid="login"]`)),
		chromedp.SendKeys(css(`[data-testid="login-email"]`), mon.email),
		chromedp.SendKeys(css(`[data-testid="login-password"]`), mon.passwd),
		chromedp.Click(css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="close-button"]`)),
	))
	fits := `(function () { var w = document.querySelector(".table-wrap"); return w.scrollWidth <= w.clientWidth; })()`
	if !eval[bool](t, ctx, fits) {
		t.Errorf("alerts table overflows at 1280 px: %s", eval[string](t, ctx, `(function () { var w = document.querySelector(".table-wrap"); return w.scrollWidth + " > " + w.clientWidth; })()`))
	}
	for _, path := range []string{"/events?jobName=" + job, "/jobs"} {
		must(t, path, chromedp.Do(ctx, chromedp.Navigate(mon.base+path), chromedp.WaitVisible(css(`.table-wrap`))))
		if !eval[bool](t, ctx, fits) {
			t.Errorf("%s overflows at 1280 px: %s", path, eval[string](t, ctx, `(function () { var w = document.querySelector(".table-wrap"); return w.scrollWidth + " > " + w.clientWidth; })()`))
		}
	}
}
