package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// singleQuery returns a query parameter only when it appears exactly once and is non-empty.
func singleQuery(c *fiber.Ctx, name string) string {
	vals := c.Context().QueryArgs().PeekMulti(name)
	if len(vals) != 1 {
		return ""
	}
	return string(vals[0])
}

// Filter parameters of the event and alert lists, API and pages alike.
var (
	eventFilterParams = []string{"jobName", "scriptPath", "level", "eventType", "from", "to", "tag"}
	alertFilterParams = []string{"jobName", "status", "alertType", "severity", "tag"}
)

// repeatedParam returns the first of names that the query gives more than once, or "". A list
// refuses such a filter instead of dropping it: dropping it would answer with the very rows the
// caller meant to filter out.
func repeatedParam(c *fiber.Ctx, names []string) string {
	args := c.Context().QueryArgs()
	for _, n := range names {
		if len(args.PeekMulti(n)) > 1 {
			return n
		}
	}
	return ""
}

// repeatedMessage is what a repeated parameter is told: a zod string schema meeting the array
// that a query-string parser makes of repeated keys says the same.
const repeatedMessage = "Expected string, received array"

// repeatedParamError is the /v1 400 for a repeated filter, in the validation-error shape.
func repeatedParamError(c *fiber.Ctx, name string) error {
	return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid query parameters",
		Details: singleDetails([]telemetry.Issue{{Field: name, Message: repeatedMessage}})})
}

// repeatedParamPage is the dashboard's 400 for a repeated filter.
func repeatedParamPage(name string) error {
	return fiber.NewError(fiber.StatusBadRequest, "Query parameter "+name+": "+repeatedMessage)
}

// pageParam parses limit/offset as the reference does: a single value's leading
// integer, the fallback when missing, repeated, unparsable or <= 0, clamped to max.
func pageParam(raw string, fallback, max int) int {
	if raw == "" {
		return fallback
	}
	n, ok := store.LeadingInt(raw)
	if !ok || n <= 0 {
		return fallback
	}
	if n > int64(max) {
		return max
	}
	return int(n)
}

// Pagination bounds of the /v1 lists.
const (
	defaultLimit = 100
	maxLimit     = 1000
	maxOffset    = 1_000_000
)

func pagination(c *fiber.Ctx) (limit, offset int) {
	return pageParam(singleQuery(c, "limit"), defaultLimit, maxLimit), pageParam(singleQuery(c, "offset"), 0, maxOffset)
}

// pathParam URL-decodes a path parameter; a malformed escape is a 400.
func pathParam(c *fiber.Ctx, name string) (string, error) {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return "", fiber.NewError(fiber.StatusBadRequest, "Malformed URL escape in path")
	}
	return v, nil
}
