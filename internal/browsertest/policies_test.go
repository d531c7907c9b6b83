package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The tests of this file share the monitor with the others: each uses a job of its own that
// no other test knows, and every maintenance window it creates names that job only, so no
// other test's alerts are held back. (TestDashboardInBrowser, which wants an empty jobs page,
// runs before this file's tests: go test runs the files in name order.)

// scriptsOff is the action that disables JavaScript in the page, as a browser with scripts
// blocked would be.
var scriptsOff = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	return err
})

// browserFor returns a browser with scripts on or off.
func browserFor(t *testing.T, js bool) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	if !js {
		must(t, "disable scripts", chromedp.Do(ctx, scriptsOff))
	}
	return ctx
}

// failingJob ingests one failed run of a new job and returns its name.
func failingJob(t *testing.T, prefix string) string {
	t.Helper()
	job := prefix + "-" + randomHex(4)
	ingest(t, ev("job.failed", "ERROR", job, "failed for the pause test", time.Now().Add(-time.Minute), nil))
	return job
}

// submit clicks a form's submit button and waits for the page it leads to.
func submit[S chromedp.Selectable](t *testing.T, ctx context.Context, what string, button S) {
	t.Helper()
	_, err := chromedp.RunResponse(ctx, chromedp.Click(button))
	must(t, what, err)
}

// wantLocation checks the page's address.
func wantLocation(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(t, "location", err)
	if loc != mon.base+path {
		t.Errorf("location: got %q, want %q", loc, mon.base+path)
	}
}

func count(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	return eval[int](t, ctx, `document.querySelectorAll(`+jsString(css)+`).length`)
}

// jsString quotes s for a JavaScript source (the selectors here hold no backquote).
func jsString(s string) string { return "`" + s + "`" }

// TestPauseInBrowser: on a failing job's page the admin pauses its alerts with a reason, sees
// the "Alerts held back" banner and who paused it, then resumes and gets the pause form back.
func TestPauseInBrowser(t *testing.T) {
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	job := failingJob(t, "pause-js")
	ctx := browserFor(t, true)
	signInAs(t, ctx, "/jobs/"+job, mon.email, mon.passwd)
	must(t, "job page", chromedp.Do(ctx, chromedp.WaitVisible(css(`[data-testid="pause-form"]`))))
	if n := count(t, ctx, `[data-testid="job-suppressed-banner"]`); n != 0 {
		t.Fatalf("banner before the pause: %d", n)
	}
	must(t, "reason", chromedp.Do(ctx, chromedp.SendKeys(css(`[data-testid="pause-form"] input[name="reason"]`), "browser pause")))
	submit(t, ctx, "pause", css(`[data-testid="pause-button"]`))
	must(t, "paused page", chromedp.Do(ctx, chromedp.WaitVisible(css(`[data-testid="job-suppressed-banner"]`))))
	wantLocation(t, ctx, "/jobs/"+job)
	screenshot(t, ctx, "job-paused")
	if got := text(t, ctx, `[data-testid="job-suppressed-banner"]`); !strings.HasPrefix(got, "Alerts held back.") ||
		!strings.Contains(got, "Paused by "+mon.email+": browser pause") {
		t.Errorf("banner: got %q", got)
	}
	if got := text(t, ctx, `[data-testid="pause-state"]`); !strings.HasPrefix(got, "Paused by "+mon.email) || !strings.HasSuffix(got, "browser pause") {
		t.Errorf("pause state: got %q", got)
	}
	if n := count(t, ctx, `[data-testid="pause-form"]`); n != 0 {
		t.Errorf("the pause form is still shown while paused")
	}
	// The jobs table says so too.
	must(t, "jobs", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/jobs"),
		chromedp.WaitVisible(css(`[data-testid="job-row"][data-job="`+job+`"]`))))
	if got := text(t, ctx, `[data-testid="job-row"][data-job="`+job+`"] [data-testid="job-suppressed"]`); !strings.Contains(got, "browser pause") {
		t.Errorf("jobs table: got %q", got)
	}

	must(t, "back", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/jobs/"+job), chromedp.WaitVisible(css(`[data-testid="resume-button"]`))))
	submit(t, ctx, "resume", css(`[data-testid="resume-button"]`))
	must(t, "resumed page", chromedp.Do(ctx, chromedp.WaitVisible(css(`[data-testid="pause-form"]`))))
	wantLocation(t, ctx, "/jobs/"+job)
	if n := count(t, ctx, `[data-testid="job-suppressed-banner"], [data-testid="pause-state"]`); n != 0 {
		t.Errorf("after the resume: %d banner or pause state elements", n)
	}
}

