package handlers

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
	"github.com/oauth2-proxy/mockoidc"
)

type userResponse struct {
	User     userView `json:"user"`
	Password string   `json:"password"`
}

func decodeUser(t *testing.T, p page) userResponse {
	t.Helper()
	var out userResponse
	if err := json.Unmarshal([]byte(p.body), &out); err != nil {
		t.Fatalf("decode %s: %v", p.body, err)
	}
	return out
}

// signInStatus tries a password sign-in in a fresh browser and returns the status.
func (r *dashRig) signInStatus(email, password string) (int, string) {
	r.t.Helper()
	b := *r
	b.jar = map[string]string{}
	tok := b.csrf("/login")
	p := b.do("POST", "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}}, "Origin", sameOrigin)
	return p.status, p.testid("error-banner").Text()
}

func TestUserLifecycleThroughTheAPI(t *testing.T) {
	r := newDash(t, nil)
	admin := r.browser(testAdmin, testPassword)

	created := admin.api("POST", "/v1/users", `{"email":" Vera@Example.org ","name":"Vera","role":"viewer"}`)
	if created.status != fiber.StatusCreated {
		t.Fatalf("create: got %d %s", created.status, created.body)
	}
	cu := decodeUser(t, created)
	if cu.User.Email != "vera@example.org" || cu.User.Role != "viewer" || len(cu.Password) != 20 || !cu.User.Password {
		t.Fatalf("create: got %+v (password %d chars)", cu.User, len(cu.Password))
	}
	if strings.Contains(admin.api("GET", "/v1/users", "").body, cu.Password) {
		t.Fatalf("the generated password is listed")
	}
	vera := r.browser("vera@example.org", cu.Password)
	if p := vera.api("GET", "/v1/status/summary", ""); p.status != 200 {
		t.Errorf("viewer reads the API: got %d", p.status)
	}
	if p := vera.api("PUT", "/v1/settings/alerts/email", `{"recipients":[],"enabledAlertTypes":[]}`); p.status != 403 {
		t.Errorf("viewer writes settings: got %d %s", p.status, p.body)
	}

	// Promoted, the same session may write at once; demoted again, it may not.
	id := cu.User.ID
	if p := admin.api("PATCH", "/v1/users/"+id, `{"role":"admin"}`); p.status != 200 || decodeUser(t, p).User.Role != "admin" {
		t.Fatalf("promote: got %d %s", p.status, p.body)
	}
	if p := vera.api("PUT", "/v1/settings/alerts/email", `{"recipients":[],"enabledAlertTypes":[]}`); p.status != 200 {
		t.Errorf("promoted viewer writes settings: got %d %s", p.status, p.body)
	}
	if p := admin.api("PATCH", "/v1/users/"+id, `{"role":"viewer","name":"Vera V."}`); p.status != 200 || decodeUser(t, p).User.Name != "Vera V." {
		t.Fatalf("demote: got %d %s", p.status, p.body)
	}
	if p := vera.api("PUT", "/v1/settings/alerts/email", `{"recipients":[],"enabledAlertTypes":[]}`); p.status != 403 {
		t.Errorf("demoted user writes settings: got %d", p.status)
	}

	// Disabled: the session ends at once and signing in is refused; enabled: it works again.
	if p := admin.api("PATCH", "/v1/users/"+id, `{"disabled":true}`); p.status != 200 || !decodeUser(t, p).User.Disabled {
		t.Fatalf("disable: got %d %s", p.status, p.body)
	}
	if p := vera.do("GET", "/", nil); p.status != fiber.StatusFound || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("disabled user's session: got %d %q, want the redirect to /login", p.status, p.header.Get("Location"))
	}
	if st, msg := r.signInStatus("vera@example.org", cu.Password); st != fiber.StatusForbidden || !strings.Contains(msg, "disabled") {
		t.Errorf("disabled sign-in: got %d %q", st, msg)
	}
	var sessions int64
	r.st.DB().Raw(`SELECT COUNT(*) FROM "session" WHERE "userId" = ?`, id).Scan(&sessions)
	if sessions != 0 {
		t.Errorf("disabled user has %d sessions", sessions)
	}
	if p := admin.api("PATCH", "/v1/users/"+id, `{"disabled":false}`); p.status != 200 || decodeUser(t, p).User.Disabled {
		t.Fatalf("enable: got %d %s", p.status, p.body)
	}
	vera = r.browser("vera@example.org", cu.Password)

	// A reset: the old password fails, the new one works, the user's sessions end.
	reset := admin.api("POST", "/v1/users/"+id+"/reset-password", "")
	rp := decodeUser(t, reset)
	if reset.status != 200 || len(rp.Password) != 20 || rp.Password == cu.Password {
		t.Fatalf("reset: got %d %s", reset.status, reset.body)
	}
	if st, _ := r.signInStatus("vera@example.org", cu.Password); st != fiber.StatusUnauthorized {
		t.Errorf("old password after reset: got %d, want 401", st)
	}
	if p := vera.do("GET", "/", nil); p.status != fiber.StatusFound {
		t.Errorf("session after reset: got %d, want the redirect to /login", p.status)
	}
	r.browser("vera@example.org", rp.Password)
	// The admin resetting their own password stays signed in.
	var self models.User
	r.st.DB().Where(`"email" = ?`, testAdmin).First(&self)
	if p := admin.api("POST", "/v1/users/"+self.ID+"/reset-password", ""); p.status != 200 {
		t.Fatalf("own reset: got %d", p.status)
	}
	if p := admin.do("GET", "/", nil); p.status != 200 {
		t.Errorf("own session after own reset: got %d", p.status)
	}
	if p := admin.api("POST", "/v1/users/nope/reset-password", ""); p.status != 404 || p.body != `{"error":"User not found"}` {
		t.Errorf("unknown user: got %d %s", p.status, p.body)
	}
}

