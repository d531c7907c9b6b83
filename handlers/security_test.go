package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestSanitizeNext(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "/"},
		{"relative path", "jobs", "/"},
		{"absolute URL", "https://evil.example/", "/"},
		{"protocol-relative", "//evil.example/x", "/"},
		{"backslash trick", "/\\evil.example", "/"},
		{"tab trick", "/\t/evil.example", "/"},
		{"newline trick", "/\n/evil.example", "/"},
		{"carriage return", "/\rSet-Cookie: x=1", "/"},
		{"login", "/login", "/"},
		{"login with query kept", "/login?x=1", "/login?x=1"},
		{"page with query", "/alerts?status=OPEN&page=2", "/alerts?status=OPEN&page=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sanitizeNext(tc.in); got != tc.want {
				t.Errorf("sanitizeNext(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Browsers drop tabs and newlines from a URL, so a next of "/\t/evil.example" would leave the
// site as "//evil.example": sign-in, and /login for a signed-in user, must not send it back.
func TestNextWithControlCharactersStaysOnSite(t *testing.T) {
	r := newDash(t, nil)
	tok := r.csrf("/login")
	p := r.do("POST", "/login", url.Values{"_csrf": {tok}, "email": {testAdmin}, "password": {testPassword},
		"next": {"/\t/evil.example"}}, "Origin", sameOrigin)
	if p.status != fiber.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("sign-in: got %d %q, want 303 /", p.status, p.header.Get("Location"))
	}
	for _, next := range []string{"/%09/evil.example", "/%0d/evil.example", "/%0A/evil.example"} {
		if p := r.do("GET", "/login?next="+next, nil); p.status != fiber.StatusFound || p.header.Get("Location") != "/" {
			t.Errorf("signed in, next=%s: got %d %q, want 302 /", next, p.status, p.header.Get("Location"))
		}
	}
}

func TestAPISignInRefusesCallbackURLLeavingTheSite(t *testing.T) {
	r := newDash(t, func(o *Options) { o.SignInLimit = 100 })
	for _, cb := range []string{"/\\evil.example", "/\t/evil.example", "//evil.example", "https://evil.example/", sameOrigin + "/\r\nX: y"} {
		body, _ := json.Marshal(map[string]string{"email": testAdmin, "password": testPassword, "callbackURL": cb})
		req := httptest.NewRequest("POST", "/api/auth/sign-in/email", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		res, err := r.app.Test(req, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusForbidden || res.Header.Get("Location") != "" {
			t.Errorf("callbackURL %q: got %d Location %q, want 403", cb, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// One IPv6 host usually owns a whole /64: rotating through it must not buy new attempts.
func TestSignInRateLimitIPv6Prefix(t *testing.T) {
	r := newDash(t, func(o *Options) { o.TrustedProxies = []string{"0.0.0.0", "127.0.0.1"} })
	tok := r.csrf("/login")
	bad := url.Values{"_csrf": {tok}, "email": {"not-an-email"}, "password": {"wrong-password"}}
	for i := 1; i <= 5; i++ {
		ip := "2001:db8:1:2::" + string(rune('0'+i))
		if p := r.do("POST", "/login", bad, "Origin", sameOrigin, "X-Forwarded-For", ip); p.status != 400 {
			t.Fatalf("attempt %d from %s: got %d", i, ip, p.status)
		}
	}
	if p := r.do("POST", "/login", bad, "Origin", sameOrigin, "X-Forwarded-For", "2001:db8:1:2:ffff::9"); p.status != fiber.StatusTooManyRequests {
		t.Fatalf("6th attempt from the same /64: got %d, want 429", p.status)
	}
	if p := r.do("POST", "/login", bad, "Origin", sameOrigin, "X-Forwarded-For", "2001:db8:1:3::1"); p.status != 400 {
		t.Errorf("another /64: got %d, want 400", p.status)
	}
}

// /login does not print text from its URL in the "Sign in failed" banner (content spoofing).
func TestLoginPageIgnoresErrorQuery(t *testing.T) {
	r := newDash(t, nil)
	p := r.do("GET", "/login?error=Your+account+is+locked.+Call+555-0100", nil)
	if p.status != 200 || strings.Contains(p.body, "555-0100") || p.testid("error-banner").Length() != 0 {
		t.Fatalf("got %d, banner %q", p.status, p.testid("error-banner").Text())
	}
}
