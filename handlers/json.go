package handlers

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"
)

// writeJSON answers with compact JSON and the reference's content type.
func writeJSON(c *fiber.Ctx, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
	return c.Send(b)
}

// errorBody is the common {"error": ...} shape.
type errorBody struct {
	Error string `json:"error"`
}
