package handlers

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// MaxBodyBytes is the request body limit of the reference (2 MB), also applied after inflating.
const MaxBodyBytes = 2 * 1024 * 1024

// bigBodyBytes is the size from which a body waits for its turn to be parsed (see BodyParser).
const bigBodyBytes = 256 * 1024

const (
	localsBody  = "jsonBody"
	localsActor = "actor"
)

// Actors recorded as closed_by when no user is signed in.
const (
	actorAPIKey    = "api-key"
	actorAnonymous = "anonymous"
)

// actorFrom names who is making a request: the signed-in e-mail, api-key, or anonymous.
func actorFrom(c *fiber.Ctx) string {
	if s, ok := c.Locals(localsActor).(string); ok && s != "" {
		return s
	}
	return actorAnonymous
}

// BodyParser returns the middleware that reads the body of every route as the original did:
// inflate gzip/deflate bodies, refuse a non-UTF-8 charset (415), and parse JSON bodies,
// rejecting malformed JSON and top-level scalars (400) before any authentication. One large
// body (over bigBodyBytes) at a time is parsed, so a flood of huge requests cannot starve small
// ones of CPU. The load tool's ceiling uses it too.
func BodyParser() fiber.Handler {
	bigBodies := make(chan struct{}, 1)
	return func(c *fiber.Ctx) error { return parseBody(c, bigBodies) }
}

func parseBody(c *fiber.Ctx, bigBodies chan struct{}) error {
	body := c.Request().Body() // raw: c.Body() would inflate without a size limit
	if len(body) == 0 {
		return c.Next()
	}
	if enc := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentEncoding))); enc != "" && enc != "identity" {
		inflated, err := inflate(enc, body)
		if err != nil {
			return err
		}
		c.Request().SetBody(inflated)
		c.Request().Header.Del(fiber.HeaderContentEncoding)
		body = c.Request().Body()
	}
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return c.Next()
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "utf8" {
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "Unsupported charset \""+cs+"\"")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return c.Next()
	}
	if len(trimmed) > bigBodyBytes {
		select {
		case bigBodies <- struct{}{}:
		case <-c.Context().Done():
			return fiber.NewError(fiber.StatusServiceUnavailable, "Server is shutting down")
		}
		defer func() { <-bigBodies }()
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		return fiber.NewError(fiber.StatusBadRequest, "Request body must be a JSON object or array")
	}
	if !json.Valid(trimmed) {
		return fiber.NewError(fiber.StatusBadRequest, "Malformed JSON in request body")
	}
	c.Locals(localsBody, json.RawMessage(trimmed))
	return c.Next()
}

func inflate(enc string, body []byte) ([]byte, error) {
	var r io.Reader
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fiber.NewError(fiber.StatusBadRequest, "Invalid gzip body")
		}
		r = zr
	case "deflate":
		// HTTP "deflate" is the zlib format (RFC 1950), which the reference's zlib.createInflate
		// reads; a raw DEFLATE stream (no zlib header) is still accepted.
		zr, err := zlib.NewReader(bytes.NewReader(body))
		if err != nil {
			r = flate.NewReader(bytes.NewReader(body))
		} else {
			r = zr
		}
	default:
		return nil, fiber.NewError(fiber.StatusUnsupportedMediaType, "Unsupported content encoding \""+enc+"\"")
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fiber.NewError(fiber.StatusBadRequest, "Invalid compressed body")
	}
	if len(out) > MaxBodyBytes {
		return nil, fiber.ErrRequestEntityTooLarge
	}
	return out, nil
}

// JSONBody is the JSON body BodyParser parsed, or {} when the request had none or was not JSON.
func JSONBody(c *fiber.Ctx) json.RawMessage {
	if b, ok := c.Locals(localsBody).(json.RawMessage); ok {
		return b
	}
	return json.RawMessage("{}")
}

// apiSubPath is the canonical path below /v1: lower-cased, without a trailing slash.
func apiSubPath(path string) string {
	p := strings.ToLower(path)
	p = strings.TrimPrefix(p, "/v1")
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// gate is the /v1 auth gate, its checks in the original's order.
func (h *Handler) gate(c *fiber.Ctx) error {
	sub := apiSubPath(c.Path())
	if sub == "/health" {
		return c.Next()
	}
	key := c.Get("x-api-key")
	if c.Method() == fiber.MethodPost && (sub == "/events" || sub == "/events/batch") {
		if h.opts.APIKey == "" && h.opts.IngestAPIKey == "" {
			return c.Next()
		}
		if keyEquals(key, h.opts.APIKey) || keyEquals(key, h.opts.IngestAPIKey) {
			c.Locals(localsActor, actorAPIKey)
			return c.Next()
		}
		return unauthorized(c)
	}
	if keyEquals(key, h.opts.APIKey) {
		c.Locals(localsActor, actorAPIKey)
		return c.Next()
	}
	if h.opts.AuthEnabled {
		if h.sessions != nil {
			if email, ok := h.sessions.UserFromRequest(c); ok {
				if err := h.checkSameOrigin(c); err != nil {
					return err
				}
				c.Locals(localsActor, email)
				return c.Next()
			}
		}
		return unauthorized(c)
	}
	if h.opts.APIKey == "" {
		return c.Next()
	}
	return unauthorized(c)
}

func unauthorized(c *fiber.Ctx) error {
	return writeJSON(c, fiber.StatusUnauthorized, errorBody{Error: "Unauthorized"})
}

// checkSameOrigin refuses a session-authenticated write whose Origin (or Referer) is not this
// service. Safe methods pass.
func (h *Handler) checkSameOrigin(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return nil
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" {
		ref := c.Get(fiber.HeaderReferer)
		if ref == "" {
			return fiber.NewError(fiber.StatusForbidden, "Missing Origin header")
		}
		origin = originOf(ref)
	}
	if !h.trustedOrigin(c, origin) {
		return fiber.NewError(fiber.StatusForbidden, "Invalid origin")
	}
	return nil
}

func originOf(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return strings.ToLower(scheme + "://" + host)
}

// trustedOrigin accepts the request's own origin and the configured trusted origins.
func (h *Handler) trustedOrigin(c *fiber.Ctx, origin string) bool {
	origin = strings.ToLower(strings.TrimSuffix(origin, "/"))
	if origin == strings.ToLower(c.Protocol()+"://"+string(c.Request().Host())) {
		return true
	}
	for _, o := range h.opts.TrustedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}
