package handlers

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/services"
)

// errorHandler is the one place that turns errors into responses. /v1 and JSON callers get
// {"error": ...}; 5xx are logged once with method, path and request id.
func (h *Handler) errorHandler(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	msg := "Internal Server Error"
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		code = fe.Code
		msg = fe.Message
		if code == fiber.StatusRequestEntityTooLarge {
			msg = "Request body too large (limit 2 MB)"
		}
	case errors.Is(err, store.ErrNotFound):
		code, msg = fiber.StatusNotFound, "Not found"
	case errors.Is(err, services.ErrClosed):
		code, msg = fiber.StatusServiceUnavailable, "Service is shutting down"
	default:
		if reason, ok := store.Unavailable(err); ok {
			code, msg = fiber.StatusServiceUnavailable, "Database unavailable: "+reason
			c.Set(fiber.HeaderRetryAfter, "5")
		}
	}
	if code >= 500 {
		h.logFailure(c, code, err)
		if code == fiber.StatusInternalServerError {
			msg = "Internal Server Error"
		}
	}
	if wantsJSON(c) {
		return writeJSON(c, code, errorBody{Error: msg})
	}
	c.Status(code)
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.SendString(msg)
}

// logFailure logs a 5xx once with method, path and request id; a storage outage is logged once
// per change instead, or a full disk would write one line per refused request.
func (h *Handler) logFailure(c *fiber.Ctx, code int, err error) {
	attrs := []any{"method", c.Method(), "path", c.Path(), "request_id", c.Get("X-Request-Id"), "status", code}
	if !h.storage.Failed(err, h.now(), attrs...) {
		h.log.Error("Request failed", append(attrs, "error", err)...)
	}
}

// noteStorage tells the storage tracker about requests that wrote successfully, so the first
// one after an outage logs the recovery. Reads do not count: with a full disk they still work.
func (h *Handler) noteStorage(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil && !safeMethod(c.Method()) && c.Response().StatusCode() < 400 {
		h.storage.OK(h.now())
	}
	return err
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// wantsJSON is true for the API surfaces and for clients that ask for JSON.
func wantsJSON(c *fiber.Ctx) bool {
	p := strings.ToLower(c.Path())
	if strings.HasPrefix(p, "/v1") || strings.HasPrefix(p, "/api/") {
		return true
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "json") ||
		strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON)
}

// apiNotFound answers any unknown /v1 route (after the gate) with JSON 404.
func (h *Handler) apiNotFound(c *fiber.Ctx) error {
	return writeJSON(c, fiber.StatusNotFound, errorBody{Error: "Not found"})
}

// pageNotFound answers any other unknown path.
func (h *Handler) pageNotFound(c *fiber.Ctx) error {
	return fiber.NewError(fiber.StatusNotFound, "Page not found")
}
