package handlers

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// jsonBufs holds encoding buffers between responses: a list of 100 events is about 60 KB of
// JSON, and encoding it into a fresh buffer each time was half of what a list request
// allocated, so the collector ran twice as often under polling.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// jsonBufKeep is the largest buffer kept for reuse; a rare huge response is not held on to.
const jsonBufKeep = 256 << 10

// writeJSON answers with compact JSON (as json.Marshal writes it) and the reference's content
// type. The body is copied into the response's own pooled buffer.
func writeJSON(c *fiber.Ctx, status int, v any) error {
	buf := jsonBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= jsonBufKeep {
			jsonBufs.Put(buf)
		}
	}()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	sendJSON(c, status, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))) // Encode ends with a newline; Marshal does not
	return nil
}

// sendJSON sets the status, the reference's content type and body (copied into the response's
// own buffer, so b may be reused).
func sendJSON(c *fiber.Ctx, status int, body []byte) {
	c.Status(status)
	c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
	c.Response().SetBody(body)
}

// errorBody is the common {"error": ...} shape.
type errorBody struct {
	Error string `json:"error"`
}
