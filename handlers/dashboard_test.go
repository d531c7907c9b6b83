package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

const (
	testAdmin    = "admin@example.org"
	testPassword = "right-password"
	testSecret   = "test-secret-test-secret"
	sameOrigin   = "http://example.com" // the host httptest.NewRequest uses
)

var adminHash = func() func(t *testing.T) string {
	var once sync.Once
	var hash string
	return func(t *testing.T) string {
		once.Do(func() {
			var err error
			if hash, err = services.HashPassword(testPassword); err != nil {
				t.Fatal(err)
			}
		})
		return hash
	}
}()

// dashRig is a dashboard app with real sign-in, and a browser-like cookie jar.
type dashRig struct {
	t    *testing.T
	app  *fiber.App
	st   *store.Store
	now  time.Time
	jar  map[string]string
	opts Options
}

func newDash(t *testing.T, mutate func(*Options)) *dashRig {
	t.Helper()
	st := testutil.NewStore(t)
	r := &dashRig{t: t, st: st, now: testutil.Time(t, "2026-03-04T10:00:00Z"), jar: map[string]string{}}
	w := services.NewWriter(st, slog.New(slog.DiscardHandler), services.WriterOptions{})
	w.SetClock(func() time.Time { return r.now })
	go w.Run()
	t.Cleanup(w.Close)
	status := services.NewStatus(st)
	status.SetClock(func() time.Time { return r.now })
	auth, err := services.NewAuth(st, w.Do, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	auth.SetClock(func() time.Time { return r.now })
	// Seed the admin with a hash computed once per package: scrypt is slow under -race.
	id := services.RandomID(32)
	now := "2026-03-01T00:00:00.000Z"
	u := models.User{ID: id, Name: "admin", Email: testAdmin, Role: models.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	hash := adminHash(t)
	acct := models.Account{ID: services.RandomID(32), AccountID: id, ProviderID: models.ProviderCredential, UserID: id,
		Password: &hash, CreatedAt: now, UpdatedAt: now}
	if err := w.Do(context.Background(), func(tx *store.Tx) error { return tx.InsertUser(u, acct) }); err != nil {
		t.Fatal(err)
	}
	r.opts = Options{AuthEnabled: true, Auth: auth, AuthSecret: testSecret, BaseURL: "http://monitor.test", DBPath: "/x/monitor.sqlite"}
	if mutate != nil {
		mutate(&r.opts)
	}
	h := New(r.opts, st, w, status, nil)
	h.SetClock(func() time.Time { return r.now })
	r.app = NewApp(h)
	return r
}

type page struct {
	status int
	body   string
	header http.Header
	doc    *goquery.Document
}

func (p page) testid(id string) *goquery.Selection {
	return p.doc.Find(`[data-testid="` + id + `"]`)
}

// do sends a request with the jar's cookies and stores the cookies it sets. form != nil makes
// it a urlencoded POST; headers are name/value pairs.
func (r *dashRig) do(method, path string, form url.Values, headers ...string) page {
	r.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, val := range r.jar {
		req.AddCookie(&http.Cookie{Name: name, Value: val})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := r.app.Test(req, 10_000)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(r.jar, c.Name)
		} else {
			r.jar[c.Name] = c.Value
		}
	}
	b, _ := io.ReadAll(res.Body)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	return page{status: res.StatusCode, body: string(b), header: res.Header, doc: doc}
}

// csrf reads the _csrf field of the first form on path.
func (r *dashRig) csrf(path string) string {
	r.t.Helper()
	p := r.do("GET", path, nil)
	tok := p.doc.Find(`input[name="_csrf"]`).First().AttrOr("value", "")
	if tok == "" {
		r.t.Fatalf("no _csrf on %s (%d)", path, p.status)
	}
	return tok
}

func (r *dashRig) signIn() {
	r.t.Helper()
	tok := r.csrf("/login")
	p := r.do("POST", "/login", url.Values{"_csrf": {tok}, "email": {" Admin@Example.org "}, "password": {testPassword}, "next": {"/"}},
		"Origin", sameOrigin)
	if p.status != fiber.StatusSeeOther {
		r.t.Fatalf("sign in: got %d %s", p.status, p.body)
	}
}

func (r *dashRig) ingest(events ...string) {
	r.t.Helper()
	body := `{"events":[` + strings.Join(events, ",") + `]}`
	req := httptest.NewRequest("POST", "/v1/events/batch", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := r.app.Test(req, 10_000)
	if err != nil || res.StatusCode != 202 {
		b, _ := io.ReadAll(res.Body)
		r.t.Fatalf("ingest: %v %d %s", err, res.StatusCode, b)
	}
}

func event(typ, job, at, extra string) string {
	return `{"sourceType":"chief","eventType":"` + typ + `","level":"INFO","message":"m ` + typ + `","jobName":"` + job +
		`","eventAt":"` + at + `"` + extra + `}`
}

var dashboardPaths = []struct {
	path, testid string
}{
	{"/", "overview-summary"},
	{"/partials/overview/summary", "overview-summary"},
	{"/partials/overview/alerts", "overview-alerts"},
	{"/jobs", "jobs-table"},
	{"/partials/jobs/table", "jobs-table"},
	{"/jobs/etl", "job-detail"},
	{"/partials/jobs/etl/detail", "job-detail"},
	{"/alerts?status=OPEN", "alerts-table"},
	{"/partials/alerts/table?status=OPEN", "alerts-table"},
	{"/events?jobName=etl&page=1", "events-table"},
	{"/partials/events/table?jobName=etl", "events-table"},
	{"/settings", "settings-form"},
}

func TestPagesRedirectWithoutSession(t *testing.T) {
	r := newDash(t, nil)
	for _, tc := range dashboardPaths {
		t.Run(tc.path, func(t *testing.T) {
			p := r.do("GET", tc.path, nil)
			want := "/login?next=" + url.QueryEscape(tc.path)
			if p.status != fiber.StatusFound || p.header.Get("Location") != want {
				t.Errorf("got %d Location %q, want 302 %q", p.status, p.header.Get("Location"), want)
			}
			p = r.do("GET", tc.path, nil, "HX-Request", "true", "HX-Current-URL", "http://example.com/alerts?status=OPEN")
			if p.status != fiber.StatusOK || p.header.Get("HX-Redirect") != "/login?next=%2Falerts%3Fstatus%3DOPEN" {
				t.Errorf("htmx: got %d HX-Redirect %q", p.status, p.header.Get("HX-Redirect"))
			}
		})
	}
}

func TestPagesSignedIn(t *testing.T) {
	r := newDash(t, nil)
	r.ingest(event("job.started", "etl", "2026-03-04T09:00:00Z", ""), event("job.failed", "etl", "2026-03-04T09:01:00Z", `,"durationMs":1500`))
	r.signIn()
	for _, tc := range dashboardPaths {
		t.Run(tc.path, func(t *testing.T) {
			p := r.do("GET", tc.path, nil)
			if p.status != fiber.StatusOK {
				t.Fatalf("status: got %d, want 200: %s", p.status, p.body)
			}
			if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("content type: got %q", ct)
			}
			if p.testid(tc.testid).Length() != 1 {
				t.Errorf("data-testid=%s: missing in %s", tc.testid, p.body)
			}
			if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || p.header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("security headers: CSP %q, XFO %q", csp, p.header.Get("X-Frame-Options"))
			}
			if strings.HasPrefix(tc.path, "/partials/") && strings.Contains(p.body, "<html") {
				t.Errorf("partial renders a whole document")
			}
		})
	}
	p := r.do("GET", "/jobs", nil)
	// etl's check is UP (it sent heartbeats), but its last run failed: the page says so.
	if got := p.doc.Find(`[data-testid="job-row"][data-job="etl"] [data-testid="health"]`).Text(); got != "FAILING" {
		t.Errorf("etl health: got %q", got)
	}
	p = r.do("GET", "/jobs/etl", nil)
	if p.testid("chart-run-durations").Find("rect").Length() == 0 || p.testid("alert-row").Length() != 1 {
		t.Errorf("job detail: want a run bar and one FAILURE row: %s", p.body)
	}
	p = r.do("GET", "/", nil)
	if got := p.testid("card-open-alerts").Find(".metric-value").Text(); got != "1" {
		t.Errorf("open alerts card: got %q, want 1", got)
	}
	if got := p.testid("user-email").Text(); got != testAdmin {
		t.Errorf("user: got %q", got)
	}
}

