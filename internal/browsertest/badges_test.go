package browsertest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// openBadgesPage signs in through the login form on the way to /settings/badges.
func openBadgesPage(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	must(t, "open badges", chromedp.Do(ctx, append(actions, chromedp.Navigate(mon.base+"/settings/badges"),
		chromedp.WaitVisible(css(`[data-testid="login"]`)),
		chromedp.SendKeys(css(`[data-testid="login-email"]`), mon.email),
		chromedp.SendKeys(css(`[data-testid="login-password"]`), mon.passwd))...))
	_, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="login-submit"]`)))
	must(t, "sign in", err)
	must(t, "badges page", chromedp.Do(ctx, chromedp.WaitVisible(css(`[data-testid="badge-form"]`))))
}

// wantPublicBadge fetches a badge's JSON as shields.io would (no session) and checks its message.
func wantPublicBadge(t *testing.T, svgURL, message string) {
	t.Helper()
	if !strings.HasPrefix(svgURL, mon.base+"/badge/") || !strings.HasSuffix(svgURL, ".svg") {
		t.Fatalf("badge URL: got %q", svgURL)
	}
	res, err := http.Get(strings.TrimSuffix(svgURL, ".svg") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var got struct {
		Message string `json:"message"`
	}
	if res.StatusCode != 200 || json.Unmarshal(b, &got) != nil || got.Message != message {
		t.Errorf("badge JSON: got %d %s, want message %q", res.StatusCode, b, message)
	}
}

// TestBadgeInBrowser creates a badge on the settings page (htmx swaps the card in place) and
// sees its URL and its image. How a badge follows job health is tested in handlers.
func TestBadgeInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	// No events are posted: TestDashboardInBrowser, which may run later on the same monitor,
	// starts from an empty jobs page. A badge of a job not seen yet is "unknown".
	openBadgesPage(t, ctx)
	eval[bool](t, ctx, `window.__noReload = true`)
	must(t, "create", chromedp.Do(ctx,
		chromedp.SendKeys(css(`[data-testid="badge-form"] input[name="label"]`), "browser badge"),
		chromedp.SendKeys(css(`[data-testid="badge-form"] input[name="jobPattern"]`), "badge-browser-job"),
		chromedp.Click(css(`[data-testid="badge-create"]`)),
		chromedp.WaitVisible(css(`[data-testid="badge-svg-url"]`))))
	if !eval[bool](t, ctx, `window.__noReload === true`) {
		t.Errorf("the page reloaded: the form should swap the card")
	}
	wantPublicBadge(t, text(t, ctx, `[data-testid="badge-svg-url"]`), "unknown")
	// The preview image loaded (same origin, allowed by the page's CSP).
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('[data-testid="badge-preview"]').naturalWidth > 0`,
		chromedp.WithPollingTimeout(10*time.Second)))
	must(t, "preview image", err)
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="badge-row"]').length`); n < 1 {
		t.Errorf("badge rows: got %d", n)
	}
}

// TestBadgeWithoutJavaScript creates a badge with scripts off: a plain form post answers with
// the page showing the URL.
func TestBadgeWithoutJavaScript(t *testing.T) {
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	noJS := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	openBadgesPage(t, ctx, noJS)
	must(t, "fill", chromedp.Do(ctx, chromedp.SendKeys(css(`[data-testid="badge-form"] input[name="jobPattern"]`), "no-such-job-*")))
	_, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="badge-create"]`)))
	must(t, "create", err)
	wantPublicBadge(t, text(t, ctx, `[data-testid="badge-svg-url"]`), "unknown")
	if got := text(t, ctx, `[data-testid="badge-markdown"]`); !strings.HasPrefix(got, "![no-such-job-*](") {
		t.Errorf("markdown: got %q", got)
	}
}
