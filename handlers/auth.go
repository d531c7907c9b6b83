package handlers

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// Request-scoped values of the dashboard.
const (
	localsViewer  = "viewer"
	localsSession = "session"
)

// Compile-time check: the handler resolves browser sessions for the /v1 gate.
var _ Sessions = (*Handler)(nil)

// viewer is who is looking at a dashboard page.
type viewer struct {
	email     string
	sessionID string
	// role is the signed-in user's role ("" when the pages are open).
	role models.Role
	// admin is true for an admin's session and in the open mode.
	admin bool
	// open is true when auth is disabled and the pages are open to anyone.
	open bool
}

// isAdmin reports whether the viewer may change things.
func (v viewer) isAdmin() bool { return v.admin }

func viewerFrom(c *fiber.Ctx) (viewer, bool) {
	v, ok := c.Locals(localsViewer).(viewer)
	return v, ok
}

// sessionCookieName is Better Auth's cookie name.
func (h *Handler) sessionCookieName() string {
	if h.opts.SecureCookies {
		return "__Secure-better-auth.session_token"
	}
	return "better-auth.session_token"
}

// UserFromRequest implements Sessions for the /v1 gate.
func (h *Handler) UserFromRequest(c *fiber.Ctx) (string, bool) {
	cur := h.currentSession(c)
	if cur == nil {
		return "", false
	}
	return cur.User.Email, true
}

// currentSession resolves the session cookie once per request. A cookie naming no valid
// session is cleared.
func (h *Handler) currentSession(c *fiber.Ctx) *services.Current {
	if h.auth == nil {
		return nil
	}
	if cur, ok := c.Locals(localsSession).(*services.Current); ok {
		return cur
	}
	raw := c.Cookies(h.sessionCookieName())
	if raw == "" {
		return nil
	}
	val, err := url.PathUnescape(raw)
	if err != nil {
		h.clearSessionCookie(c)
		return nil
	}
	cur, err := h.auth.Resolve(c.UserContext(), val)
	if err != nil {
		if !errors.Is(err, services.ErrNoSession) {
			h.log.Error("Session lookup failed", "error", err)
		}
		h.clearSessionCookie(c)
		return nil
	}
	c.Locals(localsSession, cur)
	return cur
}

func (h *Handler) setSessionCookie(c *fiber.Ctx, cur *services.Current) {
	c.Cookie(&fiber.Cookie{Name: h.sessionCookieName(), Value: url.QueryEscape(h.auth.CookieValue(cur.Token)), Path: "/",
		MaxAge: int(h.auth.MaxAge(cur) / time.Second), HTTPOnly: true, Secure: h.opts.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode})
}

func (h *Handler) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: h.sessionCookieName(), Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: h.opts.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
}

// requireViewer guards every dashboard page and partial: a session, or the open
// mode when auth is disabled without an API key; otherwise a redirect to /login (HX-Redirect
// for htmx), or the explanation page when auth is off but a key protects the data.
func (h *Handler) requireViewer(c *fiber.Ctx) error {
	if h.auth == nil {
		// Fail closed: auth enabled without a sign-in service (a wiring error) shows no data.
		if h.opts.AuthEnabled || h.opts.APIKey != "" {
			return render(c, fiber.StatusForbidden, views.LockedPage(views.Chrome{AssetVersion: h.assetVersion, Now: h.now()}))
		}
		h.setViewer(c, viewer{open: true, admin: true})
		return c.Next()
	}
	cur := h.currentSession(c)
	if cur == nil {
		return h.toLogin(c)
	}
	if cur.Extended {
		h.setSessionCookie(c, cur)
	}
	h.setViewer(c, viewer{email: cur.User.Email, sessionID: cur.Session.ID, role: cur.User.Role, admin: cur.User.IsAdmin()})
	c.Locals(localsActor, cur.User.Email)
	return c.Next()
}

// toLogin sends a signed-out browser to /login?next=<path+query> (HX-Redirect for htmx, whose
// next is the page the user is on, not the partial).
func (h *Handler) toLogin(c *fiber.Ctx) error {
	next := c.OriginalURL()
	if isHTMX(c) {
		if u, err := url.Parse(c.Get("HX-Current-URL")); err == nil && u.Path != "" {
			next = u.RequestURI()
		}
		c.Set("HX-Redirect", "/login?next="+url.QueryEscape(sanitizeNext(next)))
		return c.SendStatus(fiber.StatusOK)
	}
	status := fiber.StatusFound
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		status = fiber.StatusSeeOther
	}
	return c.Redirect("/login?next="+url.QueryEscape(sanitizeNext(next)), status)
}

// disabledMessage is what a disabled user sees after giving the right password.
const disabledMessage = "This account is disabled. Ask an admin of this monitor to enable it."

// setViewer records who is looking, for the handlers (viewerFrom) and for the pages, which
// hide what the viewer may not do.
func (h *Handler) setViewer(c *fiber.Ctx, v viewer) {
	c.Locals(localsViewer, v)
	c.SetUserContext(views.WithAccess(c.UserContext(), views.Access{Admin: v.admin, Role: v.role.String()}))
}