func TestNotFoundPages(t *testing.T) {
	r := newDash(t, nil)
	r.signIn()
	p := r.do("GET", "/jobs/nope", nil)
	if p.status != fiber.StatusNotFound || !strings.Contains(p.testid("error-banner").Text(), "Job not found in check state") {
		t.Errorf("unknown job: got %d %s", p.status, p.body)
	}
	p = r.do("GET", "/no/such/page", nil)
	if p.status != fiber.StatusNotFound || p.testid("not-found").Find("h1").Text() != "Page not found" {
		t.Errorf("404: got %d %s", p.status, p.body)
	}
	if p := r.do("GET", "/index.html", nil); p.status != fiber.StatusFound || p.header.Get("Location") != "/" {
		t.Errorf("/index.html: got %d %q", p.status, p.header.Get("Location"))
	}
}

func TestLoginForm(t *testing.T) {
	tests := []struct {
		name     string
		form     url.Values
		origin   string
		noCSRF   bool
		status   int
		location string
		message  string
	}{
		{name: "wrong password", form: url.Values{"email": {testAdmin}, "password": {"nope-nope"}}, origin: sameOrigin,
			status: 401, message: "Invalid email or password"},
		{name: "invalid email", form: url.Values{"email": {"admin"}, "password": {"x"}}, origin: sameOrigin, status: 400, message: "Invalid email"},
		{name: "missing csrf", form: url.Values{"email": {testAdmin}, "password": {testPassword}}, origin: sameOrigin, noCSRF: true, status: 403},
		{name: "cross origin", form: url.Values{"email": {testAdmin}, "password": {testPassword}}, origin: "https://evil.example", status: 403},
		{name: "next kept", form: url.Values{"email": {testAdmin}, "password": {testPassword}, "next": {"/alerts?status=OPEN"}},
			origin: sameOrigin, status: 303, location: "/alerts?status=OPEN"},
		{name: "protocol-relative next", form: url.Values{"email": {testAdmin}, "password": {testPassword}, "next": {"//evil.example/x"}},
			origin: sameOrigin, status: 303, location: "/"},
		{name: "next /login", form: url.Values{"email": {testAdmin}, "password": {testPassword}, "next": {"/login"}},
			origin: sameOrigin, status: 303, location: "/"},
		{name: "absolute next", form: url.Values{"email": {testAdmin}, "password": {testPassword}, "next": {"https://evil.example/"}},
			origin: sameOrigin, status: 303, location: "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each case has its own app and database; scrypt dominates
			r := newDash(t, nil)
			if !tc.noCSRF {
				tc.form.Set("_csrf", r.csrf("/login"))
			}
			p := r.do("POST", "/login", tc.form, "Origin", tc.origin)
			if p.status != tc.status {
				t.Fatalf("status: got %d, want %d: %s", p.status, tc.status, p.body)
			}
			if tc.location != "" && p.header.Get("Location") != tc.location {
				t.Errorf("location: got %q, want %q", p.header.Get("Location"), tc.location)
			}
			if tc.message != "" && !strings.Contains(p.testid("error-banner").Text(), tc.message) {
				t.Errorf("banner: got %q, want %q", p.testid("error-banner").Text(), tc.message)
			}
			if tc.status == 303 {
				sc := p.header.Get("Set-Cookie")
				if !strings.Contains(sc, "better-auth.session_token=") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
					t.Errorf("session cookie: %q", sc)
				}
			}
		})
	}
}

