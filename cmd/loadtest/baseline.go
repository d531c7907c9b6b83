package main

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/handlers"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// baselineApp is the ceiling of single-event ingest: a Fiber app that reads each body with the
// monitor's own body parser, decodes and validates the event with its own decoder, and
// answers 202 without storing anything.
func baselineApp() *fiber.App {
	app := fiber.New(fiber.Config{BodyLimit: handlers.MaxBodyBytes, DisableStartupMessage: true})
	app.Use(handlers.BodyParser())
	app.Post("/v1/events", func(c *fiber.Ctx) error {
		if _, issues := telemetry.DecodeEvent(handlers.JSONBody(c)); issues != nil {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "Invalid event payload", "issues": len(issues)})
		}
		return c.Status(fiber.StatusAccepted).JSON(telemetry.IngestResponse{Inserted: 1})
	})
	return app
}
