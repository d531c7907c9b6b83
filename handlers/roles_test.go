package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

// browser returns a rig on r's app and database with a cookie jar of its own (another
// person's browser), signed in through POST /login.
func (r *dashRig) browser(email, password string) *dashRig {
	r.t.Helper()
	b := *r
	b.jar = map[string]string{}
	tok := b.csrf("/login")
	p := b.do("POST", "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}, "next": {"/"}},
		"Origin", sameOrigin)
	if p.status != fiber.StatusSeeOther {
		r.t.Fatalf("sign in as %s: got %d %s", email, p.status, p.testid("error-banner").Text())
	}
	return &b
}

// api sends a JSON request with the jar's cookies and a same-site Origin; headers are
// name/value pairs.
func (r *dashRig) api(method, path, body string, headers ...string) page {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", sameOrigin)
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
	b, _ := io.ReadAll(res.Body)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	return page{status: res.StatusCode, body: string(b), header: res.Header, doc: doc}
}

// addUser creates a password user through the service, as an admin's form would.
func (r *dashRig) addUser(email string, role models.Role) (models.User, string) {
	r.t.Helper()
	u, pw, err := r.opts.Auth.Users().Create(context.Background(), services.UserCreateRequest{Email: email, Role: role.String()})
	if err != nil || pw == "" {
		r.t.Fatalf("create %s: %v (password %d chars)", email, err, len(pw))
	}
	return u, pw
}

// Routes that change nothing, or that must work for anyone: ingest (its own keys), the health
// probe (registered for every method), and signing in and out.
var writeExempt = map[string]bool{
	"POST /v1/events": true, "POST /v1/events/batch": true, "/v1/health": true,
	"POST /login": true, "POST /logout": true,
	"POST /api/auth/sign-in/email": true, "POST /api/auth/sign-out": true, "POST /api/auth/sign-up/email": true,
}

// adminReads are the pages and API reads that are for admins only.
var adminReads = map[string]bool{
	"/settings": true, "/settings/users": true, "/settings/audit": true, "/v1/users": true, "/v1/audit": true,
	"/settings/maintenance": true, "/settings/badges": true, "/v1/badges": true,
}

func writeMethod(m string) bool {
	return m == fiber.MethodPost || m == fiber.MethodPut || m == fiber.MethodPatch || m == fiber.MethodDelete
}

// fillPath gives a route's parameters values that reach its handler.
func fillPath(p, userID string) string {
	repl := strings.NewReplacer(":alertId?", "1", ":kind", "webhook", ":id", url.PathEscape(userID), ":jobName", "etl",
		":runId", "run-1", ":provider", "oidc", "*", "app.css")
	return repl.Replace(p)
}

// send makes the request a person (page) or a program (/v1) would make on route path.
func (r *dashRig) send(method, path string) page {
	r.t.Helper()
	if strings.HasPrefix(path, "/v1/") {
		return r.api(method, path, "{}")
	}
	if method == fiber.MethodGet {
		return r.do(method, path, nil)
	}
	return r.do(method, path, url.Values{"_csrf": {r.csrf("/")}}, "Origin", sameOrigin)
}

// refused reports whether p is the role refusal: 403 JSON on /v1, the 403 page otherwise.
func refused(path string, p page) bool {
	if p.status != fiber.StatusForbidden {
		return false
	}
	if strings.HasPrefix(path, "/v1/") {
		return strings.Contains(p.body, `"error":"Forbidden: this needs the admin role.`)
	}
	return p.testid("forbidden").Length() == 1 && strings.Contains(p.testid("forbidden").Text(), "(viewer)")
}