func TestLoginPageWhenSignedInRedirectsToNext(t *testing.T) {
	r := newDash(t, nil)
	r.signIn()
	if p := r.do("GET", "/login?next=%2Fjobs", nil); p.status != fiber.StatusFound || p.header.Get("Location") != "/jobs" {
		t.Errorf("got %d %q, want 302 /jobs", p.status, p.header.Get("Location"))
	}
}

func TestSignInRateLimit(t *testing.T) {
	r := newDash(t, nil)
	tok := r.csrf("/login")
	// An invalid e-mail is refused before the (slow) password check but still counts.
	bad := url.Values{"_csrf": {tok}, "email": {"not-an-email"}, "password": {"wrong-password"}}
	for i := 0; i < 5; i++ {
		// A forged X-Forwarded-For from an untrusted peer does not buy new attempts.
		if p := r.do("POST", "/login", bad, "Origin", sameOrigin, "X-Forwarded-For", "10.0.0."+string(rune('1'+i))); p.status != 400 {
			t.Fatalf("attempt %d: got %d", i+1, p.status)
		}
	}
	p := r.do("POST", "/login", bad, "Origin", sameOrigin, "X-Forwarded-For", "10.9.9.9")
	if p.status != fiber.StatusTooManyRequests || p.header.Get("Retry-After") == "" ||
		!strings.Contains(p.testid("error-banner").Text(), "Too many sign-in attempts") {
		t.Fatalf("6th attempt: got %d Retry-After %q: %s", p.status, p.header.Get("Retry-After"), p.body)
	}
	if p := r.do("POST", "/api/auth/sign-in/email", nil); p.status != fiber.StatusTooManyRequests {
		t.Errorf("JSON sign-in shares the limit: got %d", p.status)
	}
	r.now = r.now.Add(61 * time.Second)
	if p := r.do("POST", "/login", bad, "Origin", sameOrigin); p.status != 400 {
		t.Errorf("after a minute: got %d, want 400", p.status)
	}
}

