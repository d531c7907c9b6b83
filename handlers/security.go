package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/static"
)

// contentSecurityPolicy allows only this origin's scripts and styles: no inline code.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// csrfCookie is the double-submit cookie of forms shown without a session (login, open mode).
const csrfCookie = "monitor_csrf"

// initDashboard prepares the dashboard's per-handler state: CSRF key, proxies, rate limiter.
func (h *Handler) initDashboard() {
	h.auth = h.opts.Auth
	if h.auth != nil && h.sessions == nil {
		h.sessions = h
	}
	h.csrfKey = []byte(h.opts.AuthSecret)
	if len(h.csrfKey) == 0 {
		h.csrfKey = make([]byte, 32)
		_, _ = rand.Read(h.csrfKey) // crypto/rand never fails on supported platforms
	}
	for _, p := range h.opts.TrustedProxies {
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			h.proxies = append(h.proxies, n)
		}
	}
	limit := h.opts.SignInLimit
	if limit <= 0 {
		limit = 5
	}
	h.limiter = newSignInLimiter(limit)
	h.assetVersion = static.Version()
}

// securityHeaders sets the browser hardening headers on every dashboard response.
func (h *Handler) securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
}

// mac is the URL-safe HMAC-SHA256 of msg under the CSRF key.
func (h *Handler) mac(msg string) string {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken is the token the forms of this response carry: bound to the session when there is
// one, else to the double-submit cookie (set here when missing).
func (h *Handler) csrfToken(c *fiber.Ctx) string {
	if v, ok := viewerFrom(c); ok && v.sessionID != "" {
		return h.mac("session:" + v.sessionID)
	}
	anon := c.Cookies(csrfCookie)
	if len(anon) < 32 {
		b := make([]byte, 32)
		_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
		anon = base64.RawURLEncoding.EncodeToString(b)
		c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: anon, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
			Secure: h.opts.SecureCookies})
	}
	return h.mac("anon:" + anon)
}

// verifyForm guards a form POST: the Origin/Referer must be this service and the
// _csrf field must match the session's (or the double-submit cookie's) token.
func (h *Handler) verifyForm(c *fiber.Ctx) error {
	if err := h.checkSameOrigin(c); err != nil {
		return err
	}
	got := c.FormValue("_csrf")
	if got == "" {
		got = c.Get("X-CSRF-Token")
	}
	var want string
	if v, ok := viewerFrom(c); ok && v.sessionID != "" {
		want = h.mac("session:" + v.sessionID)
	} else if anon := c.Cookies(csrfCookie); len(anon) >= 32 {
		want = h.mac("anon:" + anon)
	}
	if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return fiber.NewError(fiber.StatusForbidden, "Invalid or missing CSRF token: reload the page and try again")
	}
	return nil
}

// clientIP is the socket peer, or the first untrusted address of X-Forwarded-For (read from
// the right) when the peer is a trusted proxy.
func (h *Handler) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP()
	if !h.trustedProxy(peer) {
		return peer.String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(hops[i]))
		if ip == nil {
			break
		}
		if !h.trustedProxy(ip) {
			return ip.String()
		}
	}
	return peer.String()
}

func (h *Handler) trustedProxy(ip net.IP) bool {
	for _, n := range h.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// sanitizeNext keeps redirects on the site: a value not starting with "/", starting with "//" (or "/\"),
// holding a control character, or exactly "/login" becomes "/".
func sanitizeNext(next string) string {
	if !isLocalPath(next) || next == "/login" {
		return "/"
	}
	return next
}

// isLocalPath reports whether p is a path on this origin that no browser reads as another host:
// one "/" not followed by "/" or "\", and no control character (browsers drop tabs and newlines
// from URLs, so "/\t/evil.example" would become "//evil.example"; a CR would split the header).
func isLocalPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return false
	}
	return !hasControl(p)
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
