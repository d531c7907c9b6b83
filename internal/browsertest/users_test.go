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

// signInAs signs in on the login page of next and waits for the page.
func signInAs(t *testing.T, ctx context.Context, next, email, password string) {
	t.Helper()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	must(t, "open "+next, chromedp.Do(ctx, chromedp.Navigate(mon.base+next),
		chromedp.WaitVisible(css(`[data-testid="login"]`)),
		chromedp.SendKeys(css(`[data-testid="login-email"]`), email),
		chromedp.SendKeys(css(`[data-testid="login-password"]`), password)))
	_, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="login-submit"]`)))
	must(t, "sign in as "+email, err)
}

// createUser fills the invite form of /settings/users (role viewer, no password) and returns
// the generated password the answer shows.
func createUser(t *testing.T, ctx context.Context, email string) string {
	t.Helper()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	must(t, "users page", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/settings/users"),
		chromedp.WaitVisible(css(`[data-testid="invite-form"]`)),
		chromedp.SendKeys(css(`[data-testid="invite-email"]`), email),
		chromedp.SetValue(css(`[data-testid="invite-role"]`), "viewer")))
	_, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="invite-submit"]`)))
	must(t, "add user", err)
	pw := text(t, ctx, `[data-testid="generated-password"]`)
	if len(pw) != 20 {
		t.Fatalf("generated password: got %q", pw)
	}
	return pw
}

// TestViewerInBrowser: an admin adds a viewer on /settings/users and sees the generated
// password once; the viewer signs in, finds no close or settings controls, and gets the 403
// page on /settings.
func TestViewerInBrowser(t *testing.T) {
	job := "viewer-job-" + randomHex(3)
	ingest(t, ev("job.failed", "ERROR", job, "failed for the viewer", time.Now().Add(-time.Minute), nil))
	email := "viewer-" + randomHex(4) + "@example.org"

	admin := newBrowser(t)
	signInAs(t, admin, "/settings/users", mon.email, mon.passwd)
	pw := createUser(t, admin, email)
	if got := text(t, admin, `[data-testid="user-row"][data-email="`+email+`"] [data-testid="user-role"]`); got != "viewer" {
		t.Errorf("new user's role: got %q", got)
	}
	must(t, "reload", chromedp.Do(admin, chromedp.Navigate(mon.base+"/settings/users"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="users-table"]`))))
	if n := eval[int](t, admin, `document.querySelectorAll('[data-testid="generated-password"]').length`); n != 0 {
		t.Errorf("the password is shown again after a reload")
	}

	viewer := newBrowser(t)
	signInAs(t, viewer, "/alerts?status=OPEN&jobName="+job, email, pw)
	must(t, "alerts", chromedp.Do(viewer, chromedp.WaitVisible(chromedp.CSS(`[data-testid="alert-row"]`))))
	if n := eval[int](t, viewer, `document.querySelectorAll('[data-testid="close-button"]').length`); n != 0 {
		t.Errorf("viewer sees %d close buttons", n)
	}
	if n := eval[int](t, viewer, `document.querySelectorAll('[data-testid="nav"] a[href="/settings"]').length`); n != 0 {
		t.Errorf("viewer sees the Settings link")
	}
	if got := text(t, viewer, `[data-testid="user-role"]`); got != "viewer" {
		t.Errorf("role in the header: got %q", got)
	}
	res, err := chromedp.RunResponse(viewer, chromedp.Navigate(mon.base+"/settings"))
	must(t, "settings", err)
	if res.Status != 403 {
		t.Errorf("/settings as a viewer: got %d, want 403", res.Status)
	}
	if got := text(t, viewer, `[data-testid="forbidden"]`); !strings.Contains(got, "You are signed in as "+email+" (viewer)") {
		t.Errorf("403 page: got %q", got)
	}
}

// TestUsersFormWithoutJavaScript: the invite form is a plain POST that answers with the page.
func TestUsersFormWithoutJavaScript(t *testing.T) {
	ctx := newBrowser(t)
	noJS := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	must(t, "no JavaScript", chromedp.Do(ctx, noJS))
	signInAs(t, ctx, "/settings/users", mon.email, mon.passwd)
	email := "nojs-" + randomHex(4) + "@example.org"
	createUser(t, ctx, email)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(t, "location", err)
	if loc != mon.base+"/settings/users" {
		t.Errorf("after the form: got %q", loc)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="user-row"][data-email="`+email+`"]').length`); n != 1 {
		t.Errorf("the new user is not listed (%d rows)", n)
	}
}