func TestTrustedProxyForwardedFor(t *testing.T) {
	r := newDash(t, func(o *Options) { o.TrustedProxies = []string{"0.0.0.0", "127.0.0.1"} })
	tok := r.csrf("/login")
	bad := url.Values{"_csrf": {tok}, "email": {"not-an-email"}, "password": {"wrong-password"}}
	for i := 0; i < 8; i++ { // every client address has its own budget behind a trusted proxy
		ip := "203.0.113." + string(rune('1'+i))
		if p := r.do("POST", "/login", bad, "Origin", sameOrigin, "X-Forwarded-For", ip); p.status != 400 {
			t.Fatalf("client %s: got %d", ip, p.status)
		}
	}
}

func TestCloseAlertForm(t *testing.T) {
	r := newDash(t, nil)
	r.ingest(event("job.failed", "etl", "2026-03-04T09:01:00Z", ""))
	r.signIn()
	row := r.do("GET", "/alerts?status=OPEN", nil).testid("alert-row")
	id := row.AttrOr("data-alert-id", "")
	tok := row.Find(`input[name="_csrf"]`).AttrOr("value", "")
	if id == "" || tok == "" {
		t.Fatalf("no open alert row with a form")
	}
	path := "/alerts/" + id + "/close"
	if p := r.do("POST", path, url.Values{"back": {"/alerts"}}, "Origin", sameOrigin); p.status != 403 {
		t.Errorf("without CSRF: got %d, want 403", p.status)
	}
	if p := r.do("POST", path, url.Values{"_csrf": {tok}}, "Origin", "https://evil.example"); p.status != 403 {
		t.Errorf("cross origin: got %d, want 403", p.status)
	}
	if p := r.do("POST", path, url.Values{"_csrf": {tok}}); p.status != 403 {
		t.Errorf("no Origin or Referer: got %d, want 403", p.status)
	}
	p := r.do("POST", path, url.Values{"_csrf": {tok}, "view": {"alerts"}, "back": {"/alerts?status=OPEN"}, "reason": {"deploy fixed it"}},
		"Origin", sameOrigin, "HX-Request", "true")
	if p.status != 200 || !strings.Contains(p.body, `data-testid="closed-info">closed by `+testAdmin+` (deploy fixed it)<`) {
		t.Fatalf("htmx close: got %d %s", p.status, p.body)
	}
	if strings.Contains(p.body, "<html") || strings.Count(p.body, "<tr") != 1 {
		t.Errorf("htmx close must answer only the row: %s", p.body)
	}
	r.ingest(event("job.failed", "etl", "2026-03-04T09:30:00Z", ""))
	id = r.do("GET", "/alerts?status=OPEN", nil).testid("alert-row").AttrOr("data-alert-id", "")
	p = r.do("POST", "/alerts/"+id+"/close", url.Values{"_csrf": {tok}, "back": {"/alerts?status=OPEN&page=1"}}, "Referer", sameOrigin+"/alerts")
	if p.status != fiber.StatusSeeOther || p.header.Get("Location") != "/alerts?status=OPEN&page=1" {
		t.Fatalf("plain close: got %d %q", p.status, p.header.Get("Location"))
	}
	a, err := r.st.Alerts(context.Background(), store.AlertFilter{Limit: 10})
	if err != nil || len(a) != 2 || a[0].ClosedReason == nil || *a[0].ClosedReason != "manual-ui" || *a[0].ClosedBy != testAdmin {
		t.Fatalf("stored close: %+v %v", a, err)
	}
	if p := r.do("POST", "/alerts/999/close", url.Values{"_csrf": {tok}}, "Origin", sameOrigin); p.status != 404 {
		t.Errorf("unknown alert: got %d", p.status)
	}
}

