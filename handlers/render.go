package handlers

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/views"
)

// render writes a templ component as the HTML response with the given status.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// isHTMX is true for requests made by htmx (partials, in-place form posts).
func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// chrome is the shell data of the page being rendered: the viewer and the asset version.
func (h *Handler) chrome(c *fiber.Ctx) views.Chrome {
	v, _ := viewerFrom(c)
	ch := views.Chrome{AssetVersion: h.assetVersion, Now: h.now(), Viewer: views.Viewer{
		Email: v.email, SignedIn: v.sessionID != "", AuthDisabled: v.open, CSRF: h.csrfToken(c)}}
	if h.status != nil {
		if ok, since := h.status.Reconciling(); ok {
			ch.ReconcilingSince = telemetry.Ptr(telemetry.ServerTime(since))
		}
	}
	return ch
}
