package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/openidConnect"
)

// This file is the only place that touches goth (net/http-shaped): the providers are driven
// directly (BeginAuth, Authorize, FetchUser), and goth's per-login state lives in a short-lived
// signed cookie instead of gothic's gorilla sessions.

// SSOOptions configure single sign-on (MONITOR_OIDC_*, MONITOR_GITHUB_*, MONITOR_SSO_*).
type SSOOptions struct {
	// OIDCIssuer enables a generic OpenID Connect provider (discovery at
	// <issuer>/.well-known/openid-configuration).
	OIDCIssuer, OIDCClientID, OIDCClientSecret string
	// OIDCName is the button label ("Sign in with <name>"); default "OpenID Connect".
	OIDCName string
	// GitHubClientID and GitHubClientSecret enable GitHub sign-in.
	GitHubClientID, GitHubClientSecret string
	// AllowedEmails and AllowedDomains are the allow-list; an identity must match one.
	AllowedEmails, AllowedDomains []string
	// AdminEmails (MONITOR_SSO_ADMIN_EMAILS) are exact addresses or "@domain" entries whose
	// users sign in as admins; every other single sign-on user is a viewer.
	AdminEmails []string
	// BaseURL is the public origin; callbacks are <BaseURL>/auth/sso/<id>/callback.
	BaseURL string
	// Secret signs the state cookie (MONITOR_AUTH_SECRET).
	Secret string
	// HTTPClient is used for token and user calls (nil: goth's default); discovery uses
	// http.DefaultClient.
	HTTPClient *http.Client
}

// SSO is the set of configured single sign-on providers and their allow-list.
type SSO struct {
	providers map[string]goth.Provider
	buttonsL  []views.SSOButton
	policy    services.SSOPolicy
	secret    []byte
}

// Provider ids: path segments of /auth/sso/<id> and the account providerId.
const (
	ssoOIDC   = "oidc"
	ssoGitHub = "github"
)

// ssoStateCookie carries goth's session between the redirect and the callback.
const (
	ssoStateCookie = "monitor_sso_state"
	ssoStateTTL    = 10 * time.Minute
)

// NewSSO builds the configured providers; it returns nil when none is configured. The OpenID
// Connect provider fetches its discovery document here, so a wrong issuer fails at start.
func NewSSO(o SSOOptions) (*SSO, error) {
	s := &SSO{providers: map[string]goth.Provider{}, secret: []byte(o.Secret)}
	for _, e := range o.AllowedEmails {
		s.policy.Emails = append(s.policy.Emails, services.NormalizeEmail(e))
	}
	for _, d := range o.AllowedDomains {
		s.policy.Domains = append(s.policy.Domains, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@")))
	}
	s.policy.AdminEmails, s.policy.AdminDomains = services.ParseEmailList(o.AdminEmails)
	base := strings.TrimSuffix(o.BaseURL, "/")
	if o.OIDCIssuer != "" {
		discovery := strings.TrimSuffix(o.OIDCIssuer, "/") + "/.well-known/openid-configuration"
		p, err := openidConnect.New(o.OIDCClientID, o.OIDCClientSecret, base+"/auth/sso/"+ssoOIDC+"/callback", discovery,
			"openid", "email", "profile")
		if err != nil {
			return nil, fmt.Errorf("sso: openid connect discovery at %s: %w", discovery, err)
		}
		p.HTTPClient = o.HTTPClient
		name := o.OIDCName
		if name == "" {
			name = "OpenID Connect"
		}
		s.providers[ssoOIDC] = p
		s.buttonsL = append(s.buttonsL, views.SSOButton{ID: ssoOIDC, Label: name})
	}
	if o.GitHubClientID != "" {
		p := github.New(o.GitHubClientID, o.GitHubClientSecret, base+"/auth/sso/"+ssoGitHub+"/callback", "read:user", "user:email")
		p.HTTPClient = o.HTTPClient
		s.providers[ssoGitHub] = p
		s.buttonsL = append(s.buttonsL, views.SSOButton{ID: ssoGitHub, Label: "GitHub"})
	}
	if len(s.providers) == 0 {
		return nil, nil
	}
	if len(s.policy.Emails) == 0 && len(s.policy.Domains) == 0 {
		return nil, errors.New("sso: a provider is configured but MONITOR_SSO_ALLOWED_EMAILS and MONITOR_SSO_ALLOWED_DOMAINS are both empty")
	}
	return s, nil
}

func (s *SSO) buttons() []views.SSOButton {
	if s == nil {
		return nil
	}
	return s.buttonsL
}

func (s *SSO) provider(id string) (goth.Provider, bool) {
	if s == nil {
		return nil, false
	}
	p, ok := s.providers[id]
	return p, ok
}

// ssoState is the signed content of the state cookie.
type ssoState struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Next     string `json:"n"`
	Session  string `json:"d"`
	Expires  int64  `json:"e"`
}