func TestSettingsForm(t *testing.T) {
	r := newDash(t, nil)
	r.signIn()
	p := r.do("GET", "/settings", nil)
	if p.doc.Find(`input[value="FAILURE"]`).AttrOr("checked", "none") == "none" || p.doc.Find(`input[value="RECOVERY"][checked]`).Length() != 0 {
		t.Errorf("defaults: want FAILURE and MISSED checked")
	}
	tok := r.csrf("/settings")
	bad := url.Values{"_csrf": {tok}, "recipients": {"ops@example.com, not-an-email"}}
	if p := r.do("POST", "/settings", bad, "Origin", sameOrigin); p.status != 400 ||
		!strings.Contains(p.testid("error-banner").Text(), "Invalid recipient email: not-an-email") {
		t.Fatalf("invalid: got %d %s", p.status, p.body)
	}
	// The UI's x@y.z shape passes, but the server's check rejects a one-letter TLD.
	bad = url.Values{"_csrf": {tok}, "recipients": {"ops@example.com\na@b.c"}}
	if p := r.do("POST", "/settings", bad, "Origin", sameOrigin); p.status != 400 ||
		!strings.Contains(p.testid("error-banner").Text(), "Invalid recipient email: a@b.c") {
		t.Fatalf("server-invalid: got %d %s", p.status, p.body)
	}
	good := url.Values{"_csrf": {tok}, "recipients": {"Ops@Example.com\nops@example.com, b@example.com"}, "enabledAlertTypes": {"RECOVERY", "FAILURE"}}
	if p := r.do("POST", "/settings", good, "Origin", sameOrigin); p.status != 303 || p.header.Get("Location") != "/settings?saved=1" {
		t.Fatalf("save: got %d %q", p.status, p.header.Get("Location"))
	}
	v, err := r.st.ConfigValue(context.Background(), store.KeyEmailSettings)
	if want := `{"recipients":["ops@example.com","b@example.com"],"enabledAlertTypes":["FAILURE","RECOVERY"]}`; err != nil || v != want {
		t.Errorf("stored: got %s (%v), want %s", v, err, want)
	}
	p = r.do("GET", "/settings?saved=1", nil)
	if p.testid("settings-notice").Text() != "Email alert settings saved." || p.doc.Find("textarea").Text() != "ops@example.com\nb@example.com" {
		t.Errorf("after save: %s", p.body)
	}
	// A stored row is read leniently, as the API reads it.
	if err := r.st.Write(context.Background(), func(tx *store.Tx) error {
		return tx.PutConfig(store.KeyEmailSettings,
			`{"recipients":[" Ops@Example.com ",5,"a@b.c"],"enabledAlertTypes":[" recovery "]}`, "2026-03-04T10:00:00.000Z")
	}); err != nil {
		t.Fatal(err)
	}
	p = r.do("GET", "/settings", nil)
	form := p.testid("settings-form")
	if form.Find("textarea").Text() != "ops@example.com" || form.Find(`input[value="RECOVERY"][checked]`).Length() != 1 ||
		form.Find(`input[value="FAILURE"][checked]`).Length() != 0 {
		t.Errorf("lenient read: %s", p.testid("settings-form").Text())
	}
	p = r.do("POST", "/settings", good, "Origin", sameOrigin, "HX-Request", "true")
	if p.status != 200 || p.testid("settings-form").Length() != 1 || strings.Contains(p.body, "<html") {
		t.Errorf("htmx save: got %d %s", p.status, p.body)
	}
}

