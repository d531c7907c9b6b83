package delivery

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/chat/discord"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/chat/matrix"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/push/pushover"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
	"github.com/nicholas-fedor/shoutrrr/pkg/util/jsonclient"
)

// Chat and push services are reached through shoutrrr (the maintained fork Watchtower uses):
// a channel is one shoutrrr service URL such as discord://token@id or ntfy://ntfy.sh/topic.
// The library parses the URL, builds each service's payload and posts it; this file picks
// the services we accept, writes the message text, and turns the library's errors into
// Errors the notifier can retry or give up on.

// ChatSchemes are the shoutrrr service URL schemes a chat channel may use. E-mail, Slack and
// plain webhooks have their own channel kinds; the logger writes nowhere a person reads.
var ChatSchemes = []string{"bark", "discord", "generic", "googlechat", "gotify", "hangouts", "ifttt", "join",
	"lark", "matrix", "mattermost", "ntfy", "opsgenie", "pagerduty", "pushbullet", "pushover", "rocketchat",
	"signal", "teams", "telegram", "wecom", "zulip"}

// titled are the services that show their "title" parameter; the others reject unknown
// parameters, so their title goes on the first line of the text instead. Matrix is not one:
// it takes a title but sends the text alone, so the headline would be lost.
var titled = map[string]bool{"bark": true, "discord": true, "generic": true, "gotify": true, "ifttt": true,
	"join": true, "lark": true, "mattermost": true, "ntfy": true, "opsgenie": true,
	"pushbullet": true, "pushover": true, "teams": true, "telegram": true}

// quiet swallows the library's progress logs: they quote service URLs, which hold tokens.
var quiet = log.New(io.Discard, "", 0)

// ChatURLError is a service URL the library refuses, with its reason.
type ChatURLError struct {
	Reason string
}

func (e *ChatURLError) Error() string { return "delivery: chat URL: " + e.Reason }

// chatScheme is the service a URL names: "discord" for discord:// and for the custom form
// discord+https://… that some services accept.
func chatScheme(u *url.URL) string {
	s, _, _ := strings.Cut(strings.ToLower(u.Scheme), "+")
	return s
}

// CheckChatURL parses a chat service URL with the library without sending anything; the
// error is a *ChatURLError whose reason is the library's (secrets masked).
func CheckChatURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return &ChatURLError{Reason: "not a URL of the form service://…"}
	}
	scheme := chatScheme(u)
	if !slices.Contains(ChatSchemes, scheme) {
		return &ChatURLError{Reason: "unsupported service " + strconv.Quote(scheme)}
	}
	if scheme == "matrix" && u.Scheme == scheme {
		// Initialising a Matrix service logs in to the homeserver; parse its config only.
		if err := (&matrix.Config{}).SetURL(u); err != nil {
			return &ChatURLError{Reason: redact(err.Error(), raw)}
		}
		return nil
	}
	if _, err := initService(raw); err != nil {
		return &ChatURLError{Reason: redact(err.Error(), raw)}
	}
	return nil
}

// initService builds the library's service for a URL, as its router does, but keeps the
// service's own reason when the URL is refused (the router replaces it by a generic one).
func initService(raw string) (types.Service, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	var r router.ServiceRouter
	svc, err := r.NewService(chatScheme(u))
	if err != nil {
		return nil, err
	}
	if u.Scheme != chatScheme(u) {
		custom, ok := svc.(types.CustomURLService)
		if !ok {
			return nil, errors.New("the " + chatScheme(u) + " service has no custom URL form")
		}
		if u, err = custom.GetConfigURLFromCustom(u); err != nil {
			return nil, err
		}
	}
	if err := svc.Initialize(u, quiet); err != nil {
		return nil, err
	}
	return svc, nil
}

// Chat sends alerts to a chat or push service through shoutrrr.
type Chat struct {
	// URL is the shoutrrr service URL (a secret: it holds the service's token).
	URL string
	// Client makes the requests of the services that take one from the caller (Discord and
	// Pushover, whose host is fixed); the others use the library's own client.
	Client *http.Client
}

var _ Sender = (*Chat)(nil)

// ChatTitle is the headline of a chat message.
func ChatTitle(m Message) string {
	if m.Test {
		return "Test alert from " + Brand
	}
	return EmailSubject(m)
}

// ChatText is the plain-text body of a chat message: what the alert is about, the facts of
// its run, and where to read more.
func ChatText(m Message) string {
	if m.Test {
		return strings.Join([]string{
			"This is a test alert message from " + Brand + ".",
			"Requested by: " + m.RequestedBy,
			"Sent at: " + m.SentAt,
			"Enabled alert types: " + enabledTypes(m),
		}, "\n")
	}
	a := m.Alert
	lines := []string{
		a.Title,
		"Job: " + a.JobName,
		"Type: " + string(a.AlertType) + ", severity " + string(a.Severity),
		"Opened at: " + a.OpenedAt,
	}
	for _, f := range RunFacts(m.Run, m.RunURL) {
		lines = append(lines, f[0]+": "+f[1])
	}
	if m.AlertURL != "" {
		lines = append(lines, "Alert: "+m.AlertURL)
	}
	return strings.Join(lines, "\n")
}