func TestLastAdminIsProtected(t *testing.T) {
	r := newDash(t, nil)
	admin := r.browser(testAdmin, testPassword)
	var self models.User
	r.st.DB().Where(`"email" = ?`, testAdmin).First(&self)
	for _, body := range []string{`{"role":"viewer"}`, `{"disabled":true}`} {
		p := admin.api("PATCH", "/v1/users/"+self.ID, body)
		if p.status != 400 || !strings.Contains(p.body, "last active admin") {
			t.Errorf("%s on the last admin: got %d %s", body, p.status, p.body)
		}
	}
	// The page says it too, on the same page.
	tok := admin.csrf("/settings/users")
	p := admin.do("POST", "/settings/users/"+self.ID+"/role", url.Values{"_csrf": {tok}, "role": {"viewer"}}, "Origin", sameOrigin)
	if p.status != 400 || !strings.Contains(p.testid("error-banner").Text(), "last active admin") {
		t.Errorf("page demotion of the last admin: got %d %q", p.status, p.testid("error-banner").Text())
	}
	// A disabled admin does not count; a second active one does.
	other, _ := r.addUser("second@example.org", models.RoleAdmin)
	if p := admin.api("PATCH", "/v1/users/"+other.ID, `{"disabled":true}`); p.status != 200 {
		t.Fatalf("disable the second admin: %d %s", p.status, p.body)
	}
	if p := admin.api("PATCH", "/v1/users/"+self.ID, `{"role":"viewer"}`); p.status != 400 {
		t.Errorf("demote with only a disabled admin left: got %d", p.status)
	}
	if p := admin.api("PATCH", "/v1/users/"+other.ID, `{"disabled":false}`); p.status != 200 {
		t.Fatalf("enable the second admin: %d", p.status)
	}
	if p := admin.api("PATCH", "/v1/users/"+self.ID, `{"role":"viewer"}`); p.status != 200 {
		t.Errorf("demote with another admin: got %d %s", p.status, p.body)
	}
}