func TestLogout(t *testing.T) {
	r := newDash(t, nil)
	r.signIn()
	tok := r.csrf("/")
	if p := r.do("POST", "/logout", url.Values{"_csrf": {"wrong"}}, "Origin", sameOrigin); p.status != 403 {
		t.Errorf("bad csrf: got %d", p.status)
	}
	if p := r.do("POST", "/logout", url.Values{"_csrf": {tok}}, "Origin", sameOrigin); p.status != 303 || p.header.Get("Location") != "/login" {
		t.Fatalf("logout: got %d %q", p.status, p.header.Get("Location"))
	}
	if p := r.do("GET", "/", nil); p.status != 302 {
		t.Errorf("after logout: got %d, want 302", p.status)
	}
	var n int64
	r.st.DB().Raw(`SELECT COUNT(*) FROM "session"`).Scan(&n)
	if n != 0 {
		t.Errorf("sessions after logout: %d", n)
	}
}

func TestAPIAuthEndpoints(t *testing.T) {
	r := newDash(t, nil)
	jsonPost := func(path, body string, headers ...string) page {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		for name, val := range r.jar {
			req.AddCookie(&http.Cookie{Name: name, Value: val})
		}
		res, err := r.app.Test(req, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Cookies() {
			r.jar[c.Name] = c.Value
		}
		b, _ := io.ReadAll(res.Body)
		return page{status: res.StatusCode, body: string(b), header: res.Header}
	}
	if p := r.do("GET", "/api/auth/get-session", nil); p.status != 200 || p.body != "null" {
		t.Errorf("get-session signed out: got %d %s", p.status, p.body)
	}
	p := jsonPost("/api/auth/sign-in/email", `{"email":"admin@example.org","password":"nope-nope"}`)
	if p.status != 401 || p.body != `{"code":"INVALID_EMAIL_OR_PASSWORD","message":"Invalid email or password"}` {
		t.Errorf("bad password: got %d %s", p.status, p.body)
	}
	p = jsonPost("/api/auth/sign-in/email", `{"email":"admin@example.org","password":"right-password"}`, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate")
	if p.status != 403 {
		t.Errorf("cross-site navigation: got %d", p.status)
	}
	p = jsonPost("/api/auth/sign-in/email", `{"email":"Admin@Example.org","password":"right-password"}`)
	var signIn struct {
		Redirect bool   `json:"redirect"`
		Token    string `json:"token"`
		User     struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(p.body), &signIn); err != nil || p.status != 200 || signIn.Redirect || signIn.Token == "" || signIn.User.Email != testAdmin {
		t.Fatalf("sign-in: got %d %s", p.status, p.body)
	}
	p = r.do("GET", "/api/auth/get-session", nil)
	var sess struct {
		Session struct {
			Token, UserID string
		}
		User struct{ Email string }
	}
	if err := json.Unmarshal([]byte(p.body), &sess); err != nil || sess.Session.Token != signIn.Token || sess.User.Email != testAdmin {
		t.Errorf("get-session: got %s", p.body)
	}
	if p := r.do("GET", "/v1/status/summary", nil); p.status != 200 {
		t.Errorf("/v1 read with a session: got %d", p.status)
	}
	if p := jsonPost("/v1/alerts/1/close", `{}`); p.status != 403 {
		t.Errorf("/v1 write with a session and no Origin: got %d, want 403", p.status)
	}
	if p := jsonPost("/v1/alerts/1/close", `{}`, "Origin", sameOrigin); p.status != 404 {
		t.Errorf("/v1 write with a session and Origin: got %d, want 404 (no such alert)", p.status)
	}
	if p := jsonPost("/api/auth/sign-out", `{}`, "Origin", "https://evil.example"); p.status != 403 || !strings.Contains(p.body, "INVALID_ORIGIN") {
		t.Errorf("sign-out cross origin: got %d %s", p.status, p.body)
	}
	if p := jsonPost("/api/auth/sign-up/email", `{"email":"x@y.z","password":"12345678"}`); p.status != 400 ||
		!strings.Contains(p.body, "EMAIL_AND_PASSWORD_SIGN_UP_IS_NOT_ENABLED") {
		t.Errorf("sign-up: got %d %s", p.status, p.body)
	}
	if p := jsonPost("/api/auth/sign-out", `{}`, "Origin", sameOrigin); p.status != 200 || p.body != `{"success":true}` {
		t.Errorf("sign-out: got %d %s", p.status, p.body)
	}
	if p := r.do("GET", "/api/auth/get-session", nil); p.body != "null" {
		t.Errorf("after sign-out: got %s", p.body)
	}
}

func TestAuthDisabled(t *testing.T) {
	open := newDash(t, func(o *Options) { o.AuthEnabled, o.Auth = false, nil })
	p := open.do("GET", "/", nil)
	if p.status != 200 || p.testid("auth-disabled").Length() != 1 || p.testid("sign-out").Length() != 0 {
		t.Errorf("open mode: got %d, banner %d, sign-out %d", p.status, p.testid("auth-disabled").Length(), p.testid("sign-out").Length())
	}
	if p := open.do("GET", "/api/auth/get-session", nil); p.status != 404 {
		t.Errorf("/api/auth when disabled: got %d, want 404", p.status)
	}
	if p := open.do("GET", "/login", nil); p.status != 302 {
		t.Errorf("/login when disabled: got %d, want 302", p.status)
	}
	tok := open.csrf("/settings")
	if p := open.do("POST", "/settings", url.Values{"_csrf": {tok}, "recipients": {"a@b.co"}}, "Origin", sameOrigin); p.status != 303 {
		t.Errorf("open-mode form with the double-submit token: got %d %s", p.status, p.body)
	}
	locked := newDash(t, func(o *Options) { o.AuthEnabled, o.Auth, o.APIKey = false, nil, "k" })
	p = locked.do("GET", "/alerts", nil)
	if p.status != 403 || p.testid("ui-locked").Length() != 1 || p.testid("alerts-table").Length() != 0 {
		t.Errorf("key-only mode: got %d %s", p.status, p.body)
	}
}

func TestStaticAssets(t *testing.T) {
	r := newDash(t, nil)
	tests := []struct {
		path, ctype string
		status      int
	}{
		{"/static/htmx.min.js?v=1", "text/javascript; charset=utf-8", 200},
		{"/static/app.css", "text/css; charset=utf-8", 200},
		{"/static/app.js", "text/javascript; charset=utf-8", 200},
		{"/static/static.go", "", 404},
		{"/static/../go.mod", "", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p := r.do("GET", tc.path, nil)
			if p.status != tc.status {
				t.Fatalf("status: got %d, want %d", p.status, tc.status)
			}
			if tc.status == 200 {
				if got := p.header.Get("Content-Type"); got != tc.ctype {
					t.Errorf("content type: got %q, want %q", got, tc.ctype)
				}
				if got := p.header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
					t.Errorf("cache: got %q", got)
				}
			}
		})
	}
}

