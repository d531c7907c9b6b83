package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestAddChatChannel: the admin adds a chat channel on the settings page, with scripts on
// (the card is swapped by htmx) and off (a plain POST answers with the page), and sees it
// listed with its filters and its URL masked: the token never reaches the page.
func TestAddChatChannel(t *testing.T) {
	// The channel points at a local ntfy-style server and at a job that never runs, so the
	// alerts of the other browser tests are not sent anywhere.
	ntfy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"id":"m"}`))
	}))
	t.Cleanup(ntfy.Close)
	host := strings.TrimPrefix(ntfy.URL, "http://")
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	for _, tc := range []struct {
		name string
		js   bool
	}{{"phone-js", true}, {"phone-nojs", false}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newBrowser(t)
			if !tc.js {
				must(t, "disable scripts", chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
					_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
					return err
				})))
			}
			must(t, "sign in", chromedp.Do(ctx, chromedp.Navigate(mon.base+"/settings"),
				chromedp.WaitVisible(css(`[data-testid="login"]`)),
				chromedp.SendKeys(css(`[data-testid="login-email"]`), mon.email),
				chromedp.SendKeys(css(`[data-testid="login-password"]`), mon.passwd)))
			_, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="login-submit"]`)))
			must(t, "submit sign-in", err)
			form := `#channels-chat [data-testid="channel-form"] `
			secretURL := "ntfy://alice:s3cretpw@" + host + "/s3cret-topic?scheme=http"
			must(t, "fill the chat form", chromedp.Do(ctx,
				chromedp.WaitVisible(css(form+`input[name="name"]`)),
				chromedp.SendKeys(css(form+`input[name="name"]`), tc.name),
				chromedp.SendKeys(css(form+`input[name="url"]`), secretURL),
				chromedp.SendKeys(css(form+`input[name="jobs"]`), "chat-browser-never"),
				chromedp.SendKeys(css(form+`input[name="tags"]`), "db*"),
				chromedp.Click(css(form+`input[name="severities"][value="CRITICAL"]`))))
			if tc.js {
				must(t, "save", chromedp.Do(ctx, chromedp.Click(css(form+`[data-testid="channel-save"]`)),
					chromedp.WaitVisible(css(`#channels-chat [data-testid="channels-notice"]`))))
				if !eval[bool](t, ctx, `!!document.querySelector('[data-testid="settings-form"]')`) {
					t.Fatal("the htmx answer replaced more than the card")
				}
			} else {
				_, err := chromedp.RunResponse(ctx, chromedp.Click(css(form+`[data-testid="channel-save"]`)))
				must(t, "save without scripts", err)
			}
			if got := text(t, ctx, `#channels-chat [data-testid="channels-notice"]`); got != "Saved "+tc.name+"." {
				t.Fatalf("notice: %q", got)
			}
			row := eval[string](t, ctx, `[...document.querySelectorAll('#channels-chat [data-testid="channel-row"]')]
				.map(r => r.innerText).find(s => s.startsWith(`+"`"+tc.name+"`"+`)) || ""`)
			for _, want := range []string{"ntfy", "ntfy://" + host + "/…", "db*", "CRITICAL", "chat-browser-never"} {
				if !strings.Contains(row, want) {
					t.Errorf("row lacks %q: %q", want, row)
				}
			}
			if html := eval[string](t, ctx, `document.documentElement.outerHTML`); strings.Contains(html, "s3cret") {
				t.Fatal("the page shows the channel's secrets")
			}
		})
	}
}
