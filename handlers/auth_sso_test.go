package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/oauth2-proxy/mockoidc"
)

// ssoRig runs a real OpenID Connect provider on loopback and a dashboard configured for it.
func ssoRig(t *testing.T) (*dashRig, *mockoidc.MockOIDC) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("mockoidc: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	cfg := m.Config()
	sso, err := NewSSO(SSOOptions{OIDCIssuer: cfg.Issuer, OIDCClientID: cfg.ClientID, OIDCClientSecret: cfg.ClientSecret,
		OIDCName: "Mock IdP", AllowedDomains: []string{"@Example.com"}, AllowedEmails: []string{"boss@partner.org"},
		BaseURL: sameOrigin, Secret: testSecret})
	if err != nil {
		t.Fatalf("NewSSO: %v", err)
	}
	return newDash(t, func(o *Options) { o.SSO = sso }), m
}

// ssoRoundTrip starts a sign-in, lets the provider answer, and returns the callback response.
func ssoRoundTrip(t *testing.T, r *dashRig, next string, tamper func(*url.URL)) page {
	t.Helper()
	begin := r.do("GET", "/auth/sso/oidc?next="+url.QueryEscape(next), nil)
	if begin.status != fiber.StatusFound {
		t.Fatalf("begin: got %d %s", begin.status, begin.body)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(begin.header.Get("Location"))
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	res.Body.Close()
	cb, err := url.Parse(res.Header.Get("Location"))
	if err != nil || cb.Path != "/auth/sso/oidc/callback" {
		t.Fatalf("provider redirect: %q (%v)", res.Header.Get("Location"), err)
	}
	if tamper != nil {
		tamper(cb)
	}
	return r.do("GET", cb.RequestURI(), nil)
}

func TestSSOOpenIDConnectEndToEnd(t *testing.T) {
	r, m := ssoRig(t)
	login := r.do("GET", "/login", nil)
	if got := login.testid("sso-oidc").Text(); got != "Sign in with Mock IdP" {
		t.Errorf("login button: got %q", got)
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-1", Email: "Jane.Doe@example.com", EmailVerified: true})
	p := ssoRoundTrip(t, r, "/jobs?x=1", nil)
	if p.status != fiber.StatusFound || p.header.Get("Location") != "/jobs?x=1" {
		t.Fatalf("callback: got %d %q %s", p.status, p.header.Get("Location"), p.body)
	}
	page := r.do("GET", "/jobs", nil)
	if page.status != 200 || page.testid("user-email").Text() != "jane.doe@example.com" {
		t.Fatalf("after SSO: got %d, user %q", page.status, page.testid("user-email").Text())
	}
	// A second sign-in reuses the user row.
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-1", Email: "jane.doe@example.com", EmailVerified: true})
	if p := ssoRoundTrip(t, r, "/", nil); p.status != fiber.StatusFound {
		t.Fatalf("second sign-in: got %d", p.status)
	}
	var users int64
	r.st.DB().Raw(`SELECT COUNT(*) FROM "user" WHERE "email" = ?`, "jane.doe@example.com").Scan(&users)
	if users != 1 {
		t.Errorf("users: got %d, want 1", users)
	}
}

func TestSSORefusals(t *testing.T) {
	tests := []struct {
		name   string
		user   *mockoidc.MockUser
		tamper func(*url.URL)
		msg    string
	}{
		{name: "not on the allow-list", user: &mockoidc.MockUser{Subject: "s", Email: "eve@evil.org", EmailVerified: true},
			msg: "not allowed"},
		{name: "unverified e-mail", user: &mockoidc.MockUser{Subject: "s", Email: "joe@example.com", EmailVerified: false},
			msg: "not allowed"},
		{name: "tampered state", user: mockoidc.DefaultUser(), msg: "expired or was tampered with",
			tamper: func(u *url.URL) {
				q := u.Query()
				q.Set("state", "forged")
				u.RawQuery = q.Encode()
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, m := ssoRig(t)
			m.QueueUser(tc.user)
			p := ssoRoundTrip(t, r, "/", tc.tamper)
			if p.status != fiber.StatusForbidden || !strings.Contains(p.testid("error-banner").Text(), tc.msg) {
				t.Fatalf("got %d %q, want 403 with %q", p.status, p.testid("error-banner").Text(), tc.msg)
			}
			if _, ok := r.jar["better-auth.session_token"]; ok {
				t.Errorf("a session cookie was set")
			}
		})
	}
}

func TestNewSSONeedsAllowList(t *testing.T) {
	if _, err := NewSSO(SSOOptions{GitHubClientID: "id", GitHubClientSecret: "s", BaseURL: sameOrigin}); err == nil {
		t.Errorf("GitHub without an allow-list: want an error")
	}
	if s, err := NewSSO(SSOOptions{}); s != nil || err != nil {
		t.Errorf("nothing configured: got %v, %v; want nil, nil", s, err)
	}
	s, err := NewSSO(SSOOptions{GitHubClientID: "id", GitHubClientSecret: "s", BaseURL: sameOrigin, AllowedEmails: []string{"a@b.co"}})
	if err != nil || len(s.buttons()) != 1 || s.buttons()[0].ID != "github" {
		t.Errorf("GitHub: got %+v, %v", s, err)
	}
}