// TestExplorerPastTheLastPage: a page past the end of the results says so and links back to
// page 1 with the same filters, instead of claiming that nothing matches the filters.
func TestExplorerPastTheLastPage(t *testing.T) {
	r := newDash(t, nil)
	r.ingest(event("job.started", "etl", "2026-03-04T09:00:00Z", ""), event("job.failed", "etl", "2026-03-04T09:01:00Z", ""))
	r.signIn()
	for _, tc := range []struct{ path, title, first string }{
		{"/events?jobName=etl&page=5", "No events on page 5", "/events?jobName=etl"},
		{"/partials/events/table?jobName=etl&page=5", "No events on page 5", "/events?jobName=etl"},
		{"/alerts?jobName=etl&status=OPEN&page=3", "No alerts on page 3", "/alerts?jobName=etl&status=OPEN"},
		{"/partials/alerts/table?jobName=etl&status=OPEN&page=3", "No alerts on page 3", "/alerts?jobName=etl&status=OPEN"},
	} {
		p := r.do("GET", tc.path, nil)
		if got := p.testid("empty-state").Find("strong").Text(); got != tc.title {
			t.Errorf("%s: empty state %q, want %q", tc.path, got, tc.title)
		}
		if got := p.testid("first-page").AttrOr("href", ""); got != tc.first {
			t.Errorf("%s: first-page link %q, want %q", tc.path, got, tc.first)
		}
	}
	// Page 1 without matches keeps the plain empty state.
	p := r.do("GET", "/events?jobName=nope", nil)
	if got := p.testid("empty-state").Find("strong").Text(); got != "No events" || p.testid("first-page").Length() != 0 {
		t.Errorf("page 1 empty state: got %q", got)
	}
}

