package handlers

import (
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/services"
)

const badgeTestKey = "badge-test-api-key-0123456789"

// apiJSON sends a JSON request with the API key (no cookies) and decodes the answer into out.
func (r *dashRig) apiJSON(method, path, body string, out any) int {
	r.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", badgeTestKey)
	res, err := r.app.Test(req, 10_000)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

// public GETs a path as a stranger would: no cookie, no key.
func (r *dashRig) public(path string, headers ...string) (*http.Response, string) {
	r.t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := r.app.Test(req, 10_000)
	if err != nil {
		r.t.Fatalf("GET %s: %v", path, err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

type shieldsBody struct {
	SchemaVersion int    `json:"schemaVersion"`
	Label         string `json:"label"`
	Message       string `json:"message"`
	Color         string `json:"color"`
}

// wantBadge reads the badge's JSON and SVG without a session and checks what they show.
func (r *dashRig) wantBadge(token, label, message, color, fill string) {
	r.t.Helper()
	res, body := r.public("/badge/" + token + ".json")
	var got shieldsBody
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &got) != nil ||
		got != (shieldsBody{SchemaVersion: 1, Label: label, Message: message, Color: color}) {
		r.t.Fatalf("badge JSON: %d %s, want %s/%s/%s", res.StatusCode, body, label, message, color)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		r.t.Errorf("Cache-Control: got %q", cc)
	}
	res, body = r.public("/badge/" + token + ".svg")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/svg+xml") {
		r.t.Fatalf("badge SVG: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if err := xml.Unmarshal([]byte(body), new(struct{})); err != nil {
		r.t.Fatalf("badge SVG is not well-formed XML: %v\n%s", err, body)
	}
	if !strings.Contains(body, `aria-label="`+html.EscapeString(label)+`: `+message+`"`) || !strings.Contains(body, `fill="`+fill+`"`) {
		r.t.Errorf("badge SVG: want %q: %q in %s, got\n%s", label, message, fill, body)
	}
	etag := res.Header.Get("ETag")
	if res, _ := r.public("/badge/"+token+".svg", "If-None-Match", etag); etag == "" || res.StatusCode != 304 {
		r.t.Errorf("conditional GET with ETag %q: got %d, want 304", etag, res.StatusCode)
	}
}

func (r *dashRig) wantBadgeGone(token string) {
	r.t.Helper()
	for _, ext := range []string{".svg", ".json"} {
		if res, body := r.public("/badge/" + token + ext); res.StatusCode != 404 || !strings.Contains(body, "not found") {
			r.t.Errorf("badge %s after revoke: got %d %s, want 404", ext, res.StatusCode, body)
		}
	}
}

// TestBadgesAPI: a badge made through the API is read without signing in, follows the job's
// health, refuses bad input naming the field, and is gone once revoked.
func TestBadgesAPI(t *testing.T) {
	r := newDash(t, func(o *Options) { o.APIKey = badgeTestKey })
	r.keyedIngest(event("job.completed", "backup-db", "2026-03-04T09:58:00Z", `,"success":true,"durationMs":10`),
		event("job.completed", "backup-files", "2026-03-04T09:58:00Z", `,"success":true,"durationMs":10`),
		event("job.completed", "report", "2026-03-04T09:58:00Z", `,"success":true,"durationMs":10`))

	var created struct {
		Badge struct {
			ID         int64  `json:"id"`
			Label      string `json:"label"`
			JobPattern string `json:"jobPattern"`
			Scope      string `json:"scope"`
			CreatedBy  string `json:"createdBy"`
		} `json:"badge"`
		Token   string `json:"token"`
		SVGURL  string `json:"svgUrl"`
		JSONURL string `json:"jsonUrl"`
		Shields string `json:"shieldsUrl"`
	}
	if code := r.apiJSON("POST", "/v1/badges", `{"label":"backups","jobPattern":"backup-*"}`, &created); code != 201 {
		t.Fatalf("create: %d %+v", code, created)
	}
	tok := created.Token
	if len(tok) < 22 || created.Badge.Scope != "jobs" || created.Badge.CreatedBy != "api-key" ||
		created.SVGURL != "http://monitor.test/badge/"+tok+".svg" || created.JSONURL != "http://monitor.test/badge/"+tok+".json" ||
		created.Shields != "https://img.shields.io/endpoint?url="+url.QueryEscape(created.JSONURL) {
		t.Fatalf("created: %+v", created)
	}
	r.wantBadge(tok, "backups", "2 up", "brightgreen", "#4c1")

	r.keyedIngest(event("job.failed", "backup-db", "2026-03-04T09:59:00Z", `,"success":false,"durationMs":10`))
	r.wantBadge(tok, "backups", "1 failing", "red", "#e05d44")

	var all struct {
		Token string `json:"token"`
	}
	if code := r.apiJSON("POST", "/v1/badges", `{}`, &all); code != 201 {
		t.Fatalf("create all: %d", code)
	}
	r.wantBadge(all.Token, "jobs", "1 failing", "red", "#e05d44")
	var one struct {
		Token string `json:"token"`
	}
	r.apiJSON("POST", "/v1/badges", `{"jobPattern":"report"}`, &one)
	r.wantBadge(one.Token, "report", "up", "brightgreen", "#4c1")

	// a tag pattern takes the jobs with a matching tag, whatever their name
	r.keyedIngest(event("job.completed", "nightly-etl", "2026-03-04T09:59:30Z", `,"success":true,"metadata":{"check_enabled":true,"tags":["db-main"]}`),
		event("job.completed", "web-sync", "2026-03-04T09:59:30Z", `,"success":true,"metadata":{"check_enabled":true,"tags":["web"]}`))
	var tagged struct {
		Token string `json:"token"`
	}
	if code := r.apiJSON("POST", "/v1/badges", `{"tagPattern":"db*"}`, &tagged); code != 201 {
		t.Fatalf("create by tag: %d", code)
	}
	r.wantBadge(tagged.Token, "db*", "1 up", "brightgreen", "#4c1")

	for _, tc := range []struct{ name, body, field string }{
		{"bad glob", `{"jobPattern":"backup-["}`, "jobPattern"},
		{"bad tag glob", `{"tagPattern":"db["}`, "tagPattern"},
		{"label too long", `{"label":"` + strings.Repeat("x", 65) + `"}`, "label"},
		{"label with a newline", `{"label":"a\nb"}`, "label"},
		{"label not a string", `{"label":5}`, "label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got validationError
			if code := r.apiJSON("POST", "/v1/badges", tc.body, &got); code != 400 || len(got.Details.FieldErrors[tc.field]) == 0 {
				t.Errorf("got %d %+v, want 400 naming %s", code, got, tc.field)
			}
		})
	}

	var list struct {
		Badges []map[string]any `json:"badges"`
	}
	if code := r.apiJSON("GET", "/v1/badges", "", &list); code != 200 || len(list.Badges) != 4 {
		t.Fatalf("list: %d %+v", code, list)
	}
	for _, b := range list.Badges {
		if _, leaked := b["token"]; leaked {
			t.Errorf("list shows a token: %v", b)
		}
	}

	var revoked struct {
		Badge struct {
			RevokedAt *string `json:"revokedAt"`
		} `json:"badge"`
	}
	if code := r.apiJSON("POST", "/v1/badges/"+itoa(created.Badge.ID)+"/revoke", "", &revoked); code != 200 || revoked.Badge.RevokedAt == nil {
		t.Fatalf("revoke: %d %+v", code, revoked)
	}
	r.wantBadgeGone(tok)
	r.wantBadge(all.Token, "jobs", "1 failing", "red", "#e05d44") // the others still work
	if code := r.apiJSON("POST", "/v1/badges/999/revoke", "", nil); code != 404 {
		t.Errorf("revoke unknown: %d, want 404", code)
	}
	// An unknown token of the right shape answers exactly as a revoked one.
	unknown, _ := services.NewBadgeToken()
	r.wantBadgeGone(unknown)
	resU, bodyU := r.public("/badge/" + unknown + ".svg")
	resR, bodyR := r.public("/badge/" + tok + ".svg")
	if bodyU != bodyR || resU.Header.Get("ETag") != resR.Header.Get("ETag") {
		t.Errorf("unknown and revoked badges differ:\n%s\n%s", bodyU, bodyR)
	}
	if code := r.apiJSON("POST", "/v1/badges", `{}`, nil); code != 201 {
		t.Fatalf("create: %d", code)
	}
	req := httptest.NewRequest("GET", "/v1/badges", nil) // no key
	if res, _ := r.app.Test(req); res.StatusCode != 401 {
		t.Errorf("list without key: %d, want 401", res.StatusCode)
	}
}

// keyedIngest posts events with the API key, which the badge API tests configure.
func (r *dashRig) keyedIngest(events ...string) {
	r.t.Helper()
	if code := r.apiJSON("POST", "/v1/events/batch", `{"events":[`+strings.Join(events, ",")+`]}`, nil); code != 202 {
		r.t.Fatalf("ingest: %d", code)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestBadgesPage: the settings page makes a badge with a plain form post (shows its URLs once),
// refuses a bad pattern in the form, and revokes with a redirect.
func TestBadgesPage(t *testing.T) {
	r := newDash(t, nil)
	r.ingest(event("job.completed", "etl", "2026-03-04T09:58:00Z", `,"success":true,"durationMs":10`))
	r.signIn()
	if p := r.do("GET", "/settings", nil); p.testid("settings-nav").Find(`a[href="/settings/badges"]`).Length() != 1 {
		t.Fatalf("settings page lacks the badges link")
	}
	p := r.do("GET", "/settings/badges", nil)
	if p.status != 200 || p.testid("empty-state").Length() != 1 {
		t.Fatalf("empty page: %d %s", p.status, p.body)
	}
	tok := r.csrf("/settings/badges")
	if p := r.do("POST", "/settings/badges", url.Values{"_csrf": {"bad"}, "jobPattern": {"etl"}}, "Origin", sameOrigin); p.status != 403 {
		t.Fatalf("without CSRF: %d", p.status)
	}
	p = r.do("POST", "/settings/badges", url.Values{"_csrf": {tok}, "label": {"<b>etl</b>"}, "jobPattern": {"etl["}}, "Origin", sameOrigin)
	if p.status != 400 || !strings.Contains(p.testid("error-banner").Text(), "Jobs: Invalid job name pattern") ||
		p.doc.Find(`input[name="jobPattern"]`).AttrOr("value", "") != "etl[" {
		t.Fatalf("invalid: %d %s", p.status, p.body)
	}
	p = r.do("POST", "/settings/badges", url.Values{"_csrf": {tok}, "label": {"<b>etl</b>"}, "jobPattern": {"etl"}}, "Origin", sameOrigin)
	svgURL := p.testid("badge-svg-url").Text()
	if p.status != 200 || !strings.HasPrefix(svgURL, "http://monitor.test/badge/") || p.testid("badge-row").Length() != 1 ||
		p.header.Get("Cache-Control") != "no-store" || strings.Contains(p.body, "<b>etl</b>") {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(svgURL, "http://monitor.test/badge/"), ".svg")
	r.wantBadge(token, "<b>etl</b>", "up", "brightgreen", "#4c1")
	r.ingest(event("job.failed", "etl", "2026-03-04T09:59:00Z", `,"success":false,"durationMs":10`))
	r.wantBadge(token, "<b>etl</b>", "failing", "red", "#e05d44")

	// The URLs are shown once: the page afterwards lists the badge without them.
	p = r.do("GET", "/settings/badges", nil)
	if strings.Contains(p.body, token) || p.testid("badge-created").Length() != 0 || p.testid("badge-state").Text() != "ACTIVE" {
		t.Fatalf("list shows the token: %s", p.body)
	}
	action := p.doc.Find(`[data-testid="badge-row"] form`).AttrOr("action", "")
	p = r.do("POST", action, url.Values{"_csrf": {tok}}, "Origin", sameOrigin)
	if p.status != 303 || p.header.Get("Location") != "/settings/badges?revoked=1" {
		t.Fatalf("revoke: %d %v", p.status, p.header)
	}
	p = r.do("GET", "/settings/badges?revoked=1", nil)
	if p.testid("badge-state").Text() != "REVOKED" || p.testid("badges-notice").Length() != 1 {
		t.Fatalf("after revoke: %s", p.body)
	}
	r.wantBadgeGone(token)
}

func TestBadgeSVGWidthFollowsText(t *testing.T) {
	short := BadgeSVG(services.BadgeStatus{Label: "jobs", Message: "up", Color: services.BadgeGreen})
	long := BadgeSVG(services.BadgeStatus{Label: "nightly-warehouse-backups", Message: "12 failing, 3 down", Color: services.BadgeRed})
	width := func(svg string) string {
		_, rest, _ := strings.Cut(svg, `width="`)
		w, _, _ := strings.Cut(rest, `"`)
		return w
	}
	if width(short) != "57" || width(long) != "272" {
		t.Errorf("widths: got %s and %s, want 57 and 272", width(short), width(long))
	}
	evil := BadgeSVG(services.BadgeStatus{Label: `</text><script>alert(1)</script>"&` + "\x01", Message: "up"})
	if strings.Contains(evil, "<script>") || xml.Unmarshal([]byte(evil), new(struct{})) != nil {
		t.Errorf("untrusted text not escaped: %s", evil)
	}
}