func TestUserAPIValidation(t *testing.T) {
	r := newDash(t, nil)
	admin := r.browser(testAdmin, testPassword)
	tests := []struct {
		name, method, path, body string
		status                   int
		fields                   []string
	}{
		{"bad e-mail and role", "POST", "/v1/users", `{"email":"nope","role":"boss"}`, 400, []string{"email", "role"}},
		{"missing role", "POST", "/v1/users", `{"email":"a@b.co"}`, 400, []string{"role"}},
		{"short password", "POST", "/v1/users", `{"email":"a@b.co","role":"viewer","password":"short"}`, 400, []string{"password"}},
		{"e-mail of the wrong type", "POST", "/v1/users", `{"email":5,"role":"viewer"}`, 400, []string{"email"}},
		{"not an object", "POST", "/v1/users", `[1]`, 400, nil},
		{"duplicate", "POST", "/v1/users", `{"email":"ADMIN@example.org","role":"viewer"}`, 409, nil},
		{"patch role", "PATCH", "/v1/users/x", `{"role":"root"}`, 400, []string{"role"}},
		{"patch disabled type", "PATCH", "/v1/users/x", `{"disabled":"yes"}`, 400, []string{"disabled"}},
		{"patch empty name", "PATCH", "/v1/users/x", `{"name":"  "}`, 400, []string{"name"}},
		{"patch unknown user", "PATCH", "/v1/users/x", `{"role":"admin"}`, 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.api(tc.method, tc.path, tc.body)
			if p.status != tc.status {
				t.Fatalf("got %d %s, want %d", p.status, p.body, tc.status)
			}
			var body validationError
			_ = json.Unmarshal([]byte(p.body), &body)
			for _, f := range tc.fields {
				if len(body.Details.FieldErrors[f]) == 0 {
					t.Errorf("no error named %q in %s", f, p.body)
				}
			}
		})
	}
	// Created with the admin's password: none is returned, and that password signs in.
	p := admin.api("POST", "/v1/users", `{"email":"pat@example.org","role":"admin","password":"pat-password-1"}`)
	if p.status != 201 || strings.Contains(p.body, `"password":"`) {
		t.Fatalf("create with a password: got %d %s", p.status, p.body)
	}
	r.browser("pat@example.org", "pat-password-1")
}

func TestUsersPageWithoutJavaScript(t *testing.T) {
	r := newDash(t, nil)
	admin := r.browser(testAdmin, testPassword)
	page := admin.do("GET", "/settings/users", nil)
	if page.status != 200 || page.testid("user-row").Length() != 1 || page.testid("settings-nav").Length() != 1 {
		t.Fatalf("users page: got %d, %d rows", page.status, page.testid("user-row").Length())
	}
	tok := page.doc.Find(`[data-testid="invite-form"] input[name="_csrf"]`).AttrOr("value", "")
	form := url.Values{"_csrf": {tok}, "email": {"nora@example.org"}, "name": {"Nora"}, "role": {"viewer"}}
	if p := admin.do("POST", "/settings/users", form); p.status != 403 {
		t.Errorf("without Origin: got %d, want 403", p.status)
	}
	if p := admin.do("POST", "/settings/users", url.Values{"email": {"x@example.org"}, "role": {"viewer"}}, "Origin", sameOrigin); p.status != 403 {
		t.Errorf("without CSRF: got %d, want 403", p.status)
	}
	p := admin.do("POST", "/settings/users", form, "Origin", sameOrigin)
	pw := p.testid("generated-password").Text()
	if p.status != 200 || len(pw) != 20 || p.testid("user-row").Length() != 2 {
		t.Fatalf("create: got %d, password %q, %d rows", p.status, pw, p.testid("user-row").Length())
	}
	if again := admin.do("GET", "/settings/users", nil); strings.Contains(again.body, pw) {
		t.Errorf("the password is shown a second time")
	}
	bad := admin.do("POST", "/settings/users", url.Values{"_csrf": {tok}, "email": {"not-an-address"}, "role": {"viewer"}}, "Origin", sameOrigin)
	if bad.status != 400 || !strings.Contains(bad.testid("error-banner").Text(), "email: Invalid email") ||
		bad.doc.Find(`input[name="email"]`).AttrOr("value", "") != "not-an-address" {
		t.Errorf("invalid create: got %d %q", bad.status, bad.testid("error-banner").Text())
	}
	nora := r.browser("nora@example.org", pw)
	var id string
	r.st.DB().Raw(`SELECT "id" FROM "user" WHERE "email" = ?`, "nora@example.org").Scan(&id)
	p = admin.do("POST", "/settings/users/"+id+"/role", url.Values{"_csrf": {tok}, "role": {"admin"}}, "Origin", sameOrigin)
	if p.status != fiber.StatusSeeOther || p.header.Get("Location") != "/settings/users?done=role" {
		t.Fatalf("role form: got %d %q", p.status, p.header.Get("Location"))
	}
	if p := admin.do("GET", "/settings/users?done=role", nil); p.testid("users-notice").Text() != "Role changed." {
		t.Errorf("notice: %q", p.testid("users-notice").Text())
	}
	if p := admin.do("POST", "/settings/users/"+id+"/disabled", url.Values{"_csrf": {tok}, "disabled": {"1"}}, "Origin", sameOrigin); p.status != fiber.StatusSeeOther {
		t.Fatalf("disable form: got %d", p.status)
	}
	if p := nora.do("GET", "/", nil); p.status != fiber.StatusFound {
		t.Errorf("disabled user's session: got %d", p.status)
	}
	p = admin.do("POST", "/settings/users/"+id+"/reset-password", url.Values{"_csrf": {tok}}, "Origin", sameOrigin)
	if p.status != 200 || len(p.testid("generated-password").Text()) != 20 {
		t.Errorf("reset form: got %d %q", p.status, p.testid("generated-password").Text())
	}
}