// TestEventsBoundWarning: a From/To that is not an ISO 8601 time is named above the results.
func TestEventsBoundWarning(t *testing.T) {
	r := newDash(t, nil)
	r.ingest(event("job.started", "etl", "2026-03-04T09:00:00Z", ""))
	r.signIn()
	p := r.do("GET", "/events?from=yesterday&to=2026-03-05T00:00:00Z", nil)
	w := p.testid("filter-warning")
	if w.Length() != 1 || !strings.Contains(w.Text(), `From "yesterday" is not an ISO 8601 time`) {
		t.Errorf("warning: got %d %q", w.Length(), w.Text())
	}
	if p = r.do("GET", "/events?from=2026-03-04&to=2026-03-05T00:00:00Z", nil); p.testid("filter-warning").Length() != 0 {
		t.Errorf("valid bounds warned: %q", p.testid("filter-warning").Text())
	}
}

// TestLongEventMessageFolded: a very long message shows a preview and the whole (escaped) text
// in a <details>, which works without JavaScript; a short one is shown as is.
func TestLongEventMessageFolded(t *testing.T) {
	r := newDash(t, nil)
	long := "<b>x</b> " + strings.Repeat("word ", 100)
	r.ingest(`{"sourceType":"chief","eventType":"worker.message","level":"INFO","jobName":"etl","eventAt":"2026-03-04T09:00:00Z","message":"`+long+`"}`,
		event("job.started", "etl", "2026-03-04T08:00:00Z", ""))
	r.signIn()
	for _, path := range []string{"/events", "/jobs/etl"} {
		p := r.do("GET", path, nil)
		msgs := p.testid("event-message")
		if msgs.Length() != 2 {
			t.Fatalf("%s: %d messages", path, msgs.Length())
		}
		d := msgs.First().Find("details.long-message")
		if d.Length() != 1 || !strings.Contains(d.Text(), strings.TrimSpace(long)) || !strings.Contains(d.Find(".preview").Text(), "<b>x</b> word") {
			t.Errorf("%s: long message not folded: %q", path, msgs.First().Text())
		}
		if len([]rune(d.Find(".preview").Text())) > 170 {
			t.Errorf("%s: preview too long: %d", path, len([]rune(d.Find(".preview").Text())))
		}
		if strings.Contains(p.body, "<b>x</b>") {
			t.Errorf("%s: message markup not escaped", path)
		}
		if got := strings.TrimSpace(msgs.Last().Text()); got != "m job.started" || msgs.Last().Find("details").Length() != 0 {
			t.Errorf("%s: short message: %q", path, got)
		}
	}
}