func (s *SSO) sign(payload string) string {
	m := hmac.New(sha256.New, append([]byte("sso-state:"), s.secret...))
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *SSO) encodeState(st ssoState) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + s.sign(payload), nil
}

func (s *SSO) decodeState(v string, now time.Time) (ssoState, bool) {
	var st ssoState
	payload, sig, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return st, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &st) != nil || now.Unix() > st.Expires {
		return st, false
	}
	return st, true
}

// ssoBegin is GET /auth/sso/:provider: remember state and next, redirect to the provider.
func (h *Handler) ssoBegin(c *fiber.Ctx) error {
	p, ok := h.opts.SSO.provider(c.Params("provider"))
	if !ok || h.auth == nil {
		return h.pageNotFound(c)
	}
	stateBytes := make([]byte, 24)
	_, _ = rand.Read(stateBytes) // crypto/rand never fails on supported platforms
	state := base64.RawURLEncoding.EncodeToString(stateBytes)
	sess, err := p.BeginAuth(state)
	if err != nil {
		return fmt.Errorf("sso: begin %s: %w", p.Name(), err)
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		return fmt.Errorf("sso: begin %s: %w", p.Name(), err)
	}
	cookie, err := h.opts.SSO.encodeState(ssoState{Provider: c.Params("provider"), State: state,
		Next: sanitizeNext(c.Query("next")), Session: sess.Marshal(), Expires: h.now().Add(ssoStateTTL).Unix()})
	if err != nil {
		return err
	}
	// SameSite=Lax: the callback is a top-level cross-site GET navigation from the provider.
	c.Cookie(&fiber.Cookie{Name: ssoStateCookie, Value: cookie, Path: "/auth/sso/", MaxAge: int(ssoStateTTL / time.Second),
		HTTPOnly: true, Secure: h.opts.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
	return c.Redirect(authURL, fiber.StatusFound)
}

// ssoCallback is GET /auth/sso/:provider/callback: check the state, exchange the code, apply
// the allow-list and open a normal session.
func (h *Handler) ssoCallback(c *fiber.Ctx) error {
	id := c.Params("provider")
	p, ok := h.opts.SSO.provider(id)
	if !ok || h.auth == nil {
		return h.pageNotFound(c)
	}
	st, ok := h.opts.SSO.decodeState(c.Cookies(ssoStateCookie), h.now())
	c.Cookie(&fiber.Cookie{Name: ssoStateCookie, Value: "", Path: "/auth/sso/", MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: h.opts.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
	if !ok || st.Provider != id || !hmac.Equal([]byte(st.State), []byte(c.Query("state"))) {
		return h.ssoFailed(c, st.Next, "The sign-in request expired or was tampered with. Please try again.")
	}
	if e := c.Query("error"); e != "" {
		return h.ssoFailed(c, st.Next, "The identity provider refused the sign-in: "+e)
	}
	sess, err := p.UnmarshalSession(st.Session)
	if err != nil {
		return h.ssoFailed(c, st.Next, "The sign-in request could not be read. Please try again.")
	}
	// Only the code goes to goth: the query must not choose redirect_uri or code_verifier.
	if _, err := sess.Authorize(p, url.Values{"code": {c.Query("code")}}); err != nil {
		h.log.Warn("SSO code exchange failed", "provider", id, "error", err)
		return h.ssoFailed(c, st.Next, "The identity provider did not accept the sign-in.")
	}
	user, err := p.FetchUser(sess)
	if err != nil {
		h.log.Warn("SSO user lookup failed", "provider", id, "error", err)
		return h.ssoFailed(c, st.Next, "The identity provider did not return the user.")
	}
	ident := services.SSOIdentity{Provider: id, Subject: user.UserID, Email: user.Email, Name: user.Name,
		EmailVerified: emailVerified(id, user.RawData)}
	cur, err := h.auth.SignInSSO(c.UserContext(), ident, h.opts.SSO.policy, h.clientMeta(c))
	if errors.Is(err, services.ErrNotAllowed) {
		h.log.Warn("SSO sign-in refused by the allow-list", "provider", id, "email", user.Email)
		return h.ssoFailed(c, st.Next, "This account is not allowed to sign in to this monitor.")
	}
	if err != nil {
		return err
	}
	h.setSessionCookie(c, cur)
	return c.Redirect(sanitizeNext(st.Next), fiber.StatusFound)
}

func (h *Handler) ssoFailed(c *fiber.Ctx, next, msg string) error {
	return h.renderLogin(c, fiber.StatusForbidden, views.LoginProps{Next: sanitizeNext(next), Error: msg})
}

// emailVerified reports whether the provider vouches for the address. OpenID Connect must send
// email_verified: true (an absent claim is not enough: anyone can register any address at some
// providers); GitHub's provider only returns the primary, verified address.
func emailVerified(provider string, raw map[string]any) bool {
	if provider == ssoGitHub {
		return true
	}
	switch v := raw["email_verified"].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}
