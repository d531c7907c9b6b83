package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// requireAdmin guards every route that changes something (and the admin-only pages): an
// admin's session, the MONITOR_API_KEY (the admin's machine credential) or the open mode pass;
// a viewer gets 403, as JSON on the API and as a page in the browser. It runs after
// requireViewer or the /v1 gate, which establish who is asking.
func (h *Handler) requireAdmin(c *fiber.Ctx) error {
	if h.isAdmin(c) {
		return c.Next()
	}
	return h.forbidden(c)
}

// isAdmin reports whether the request may change things.
func (h *Handler) isAdmin(c *fiber.Ctx) bool {
	if v, ok := viewerFrom(c); ok {
		return v.isAdmin()
	}
	switch actorFrom(c) {
	case actorAPIKey:
		return true
	case actorAnonymous:
		// The gate let an anonymous caller through: the API is open (no key, no sign-in).
		return !h.opts.AuthEnabled && h.opts.APIKey == ""
	}
	if cur, ok := c.Locals(localsSession).(*services.Current); ok {
		return cur.User.IsAdmin()
	}
	// The gate accepted a session from a Sessions other than this handler: it reports no
	// role, so its users keep the full access they had before roles existed. This handler's
	// own sessions always leave their user in Locals and are decided above.
	_, own := h.sessions.(*Handler)
	return !own
}

// forbiddenMessage names who is signed in and what to do about it.
func forbiddenMessage(email string, role models.Role) string {
	if role == "" {
		role = models.RoleViewer
	}
	return "You are signed in as " + email + " (" + role.String() + "). Ask an admin of this monitor to make this change, or to make you an admin."
}

// forbidden answers a refused change: JSON on the API, a short message for htmx (shown by the
// layout's flash like any other error), and the 403 page otherwise.
func (h *Handler) forbidden(c *fiber.Ctx) error {
	email, role := actorFrom(c), models.RoleViewer
	if cur, ok := c.Locals(localsSession).(*services.Current); ok {
		email, role = cur.User.Email, cur.User.Role
	}
	msg := forbiddenMessage(email, role)
	if wantsJSON(c) {
		return writeJSON(c, fiber.StatusForbidden, errorBody{Error: "Forbidden: this needs the admin role. " + msg})
	}
	if isHTMX(c) {
		return fiber.NewError(fiber.StatusForbidden, msg)
	}
	return render(c, fiber.StatusForbidden, views.ForbiddenPage(views.ForbiddenProps{Chrome: h.chrome(c),
		Email: email, Role: role.String()}))
}
