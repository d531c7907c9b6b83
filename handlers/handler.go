// Package handlers holds the monitor's Fiber handlers: the /v1 JSON API, the dashboard pages
// and their htmx partials, and the middleware in front of them.
package handlers

import (
	"crypto/subtle"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/services"
)

// Options are the settings the handlers need from the monitor's configuration.
type Options struct {
	// APIKey is MONITOR_API_KEY: it opens every /v1 route. Empty means key auth is off.
	APIKey string
	// IngestAPIKey is MONITOR_INGEST_API_KEY: it opens the two ingest routes only.
	IngestAPIKey string
	// MetricsToken is MONITOR_METRICS_TOKEN: a Bearer token that opens GET /metrics only.
	MetricsToken string
	// Metrics is the Prometheus registry /metrics exposes; nil: one of the handler's own.
	Metrics *services.Metrics
	// AuthEnabled is MONITOR_AUTH_ENABLED.
	AuthEnabled bool
	// TrustedOrigins are the origins allowed to post with a session besides the service's own.
	TrustedOrigins []string
	// DBPath is reported (as its base name) by /v1/health.
	DBPath string
	// Logger receives one line per 5xx (storage outages: one per change, through Storage).
	Logger *slog.Logger
	// Storage reports storage outages once per change; shared with the background loops. nil:
	// a tracker of the handler's own, logging to Logger.
	Storage *services.StorageHealth

	// ---- dashboard and browser sign-in ----

	// Auth is the browser sign-in service; nil when MONITOR_AUTH_ENABLED=false.
	Auth *services.Auth
	// AuthSecret keys the CSRF tokens (a random per-process key is used when empty).
	AuthSecret string
	// SecureCookies is true behind https (base URL): __Secure- cookie names and Secure.
	SecureCookies bool
	// TrustedProxies are the IPs/CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string
	// BaseURL is the public origin, shown in setup hints.
	BaseURL string
	// EmailConfigured is true when the Resend provider has a key and a sender.
	EmailConfigured bool
	// SSO holds the configured single sign-on providers; nil when none.
	SSO *SSO
	// SignInLimit is the number of failed sign-ins from one client address before it is refused
	// for a while (default 5); an account is refused after four times as many.
	SignInLimit int
}

// Sessions is the browser-session side of the /v1 gate: it reports who signed in, if anyone.
type Sessions interface {
	UserFromRequest(c *fiber.Ctx) (email string, ok bool)
}

// Handler holds every dependency of the routes. Every route is a method on it.
type Handler struct {
	opts     Options
	log      *slog.Logger
	st       *store.Store
	writer   *services.Writer
	status   *services.Status
	alerts   *services.Alerts
	sessions Sessions
	now      func() time.Time
	storage  *services.StorageHealth
	alerting alerting // alert-delivery settings and notifier, see api_settings.go

	// the admin's services: pauses, windows and the default policy; badges; the audit log
	policies *services.Policies
	badges   *services.Badges
	auditLog *services.Audit

	// dashboard and browser sign-in
	auth         *services.Auth
	csrfKey      []byte
	proxies      []*net.IPNet
	limiter      *signInLimiter
	assetVersion string
}

// New returns a Handler. sessions may be nil while no browser sign-in exists.
func New(opts Options, st *store.Store, w *services.Writer, status *services.Status, sessions Sessions) *Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, log: log, st: st, writer: w, status: status, alerts: services.NewAlerts(st, w.Do),
		sessions: sessions, now: func() time.Time { return time.Now().UTC() },
		storage: opts.Storage}
	if h.storage == nil {
		h.storage = services.NewStorageHealth(log)
	}
	if status == nil {
		status = services.NewStatus(st)
	}
	h.policies, h.auditLog = services.NewPolicies(st, w.Do), services.NewAudit(st, w.Do)
	h.badges = services.NewBadges(st, w.Do, status)
	h.initDashboard()
	return h
}

// SetClock replaces the handler clock (tests).
func (h *Handler) SetClock(now func() time.Time) { h.now = now }

func (h *Handler) dbName() string { return filepath.Base(h.opts.DBPath) }

// keyEquals compares a presented key with a configured one in constant time.
func keyEquals(presented, want string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(presented), []byte(want)) == 1
}