// ssoAdminRig is ssoRig with MONITOR_SSO_ADMIN_EMAILS set.
func ssoAdminRig(t *testing.T, admins ...string) (*dashRig, *mockoidc.MockOIDC) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("mockoidc: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	cfg := m.Config()
	sso, err := NewSSO(SSOOptions{OIDCIssuer: cfg.Issuer, OIDCClientID: cfg.ClientID, OIDCClientSecret: cfg.ClientSecret,
		AllowedDomains: []string{"example.com"}, AdminEmails: admins, BaseURL: sameOrigin, Secret: testSecret})
	if err != nil {
		t.Fatalf("NewSSO: %v", err)
	}
	return newDash(t, func(o *Options) { o.SSO = sso }), m
}

func TestSSORoles(t *testing.T) {
	r, m := ssoAdminRig(t, "Boss@Example.com", "@ops.example.com")
	role := func(email string) models.Role {
		u, err := r.st.UserByEmail(context.Background(), email)
		if err != nil {
			t.Fatalf("user %s: %v", email, err)
		}
		return u.Role
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-boss", Email: "boss@example.com", EmailVerified: true})
	if p := ssoRoundTrip(t, r, "/settings", nil); p.status != fiber.StatusFound {
		t.Fatalf("boss sign-in: got %d", p.status)
	}
	if got := role("boss@example.com"); got != models.RoleAdmin {
		t.Errorf("allow-listed admin: got role %q", got)
	}
	if p := r.do("GET", "/settings", nil); p.status != 200 {
		t.Errorf("SSO admin on /settings: got %d", p.status)
	}

	r.jar = map[string]string{}
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-jane", Email: "jane@example.com", EmailVerified: true})
	if p := ssoRoundTrip(t, r, "/", nil); p.status != fiber.StatusFound {
		t.Fatalf("jane sign-in: got %d", p.status)
	}
	if got := role("jane@example.com"); got != models.RoleViewer {
		t.Errorf("other SSO user: got role %q, want viewer", got)
	}
	if p := r.do("GET", "/settings", nil); p.status != 403 || p.testid("forbidden").Length() != 1 {
		t.Errorf("SSO viewer on /settings: got %d", p.status)
	}
	// Disabled, the next SSO sign-in is refused.
	u, _ := r.st.UserByEmail(context.Background(), "jane@example.com")
	disabled := true
	if _, _, err := r.opts.Auth.Users().Update(context.Background(), u.ID, servicesPatch(&disabled)); err != nil {
		t.Fatal(err)
	}
	r.jar = map[string]string{}
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-jane", Email: "jane@example.com", EmailVerified: true})
	if p := ssoRoundTrip(t, r, "/", nil); p.status != fiber.StatusForbidden {
		t.Errorf("disabled SSO user: got %d, want 403", p.status)
	}
}

func servicesPatch(disabled *bool) services.UserPatchRequest {
	return services.UserPatchRequest{Disabled: disabled}
}
