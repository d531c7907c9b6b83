package handlers

import (
	"github.com/gofiber/fiber/v2"
)

// NewBaselineApp is the load tool's ceiling: a Fiber app that parses and validates ingest
// bodies exactly like the monitor and answers 202 without storing anything.
func NewBaselineApp() *fiber.App {
	h := New(Options{}, nil, nil, nil, nil)
	app := fiber.New(fiber.Config{BodyLimit: MaxBodyBytes, DisableStartupMessage: true, ErrorHandler: h.errorHandler})
	app.Use(h.parseBody)
	app.Post("/v1/events", func(c *fiber.Ctx) error {
		if _, issues := h.decodeEvent(bodyJSON(c)); issues != nil {
			return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid event payload", Details: singleDetails(issues)})
		}
		return writeJSON(c, fiber.StatusAccepted, ingestResponse{Inserted: 1})
	})
	return app
}
