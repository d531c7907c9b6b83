package handlers

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gulag/chief-monitor/services"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsRoutes registers GET /metrics, the Prometheus exposition of the monitor's registry
// (Options.Metrics, or one of the handler's own when main set none). It sits outside /v1 and
// before the dashboard's sign-in, behind its own gate.
func (h *Handler) metricsRoutes(app fiber.Router) {
	m := h.opts.Metrics
	if m == nil {
		status := h.status
		if status == nil {
			status = services.NewStatus(h.st)
		}
		m = services.NewMetrics(h.st, status, h.writer)
	}
	// ContinueOnError: a failed database read must not hide the process metrics; the
	// collector reports it as chief_monitor_state_up 0 and here in the log.
	serve := promhttp.HandlerFor(m.Gatherer(), promhttp.HandlerOpts{ErrorLog: promLogger{h}, ErrorHandling: promhttp.ContinueOnError})
	app.Get("/metrics", h.metricsGate, adaptor.HTTPHandler(serve))
}

// metricsGate admits a scrape that carries MONITOR_API_KEY (x-api-key or Authorization:
// Bearer) or MONITOR_METRICS_TOKEN (Authorization: Bearer), or a signed-in dashboard session as
// the /v1 reads do. With neither key configured it follows the /v1 gate: open when sign-in is
// off, a session otherwise.
func (h *Handler) metricsGate(c *fiber.Ctx) error {
	bearer := bearerToken(c)
	if keyEquals(c.Get("x-api-key"), h.opts.APIKey) || keyEquals(bearer, h.opts.APIKey) ||
		keyEquals(bearer, h.opts.MetricsToken) {
		return c.Next()
	}
	if h.opts.AuthEnabled && h.sessions != nil {
		if _, ok := h.sessions.UserFromRequest(c); ok {
			return c.Next()
		}
	}
	if !h.opts.AuthEnabled && h.opts.APIKey == "" && h.opts.MetricsToken == "" {
		return c.Next()
	}
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
	return unauthorized(c)
}

// bearerToken is the token of an "Authorization: Bearer <token>" header, or "".
func bearerToken(c *fiber.Ctx) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(c.Get(fiber.HeaderAuthorization)), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// promLogger sends promhttp's collection errors to the handler's log.
type promLogger struct{ h *Handler }

// Println implements promhttp.Logger.
func (l promLogger) Println(v ...any) {
	l.h.log.Warn("Metrics collection failed", "error", strings.TrimSpace(fmt.Sprintln(v...)))
}
