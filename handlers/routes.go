package handlers

import (
	"fmt"
	"runtime/debug"
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
	app.Use(h.recoverPanic)
	app.Use(h.noteStorage)
	app.Use(BodyParser())

	v1 := app.Group("/v1", h.gate)
	v1.All("/health", h.health)
	v1.Post("/events", h.ingestEvent)
	v1.Post("/events/batch", h.ingestBatch)
	v1.Get("/events", h.listEvents)
	v1.Get("/status/summary", h.statusSummary)
	v1.Get("/status/jobs", h.statusJobs)
	v1.Get("/status/jobs/:jobName", h.statusJob)
	v1.Get("/runs", h.listRuns)
	v1.Get("/runs/:runId", h.getRun)
	v1.Get("/runners", h.listRunners)
	v1.Get("/alerts", h.listAlerts)
	// :alertId? is optional so that an empty id reaches alertIDParam and is a 400, not a 404.
	v1.Post("/alerts/:alertId?/close", h.requireAdmin, h.closeAlert)
	v1.Get("/alerts/:alertId?/deliveries", h.listDeliveries)
	h.settingsRoutes(v1)
	h.policyRoutes(v1)
	h.badgeAPIRoutes(v1)
	h.userRoutes(v1)
	v1.Get("/audit", h.requireAdmin, h.listAudit)
	v1.Use(h.apiNotFound)

	h.metricsRoutes(app)
	h.dashboardRoutes(app)

	app.Use(h.notFoundPage)
}

// recoverPanic turns a panic in a handler into a logged 500 (with its stack), so that one bad
// request cannot stop the service and the ingest it serves.
func (h *Handler) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return c.Next()
}

// ---- dashboard and browser sign-in ----

// dashboardRoutes registers the pages, their htmx partials, the form posts, sign-in and the
// static assets. Everything after the requireViewer middleware needs a session (or the open
// mode); /login, /api/auth, /auth/sso and /static do not. Every route that changes something
// also takes requireAdmin (TestEveryWriteRouteNeedsAdmin walks the table to hold that).
func (h *Handler) dashboardRoutes(app *fiber.App) {
	app.Use(h.securityHeaders)
	app.Get("/static/*", h.staticFile)
	app.Get("/login", h.loginPage)
	app.Post("/login", h.loginSubmit)
	if h.auth != nil {
		api := app.Group("/api/auth")
		api.Post("/sign-in/email", h.apiSignIn)
		api.Get("/get-session", h.apiGetSession)
		api.Post("/sign-out", h.apiSignOut)
		api.Post("/sign-up/email", h.apiSignUp)
		api.Use(h.apiNotFound)
		app.Get("/auth/sso/:provider", h.ssoBegin)
		app.Get("/auth/sso/:provider/callback", h.ssoCallback)
	} else {
		app.Use("/api/auth", h.apiNotFound)
	}
	app.Get("/index.html", h.indexHTML)
	h.badgePublicRoutes(app)

	app.Use(h.requireViewer)
	app.Post("/logout", h.logout)
	app.Get("/", h.overviewPage)
	app.Get("/partials/overview/summary", h.overviewSummaryPartial)
	app.Get("/partials/overview/alerts", h.overviewAlertsPartial)
	app.Get("/jobs", h.jobsPage)
	app.Get("/partials/jobs/table", h.jobsTablePartial)
	app.Get("/jobs/:jobName", h.jobDetailPage)
	app.Get("/partials/jobs/:jobName/detail", h.jobDetailPartial)
	app.Get("/job", h.jobDetailPage) // ?name=, how pages link a job named "." or ".."
	app.Get("/partials/job/detail", h.jobDetailPartial)
	app.Post("/job/pause", h.requireAdmin, h.pauseJobForm)
	app.Post("/job/resume", h.requireAdmin, h.resumeJobForm)
	app.Get("/runs/:runId", h.runPage)
	app.Get("/alerts", h.alertsPage)
	app.Get("/partials/alerts/table", h.alertsTablePartial)
	app.Post("/alerts/:alertId?/close", h.requireAdmin, h.closeAlertForm)
	app.Get("/events", h.eventsPage)
	app.Get("/partials/events/table", h.eventsTablePartial)
	app.Get("/settings", h.requireAdmin, h.settingsPage)
	app.Post("/settings", h.requireAdmin, h.settingsSubmit)
	h.maintenancePageRoutes(app)
	h.deliveryPageRoutes(app)
	h.badgePageRoutes(app)
	h.userPageRoutes(app)
	app.Get("/settings/audit", h.requireAdmin, h.auditPage)
}
