package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// NewApp builds the Fiber app with the whole route table; main and the tests both use it.
func NewApp(h *Handler) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "chief-monitor",
		BodyLimit:             MaxBodyBytes,
		ErrorHandler:          h.errorHandler,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ReadBufferSize:        16 * 1024,
	})
	h.Routes(app)
	return app
}

// Routes registers every route, grouped by surface.
func (h *Handler) Routes(app *fiber.App) {
	app.Use(h.parseBody)

	v1 := app.Group("/v1", h.gate)
	v1.All("/health", h.health)
	v1.Post("/events", h.ingestEvent)
	v1.Post("/events/batch", h.ingestBatch)
	v1.Get("/events", h.listEvents)
	v1.Get("/status/summary", h.statusSummary)
	v1.Get("/status/jobs", h.statusJobs)
	v1.Get("/status/jobs/:jobName", h.statusJob)
	v1.Get("/alerts", h.listAlerts)
	v1.Post("/alerts/:alertId/close", h.closeAlert)
	v1.Get("/alerts/:alertId/deliveries", h.listDeliveries)
	v1.Use(h.apiNotFound)

	app.Use(h.pageNotFound)
}
