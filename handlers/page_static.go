package handlers

import (
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/static"
	"github.com/gulag/chief-monitor/views"
)

// staticFile is GET /static/<name>: the embedded assets, cached for a year (the layout
// versions their URLs).
func (h *Handler) staticFile(c *fiber.Ctx) error {
	name := path.Clean(c.Params("*"))
	data, err := static.FS.ReadFile(name)
	if err != nil {
		return fiber.NewError(fiber.StatusNotFound, "Not found")
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(data)
}

// indexHTML is GET /index.html: the reference's SPA entry, now a redirect to /.
func (h *Handler) indexHTML(c *fiber.Ctx) error {
	return c.Redirect("/", fiber.StatusFound)
}

// notFoundPage answers every unknown path: JSON for API callers, else the friendly 404 page.
func (h *Handler) notFoundPage(c *fiber.Ctx) error {
	if wantsJSON(c) || c.Method() != fiber.MethodGet {
		return h.pageNotFound(c)
	}
	if _, ok := viewerFrom(c); !ok {
		return h.pageNotFound(c)
	}
	return render(c, fiber.StatusNotFound, views.NotFoundPage(h.chrome(c)))
}