// Send posts the message through the service. The library's calls take no context, so the
// send is abandoned when ctx ends; with Discord and Pushover the request itself is cancelled.
func (c *Chat) Send(ctx context.Context, m Message) (Result, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return Result{}, &Error{Text: "invalid chat service URL"}
	}
	scheme := chatScheme(u)
	var rec statusRecorder
	done := make(chan error, 1)
	go func() {
		// Initialising is part of the send: Matrix logs in to its homeserver here.
		svc, err := initService(c.URL)
		if err != nil {
			done <- err
			return
		}
		c.useClient(ctx, svc, &rec)
		text, params := ChatText(m), types.Params{}
		if titled[scheme] {
			params.SetTitle(ChatTitle(m))
		} else {
			text = ChatTitle(m) + "\n" + text
		}
		if scheme == "discord" && !u.Query().Has("splitLines") && !u.Query().Has("splitlines") {
			params["splitLines"] = "no" // one embed for the whole message, not one per line
		}
		done <- svc.Send(text, &params)
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	res := Result{Code: rec.get()}
	if err != nil {
		return res, chatError(err, c.URL, res.Code)
	}
	return res, nil
}

// useClient hands the caller's client to the services that take one: requests then follow
// ctx, go through the monitor's transport, and report their status.
func (c *Chat) useClient(ctx context.Context, svc types.Service, rec *statusRecorder) {
	hc := &http.Client{Transport: &sendTransport{base: client(c.Client).Transport, ctx: ctx, rec: rec},
		CheckRedirect: client(c.Client).CheckRedirect, Jar: client(c.Client).Jar}
	switch s := svc.(type) {
	case *discord.Service:
		s.HTTPClient = hc
		s.Sleeper = ctxSleeper{ctx} // its own retries of 429 and 5xx stop when the send's time is up
	case *pushover.Service:
		s.Client = hc
	}
}

// sendTransport runs each request under the send's context and remembers the last status.
type sendTransport struct {
	base http.RoundTripper
	ctx  context.Context
	rec  *statusRecorder
}

func (t *sendTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req.Clone(t.ctx))
	if err == nil {
		t.rec.set(resp.StatusCode)
	}
	return resp, err
}

type statusRecorder struct {
	mu   sync.Mutex
	code int
}

func (r *statusRecorder) set(code int) { r.mu.Lock(); r.code = code; r.mu.Unlock() }

func (r *statusRecorder) get() int { r.mu.Lock(); defer r.mu.Unlock(); return r.code }

// ctxSleeper waits like time.Sleep but returns when ctx ends.
type ctxSleeper struct{ ctx context.Context }

func (s ctxSleeper) Sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
	}
}

// statusText finds the HTTP status the library put in its error text ("…: 500 Internal
// Server Error", "status code: 500", Matrix's "400 Bad Request (unmarshal error: …)"): most
// services report a refused request only as text.
var statusText = regexp.MustCompile(`(?:\b|")([1-5][0-9]{2})(?: [A-Z][A-Za-z' -]*)?(?:"|$| \()|status code:? ([1-5][0-9]{2})\b`)

// chatError classifies a failed send: HTTP 408, 429 and 5xx, network failures and timeouts
// are temporary; other HTTP answers are permanent. The text is the library's, secrets masked.
func chatError(err error, rawURL string, code int) *Error {
	text := redact(err.Error(), rawURL)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &Error{Code: code, Text: "timeout: " + text, Temporary: true}
	}
	var je jsonclient.Error
	if errors.As(err, &je) && je.StatusCode != 0 {
		code = je.StatusCode
	}
	if code == 0 {
		if m := statusText.FindStringSubmatch(err.Error()); m != nil {
			code, _ = strconv.Atoi(m[1] + m[2])
		}
	}
	if code == 0 && ChatService(rawURL) == "telegram" {
		code = reasonStatus(err.Error())
	}
	// Discord retries 429 and 5xx itself and then reports only that it gave up.
	if errors.Is(err, discord.ErrMaxRetries) || errors.Is(err, discord.ErrRateLimited) {
		return &Error{Code: code, Text: text, Temporary: true}
	}
	if code == 0 || code/100 == 2 {
		// No HTTP answer (the network), or one the library could not use: try again later.
		return &Error{Code: code, Text: text, Temporary: true}
	}
	return &Error{Code: code, Text: text, Temporary: httpError(code, "").Temporary}
}

// reasonStatus is the HTTP error status whose reason phrase opens text. Telegram's Bot API
// describes a refusal that way ("Bad Request: chat not found", "Too Many Requests: retry
// after 5", "Unauthorized"), and the library returns that description without its code.
func reasonStatus(text string) int {
	for code := 400; code < 600; code++ {
		if r := http.StatusText(code); r != "" && (text == r || strings.HasPrefix(text, r+":")) {
			return code
		}
	}
	return 0
}

// urlInText matches the URLs the library quotes in its errors (net/http's `Post "…": …`).
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"']+`)

// redact removes the service URL's secrets from text: every URL is cut to its origin, and the
// URL's user, password, path segments and query values are masked wherever they appear.
func redact(text, rawURL string) string {
	text = urlInText.ReplaceAllStringFunc(text, func(s string) string {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "…"
		}
		return u.Scheme + "://" + u.Host + "/…"
	})
	u, err := url.Parse(rawURL)
	if err != nil {
		return text
	}
	var secrets []string
	if u.User != nil {
		secrets = append(secrets, u.User.Username())
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
	}
	secrets = append(secrets, strings.Split(u.Path, "/")...)
	for _, vs := range u.Query() {
		secrets = append(secrets, vs...)
	}
	for _, s := range secrets {
		if len(s) >= 4 { // shorter pieces are words, not tokens, and masking them garbles the text
			text = strings.ReplaceAll(text, s, "…")
		}
	}
	return text
}

// DescribeChatSchemes lists the accepted schemes for messages: "bark, discord, …".
func DescribeChatSchemes() string { return strings.Join(ChatSchemes, ", ") }

// ChatService names the service of a chat URL ("discord"), or "" when it is not a URL.
func ChatService(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return chatScheme(u)
}