// TestEveryWriteRouteNeedsAdmin walks the whole route table: every route that can change
// something refuses a viewer with 403 and lets an admin and the API key through, every read
// (but the admin pages) is open to a viewer. A write route added without requireAdmin fails here.
func TestEveryWriteRouteNeedsAdmin(t *testing.T) {
	r := newDash(t, func(o *Options) { o.APIKey = "k" })
	vu, vpw := r.addUser("viewer@example.org", models.RoleViewer)
	viewer := r.browser(vu.Email, vpw)
	admin := r.browser(testAdmin, testPassword)

	var writes, reads int
	seen := map[string]bool{}
	for _, rt := range r.app.GetRoutes(true) {
		key := rt.Method + " " + rt.Path
		if seen[key] || writeExempt[key] || writeExempt[rt.Path] || rt.Method == fiber.MethodHead {
			continue
		}
		seen[key] = true
		path := fillPath(rt.Path, vu.ID)
		switch {
		case writeMethod(rt.Method):
			writes++
			if got := viewer.send(rt.Method, path); !refused(path, got) {
				t.Errorf("%s as a viewer: got %d %.200s, want the 403 refusal", key, got.status, got.body)
			}
		case rt.Method == fiber.MethodGet:
			reads++
			got := viewer.send(rt.Method, path)
			if adminReads[rt.Path] != refused(path, got) {
				t.Errorf("%s as a viewer: got %d %.200s (admin only: %v)", key, got.status, got.body, adminReads[rt.Path])
			}
		}
	}
	// Only now, as the admin's writes may reset the viewer's password and end their session.
	for key := range seen {
		method, p, _ := strings.Cut(key, " ")
		path := fillPath(p, vu.ID)
		if got := admin.send(method, path); refused(path, got) || got.status == fiber.StatusForbidden && adminReads[p] {
			t.Errorf("%s as an admin: got %d %.200s, want past the role check", key, got.status, got.body)
		}
		if strings.HasPrefix(path, "/v1/") {
			if got := admin.api(method, path, "{}", "Cookie", "", "x-api-key", "k"); got.status == fiber.StatusForbidden ||
				got.status == fiber.StatusUnauthorized {
				t.Errorf("%s with the API key: got %d %.200s", key, got.status, got.body)
			}
		}
	}
	// The walk must have seen the table: a broken walk passes nothing.
	if writes < 15 || reads < 20 {
		t.Fatalf("walked %d write and %d read routes; the route table looks wrong", writes, reads)
	}
}

// TestViewerSeesNoWriteControls: the pages a viewer may open show no close form and no
// Settings link, and say who is signed in with which role.
func TestViewerSeesNoWriteControls(t *testing.T) {
	r := newDash(t, nil)
	r.ingest(event("job.failed", "etl", "2026-03-04T09:01:00Z", ""))
	vu, vpw := r.addUser("viewer@example.org", models.RoleViewer)
	viewer := r.browser(vu.Email, vpw)
	admin := r.browser(testAdmin, testPassword)
	for _, path := range []string{"/alerts?status=OPEN", "/partials/alerts/table?status=OPEN", "/jobs/etl"} {
		v, a := viewer.do("GET", path, nil), admin.do("GET", path, nil)
		if v.status != 200 || v.testid("close-form").Length() != 0 || v.testid("close-admins-only").Length() != 1 {
			t.Errorf("%s as a viewer: got %d, %d close forms", path, v.status, v.testid("close-form").Length())
		}
		if a.status != 200 || a.testid("close-form").Length() != 1 {
			t.Errorf("%s as an admin: got %d, %d close forms, want 1", path, a.status, a.testid("close-form").Length())
		}
	}
	v := viewer.do("GET", "/", nil)
	if v.testid("nav").Find(`a[href="/settings"]`).Length() != 0 || v.testid("user-role").Text() != "viewer" {
		t.Errorf("viewer's shell: settings links %d, role %q", v.testid("nav").Find(`a[href="/settings"]`).Length(), v.testid("user-role").Text())
	}
	a := admin.do("GET", "/", nil)
	if a.testid("nav").Find(`a[href="/settings"]`).Length() != 1 || a.testid("user-role").Text() != "admin" {
		t.Errorf("admin's shell: settings links %d, role %q", a.testid("nav").Find(`a[href="/settings"]`).Length(), a.testid("user-role").Text())
	}
	// htmx gets a message for the flash, not a whole page inside a table.
	tok := viewer.csrf("/alerts")
	p := viewer.do("POST", "/alerts/1/close", url.Values{"_csrf": {tok}}, "Origin", sameOrigin, "HX-Request", "true")
	if p.status != 403 || strings.Contains(p.body, "<html") || !strings.Contains(p.body, "signed in as viewer@example.org (viewer)") {
		t.Errorf("htmx close as a viewer: got %d %s", p.status, p.body)
	}
	// The open mode (no sign-in, no key) is unchanged: everyone can do everything.
	open := newDash(t, func(o *Options) { o.AuthEnabled, o.Auth = false, nil })
	if p := open.do("GET", "/settings", nil); p.status != 200 || p.testid("settings-form").Length() != 1 {
		t.Errorf("open mode settings: got %d", p.status)
	}
}