// TestPauseWithoutJavaScript: with scripts off, a pause until a past time answers with the
// page and the error naming until; a valid pause (until in the future, typed as the
// datetime-local field sends it) redirects back to the job page.
func TestPauseWithoutJavaScript(t *testing.T) {
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	job := failingJob(t, "pause-nojs")
	ctx := browserFor(t, false)
	signInAs(t, ctx, "/jobs/"+job, mon.email, mon.passwd)
	must(t, "job page", chromedp.Do(ctx, chromedp.WaitVisible(css(`[data-testid="pause-form"]`)),
		chromedp.SetValue(css(`[data-testid="pause-form"] input[name="until"]`), "2020-01-01T00:00"),
		chromedp.SendKeys(css(`[data-testid="pause-form"] input[name="reason"]`), "too late")))
	submit(t, ctx, "pause in the past", css(`[data-testid="pause-button"]`))
	if got := text(t, ctx, `[data-testid="pause-error"]`); got != "until: Must be in the future" {
		t.Errorf("error banner: got %q", got)
	}
	if n := count(t, ctx, `[data-testid="job-suppressed-banner"]`); n != 0 {
		t.Errorf("a refused pause shows the banner")
	}

	until := time.Now().UTC().Add(2 * time.Hour).Truncate(time.Minute)
	must(t, "fill again", chromedp.Do(ctx,
		chromedp.SetValue(css(`[data-testid="pause-form"] input[name="until"]`), until.Format("2006-01-02T15:04")),
		chromedp.SetValue(css(`[data-testid="pause-form"] input[name="reason"]`), "nojs pause")))
	submit(t, ctx, "pause", css(`[data-testid="pause-button"]`))
	wantLocation(t, ctx, "/jobs/"+job)
	want := "Paused by " + mon.email + " until " + until.Format("2006-01-02T15:04:05.000Z") + ": nojs pause"
	if got := text(t, ctx, `[data-testid="job-suppressed-banner"]`); !strings.Contains(got, want) {
		t.Errorf("banner: got %q, want it to contain %q", got, want)
	}
	if n := count(t, ctx, `[data-testid="pause-error"]`); n != 0 {
		t.Errorf("the error banner is still shown")
	}
	// Scripts are off indeed: the times keep their server-side UTC text.
	if got := text(t, ctx, `[data-testid="pause-state"] time`); !strings.HasSuffix(got, " UTC") {
		t.Errorf("pause time without scripts: got %q, want the UTC fallback", got)
	}
	submit(t, ctx, "resume", css(`[data-testid="resume-button"]`))
	wantLocation(t, ctx, "/jobs/"+job)
	if n := count(t, ctx, `[data-testid="pause-form"]`); n != 1 {
		t.Errorf("after the resume: %d pause forms", n)
	}
}

// TestMaintenanceWindowInBrowser: with scripts on and off, the admin adds a weekly window for
// one job on /settings/maintenance, sees it listed, and deletes it.
func TestMaintenanceWindowInBrowser(t *testing.T) {
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	for _, tc := range []struct {
		name string
		js   bool
	}{{"scripts on", true}, {"scripts off", false}} {
		t.Run(tc.name, func(t *testing.T) {
			job := "maintenance-" + randomHex(4) // never runs: the window holds nothing else back
			name := "window " + randomHex(4)
			ctx := browserFor(t, tc.js)
			signInAs(t, ctx, "/settings/maintenance", mon.email, mon.passwd)
			form := `[data-testid="window-form"] `
			must(t, "fill", chromedp.Do(ctx, chromedp.WaitVisible(css(form+`input[name="name"]`)),
				chromedp.SendKeys(css(form+`input[name="name"]`), name),
				chromedp.SendKeys(css(form+`input[name="jobs"]`), job),
				chromedp.Click(css(form+`input[name="weekdays"][value="sat"]`)),
				chromedp.SetValue(css(form+`input[name="time"]`), "03:15"),
				chromedp.SetValue(css(form+`input[name="durationMinutes"]`), "45")))
			submit(t, ctx, "add window", css(`[data-testid="window-submit"]`))
			wantLocation(t, ctx, "/settings/maintenance?saved=added")
			if tc.js {
				screenshot(t, ctx, "maintenance")
			}
			if got := text(t, ctx, `[data-testid="maintenance-notice"]`); got != "Maintenance window added." {
				t.Errorf("notice: got %q", got)
			}
			row := `//tr[@data-testid="window-row"][td[1][normalize-space()="` + name + `"]]`
			got, err := chromedp.Run(ctx, chromedp.Text(chromedp.Search(row)))
			must(t, "the new row", err)
			for _, want := range []string{"jobs " + job, "on Sat at 03:15 (UTC) for 45 min", "next", mon.email} {
				if !strings.Contains(got, want) {
					t.Errorf("row lacks %q: %q", want, got)
				}
			}
			submit(t, ctx, "delete", chromedp.Search(row+`//button[@data-testid="window-delete"]`))
			wantLocation(t, ctx, "/settings/maintenance?saved=deleted")
			if n := eval[int](t, ctx, `document.evaluate('count(`+row+`)', document, null, XPathResult.NUMBER_TYPE, null).numberValue`); n != 0 {
				t.Errorf("the deleted window is still listed")
			}
		})
	}
}