// loginPage is GET /login.
func (h *Handler) loginPage(c *fiber.Ctx) error {
	next := sanitizeNext(c.Query("next"))
	if h.auth == nil {
		return c.Redirect("/", fiber.StatusFound)
	}
	if h.currentSession(c) != nil {
		return c.Redirect(next, fiber.StatusFound)
	}
	return h.renderLogin(c, fiber.StatusOK, views.LoginProps{Next: next})
}

func (h *Handler) renderLogin(c *fiber.Ctx, status int, p views.LoginProps) error {
	p.Chrome = views.Chrome{AssetVersion: h.assetVersion, Now: h.now(), Viewer: views.Viewer{CSRF: h.csrfToken(c)}}
	if len(p.Error) > 200 {
		p.Error = p.Error[:200]
	}
	p.SSO = h.opts.SSO.buttons()
	return render(c, status, views.LoginPage(p))
}

// loginSubmit is POST /login: rate limit, origin and CSRF checks, then sign in and redirect.
func (h *Handler) loginSubmit(c *fiber.Ctx) error {
	if h.auth == nil {
		return h.pageNotFound(c)
	}
	next := sanitizeNext(c.FormValue("next"))
	email := strings.TrimSpace(c.FormValue("email"))
	keys := h.signInKeys(c, email)
	var limited *fiber.Error
	if err := h.limitSignIn(c, keys); errors.As(err, &limited) {
		return h.renderLogin(c, limited.Code, views.LoginProps{Next: next, Error: limited.Message})
	}
	if err := h.verifyForm(c); err != nil {
		return h.renderLogin(c, fiber.StatusForbidden, views.LoginProps{Next: next,
			Error: "The sign-in form expired or came from another site. Please try again."})
	}
	cur, err := h.auth.SignIn(c.UserContext(), email, c.FormValue("password"), h.clientMeta(c))
	h.signInResult(keys, err)
	switch {
	case errors.Is(err, services.ErrInvalidEmail):
		return h.renderLogin(c, fiber.StatusBadRequest, views.LoginProps{Next: next, Email: email, Error: "Invalid email"})
	case errors.Is(err, services.ErrInvalidCredentials):
		return h.renderLogin(c, fiber.StatusUnauthorized, views.LoginProps{Next: next, Email: email, Error: "Invalid email or password"})
	case errors.Is(err, services.ErrUserDisabled):
		return h.renderLogin(c, fiber.StatusForbidden, views.LoginProps{Next: next, Email: email, Error: disabledMessage})
	case err != nil:
		return err
	}
	h.setSessionCookie(c, cur)
	h.rememberDevice(c, keys)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// logout is POST /logout: delete the session, clear the cookie, back to /login.
func (h *Handler) logout(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	if v, ok := viewerFrom(c); ok && v.sessionID != "" {
		if err := h.auth.SignOut(c.UserContext(), v.sessionID); err != nil {
			return err
		}
	}
	h.clearSessionCookie(c)
	if isHTMX(c) {
		c.Set("HX-Redirect", "/login")
		return c.SendStatus(fiber.StatusOK)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (h *Handler) clientMeta(c *fiber.Ctx) services.ClientMeta {
	return services.ClientMeta{IP: h.clientIP(c), UserAgent: utilsCopy(c.Get(fiber.HeaderUserAgent))}
}

func utilsCopy(s string) string { return strings.Clone(s) }

// ---- /api/auth ----

// authError is the {code, message} error body of /api/auth.
type authError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func authFail(c *fiber.Ctx, status int, code, message string) error {
	return writeJSON(c, status, authError{Code: code, Message: message})
}

type apiUser struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	Email         string  `json:"email"`
	EmailVerified bool    `json:"emailVerified"`
	Image         *string `json:"image"`
	CreatedAt     string  `json:"createdAt"`
	UpdatedAt     string  `json:"updatedAt"`
}

type apiSession struct {
	ID        string  `json:"id"`
	ExpiresAt string  `json:"expiresAt"`
	Token     string  `json:"token"`
	CreatedAt string  `json:"createdAt"`
	UpdatedAt string  `json:"updatedAt"`
	IPAddress *string `json:"ipAddress"`
	UserAgent *string `json:"userAgent"`
	UserID    string  `json:"userId"`
}

func toAPIUser(u models.User) apiUser {
	return apiUser{ID: u.ID, Name: u.Name, Email: u.Email, EmailVerified: u.EmailVerified, Image: u.Image,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// authOriginCheck checks the origin of a POST under /api/auth; a non-nil result is the 403
// body to send.
func (h *Handler) authOriginCheck(c *fiber.Ctx) *authError {
	hasCookies := len(c.Request().Header.Peek(fiber.HeaderCookie)) > 0
	site, mode := c.Get("Sec-Fetch-Site"), c.Get("Sec-Fetch-Mode")
	if !hasCookies {
		if site == "" && mode == "" {
			return nil
		}
		if site == "cross-site" && mode == "navigate" {
			return &authError{"CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked"}
		}
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" {
		origin = originOf(c.Get(fiber.HeaderReferer))
	}
	if origin == "" || origin == "null" {
		return &authError{"MISSING_OR_NULL_ORIGIN", "Missing or null Origin"}
	}
	if !h.trustedOrigin(c, origin) {
		return &authError{"INVALID_ORIGIN", "Invalid origin"}
	}
	return nil
}

type signInBody struct {
	Email       string `json:"email" form:"email"`
	Password    string `json:"password" form:"password"`
	RememberMe  *bool  `json:"rememberMe" form:"rememberMe"`
	CallbackURL string `json:"callbackURL" form:"callbackURL"`
}

// apiSignIn is POST /api/auth/sign-in/email.
func (h *Handler) apiSignIn(c *fiber.Ctx) error {
	// The address is checked before anything else is read, the account once the body names it.
	if err := h.limitSignIn(c, h.signInKeys(c, "")); err != nil {
		return err
	}
	if e := h.authOriginCheck(c); e != nil {
		return writeJSON(c, fiber.StatusForbidden, e)
	}
	var body signInBody
	if raw, ok := c.Locals(localsBody).(json.RawMessage); ok {
		if err := json.Unmarshal(raw, &body); err != nil {
			return authFail(c, fiber.StatusBadRequest, "INVALID_REQUEST_BODY", "Invalid request body")
		}
	} else {
		body.Email, body.Password, body.CallbackURL = c.FormValue("email"), c.FormValue("password"), c.FormValue("callbackURL")
	}
	if cb := body.CallbackURL; cb != "" && (hasControl(cb) || strings.HasPrefix(cb, "/") && !isLocalPath(cb) ||
		!strings.HasPrefix(cb, "/") && !h.trustedOrigin(c, originOf(cb))) {
		return authFail(c, fiber.StatusForbidden, "INVALID_CALLBACKURL", "Invalid callbackURL")
	}
	keys := h.signInKeys(c, body.Email)
	if err := h.limitSignIn(c, keys); err != nil {
		return err
	}
	cur, err := h.auth.SignIn(c.UserContext(), body.Email, body.Password, h.clientMeta(c))
	h.signInResult(keys, err)
	switch {
	case errors.Is(err, services.ErrInvalidEmail):
		return authFail(c, fiber.StatusBadRequest, "INVALID_EMAIL", "Invalid email")
	case errors.Is(err, services.ErrInvalidCredentials):
		return authFail(c, fiber.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
	case errors.Is(err, services.ErrUserDisabled):
		return authFail(c, fiber.StatusForbidden, "USER_DISABLED", disabledMessage)
	case err != nil:
		return err
	}
	h.setSessionCookie(c, cur)
	h.rememberDevice(c, keys)
	resp := struct {
		Redirect bool    `json:"redirect"`
		Token    string  `json:"token"`
		URL      *string `json:"url,omitempty"`
		User     apiUser `json:"user"`
	}{Token: cur.Token, User: toAPIUser(cur.User)}
	if body.CallbackURL != "" {
		resp.Redirect, resp.URL = true, &body.CallbackURL
		c.Set(fiber.HeaderLocation, body.CallbackURL)
	}
	return writeJSON(c, fiber.StatusOK, resp)
}

// apiGetSession is GET /api/auth/get-session: null, or the session and its user.
func (h *Handler) apiGetSession(c *fiber.Ctx) error {
	cur := h.currentSession(c)
	if cur == nil {
		return writeJSON(c, fiber.StatusOK, nil)
	}
	if cur.Extended {
		h.setSessionCookie(c, cur)
	}
	s := cur.Session
	return writeJSON(c, fiber.StatusOK, struct {
		Session apiSession `json:"session"`
		User    apiUser    `json:"user"`
	}{apiSession{ID: s.ID, ExpiresAt: s.ExpiresAt, Token: cur.Token, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
		IPAddress: s.IPAddress, UserAgent: s.UserAgent, UserID: s.UserID}, toAPIUser(cur.User)})
}

// apiSignOut is POST /api/auth/sign-out: always 200 {"success":true}.
func (h *Handler) apiSignOut(c *fiber.Ctx) error {
	if e := h.authOriginCheck(c); e != nil {
		return writeJSON(c, fiber.StatusForbidden, e)
	}
	if cur := h.currentSession(c); cur != nil {
		if err := h.auth.SignOut(c.UserContext(), cur.Session.ID); err != nil {
			return err
		}
	}
	h.clearSessionCookie(c)
	return writeJSON(c, fiber.StatusOK, struct {
		Success bool `json:"success"`
	}{true})
}

// apiSignUp is POST /api/auth/sign-up/email: public sign-up is disabled.
func (h *Handler) apiSignUp(c *fiber.Ctx) error {
	return authFail(c, fiber.StatusBadRequest, "EMAIL_AND_PASSWORD_SIGN_UP_IS_NOT_ENABLED", "Email and password sign up is not enabled")
}
