package main

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// baselineApp is the ceiling of single-event ingest: a Fiber app that decodes and validates each
// event with the monitor's own decoder and answers 202 without storing anything.
func baselineApp() *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/v1/events", func(c *fiber.Ctx) error {
		if _, issues := telemetry.DecodeEvent(c.Body()); issues != nil {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "Invalid event payload", "issues": len(issues)})
		}
		return c.Status(fiber.StatusAccepted).JSON(telemetry.IngestResponse{Inserted: 1})
	})
	return app
}
