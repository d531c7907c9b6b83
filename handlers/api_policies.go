package handlers

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

// policyRoutes registers the /v1 endpoints of pauses, maintenance windows and the default
// alert policy.
func (h *Handler) policyRoutes(v1 fiber.Router) {
	v1.Get("/pauses", h.listPauses)
	v1.Post("/jobs/:jobName/pause", h.requireAdmin, h.pauseJob)
	v1.Post("/jobs/:jobName/resume", h.requireAdmin, h.resumeJob)
	v1.Get("/maintenance-windows", h.listWindows)
	v1.Post("/maintenance-windows", h.requireAdmin, h.createWindow)
	v1.Delete("/maintenance-windows/:id", h.requireAdmin, h.deleteWindow)
	v1.Get("/settings/alert-policy", h.getPolicyDefaults)
	v1.Put("/settings/alert-policy", h.requireAdmin, h.putPolicyDefaults)
}

// pauseRow is a pause as the API shows it.
type pauseRow struct {
	JobName  string  `json:"jobName"`
	PausedAt string  `json:"pausedAt"`
	PausedBy string  `json:"pausedBy"`
	Until    *string `json:"until"`
	Reason   string  `json:"reason"`
}

func toPauseRow(p models.JobPause) pauseRow {
	return pauseRow{JobName: p.JobName, PausedAt: p.PausedAt, PausedBy: p.PausedBy, Until: p.UntilAt, Reason: p.Reason}
}

// listPauses is GET /v1/pauses: the pauses in force.
func (h *Handler) listPauses(c *fiber.Ctx) error {
	rows, err := h.policies.ActivePauses(c.UserContext(), h.now())
	if err != nil {
		return err
	}
	out := make([]pauseRow, len(rows))
	for i, p := range rows {
		out[i] = toPauseRow(p)
	}
	return writeJSON(c, fiber.StatusOK, struct {
		Pauses []pauseRow `json:"pauses"`
	}{out})
}

// invalidInput answers an InputError with a 400 naming each field; other errors pass.
func invalidInput(c *fiber.Ctx, label string, err error) (handled bool, _ error) {
	var se *services.InputError
	if !errors.As(err, &se) {
		return false, err
	}
	return true, writeJSON(c, fiber.StatusBadRequest, validationError{Error: label, Details: inputDetails(se)})
}

// pauseJob is POST /v1/jobs/:jobName/pause {"until"?, "reason"?}.
func (h *Handler) pauseJob(c *fiber.Ctx) error {
	job, err := pathParam(c, "jobName")
	if err != nil {
		return err
	}
	var in services.PauseInput
	if d := decodeObject(JSONBody(c), &in); d != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid pause", Details: *d})
	}
	p, err := h.policies.Pause(c.UserContext(), job, actorFrom(c), in, h.now())
	if handled, err := invalidInput(c, "Invalid pause", err); handled || err != nil {
		return err
	}
	h.auditPause(c, p)
	return writeJSON(c, fiber.StatusOK, struct {
		Pause pauseRow `json:"pause"`
	}{toPauseRow(p)})
}

// resumeJob is POST /v1/jobs/:jobName/resume.
func (h *Handler) resumeJob(c *fiber.Ctx) error {
	job, err := pathParam(c, "jobName")
	if err != nil {
		return err
	}
	resumed, err := h.policies.Resume(c.UserContext(), job)
	if err != nil {
		return err
	}
	if resumed {
		h.audit(c, "pause.resume", job, "")
	}
	return writeJSON(c, fiber.StatusOK, struct {
		JobName string `json:"jobName"`
		Resumed bool   `json:"resumed"`
	}{job, resumed})
}

// windowRow is a maintenance window as the API shows it, with whether it is on now.
type windowRow struct {
	ID              int64    `json:"id"`
	Name            string   `json:"name"`
	Jobs            []string `json:"jobs"`
	Tags            []string `json:"tags"`
	StartsAt        *string  `json:"startsAt"`
	EndsAt          *string  `json:"endsAt"`
	Cron            string   `json:"cron"`
	DurationMinutes int64    `json:"durationMinutes"`
	Timezone        string   `json:"timezone"`
	Description     string   `json:"description"`
	Scope           string   `json:"scope"`
	Active          bool     `json:"active"`
	ActiveUntil     *string  `json:"activeUntil"`
	NextStart       *string  `json:"nextStart"`
	CreatedAt       string   `json:"createdAt"`
	CreatedBy       string   `json:"createdBy"`
}

func (h *Handler) toWindowRow(w services.Window) windowRow {
	now := h.now()
	r := windowRow{ID: w.ID, Name: w.Name, Jobs: orEmpty(w.Jobs), Tags: orEmpty(w.Tags), StartsAt: w.StartsAt, EndsAt: w.EndsAt,
		Cron: w.Cron, DurationMinutes: w.DurationMinutes, Timezone: w.Timezone, Description: w.Describe(), Scope: w.Scope(),
		CreatedAt: w.CreatedAt, CreatedBy: w.CreatedBy}
	if on, end := w.ActiveAt(now); on {
		r.Active, r.ActiveUntil = true, ptrTo(telemetry.ServerTime(end))
	}
	if next := w.NextStart(now); !next.IsZero() {
		r.NextStart = ptrTo(telemetry.ServerTime(next))
	}
	return r
}

func ptrTo[T any](v T) *T { return &v }

// listWindows is GET /v1/maintenance-windows.
func (h *Handler) listWindows(c *fiber.Ctx) error {
	ws, err := h.policies.Windows(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]windowRow, len(ws))
	for i, w := range ws {
		out[i] = h.toWindowRow(w)
	}
	return writeJSON(c, fiber.StatusOK, struct {
		Windows []windowRow `json:"windows"`
	}{out})
}

// createWindow is POST /v1/maintenance-windows.
func (h *Handler) createWindow(c *fiber.Ctx) error {
	var in services.WindowInput
	if d := decodeObject(JSONBody(c), &in); d != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid maintenance window", Details: *d})
	}
	w, err := h.policies.CreateWindow(c.UserContext(), in, actorFrom(c), h.now())
	if handled, err := invalidInput(c, "Invalid maintenance window", err); handled || err != nil {
		return err
	}
	h.auditWindow(c, w)
	return writeJSON(c, fiber.StatusCreated, struct {
		Window windowRow `json:"window"`
	}{h.toWindowRow(w)})
}

// deleteWindow is DELETE /v1/maintenance-windows/:id.
func (h *Handler) deleteWindow(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return writeJSON(c, fiber.StatusBadRequest, errorBody{Error: "id must be a positive integer"})
	}
	removed, err := h.policies.DeleteWindow(c.UserContext(), id)
	if err != nil {
		return err
	}
	if !removed {
		return writeJSON(c, fiber.StatusNotFound, errorBody{Error: "Maintenance window not found"})
	}
	h.audit(c, "maintenance.delete", strconv.FormatInt(id, 10), "")
	return writeJSON(c, fiber.StatusOK, struct {
		Deleted int64 `json:"deleted"`
	}{id})
}

// getPolicyDefaults is GET /v1/settings/alert-policy.
func (h *Handler) getPolicyDefaults(c *fiber.Ctx) error {
	p, err := h.policies.Defaults(c.UserContext())
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, p)
}

// putPolicyDefaults is PUT /v1/settings/alert-policy.
func (h *Handler) putPolicyDefaults(c *fiber.Ctx) error {
	var in services.Policy
	if d := decodeObject(JSONBody(c), &in); d != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid alert policy", Details: *d})
	}
	err := h.policies.PutDefaults(c.UserContext(), in, h.now())
	if handled, err := invalidInput(c, "Invalid alert policy", err); handled || err != nil {
		return err
	}
	h.auditPolicy(c, in)
	return writeJSON(c, fiber.StatusOK, in)
}

// auditPause, auditWindow and auditPolicy write the audit line of each change, the same from
// the API and the page forms.
func (h *Handler) auditPause(c *fiber.Ctx, p models.JobPause) {
	detail := p.Reason
	if p.UntilAt != nil {
		detail = "until " + *p.UntilAt + "; " + detail
	}
	h.audit(c, "pause.create", p.JobName, detail)
}

func (h *Handler) auditWindow(c *fiber.Ctx, w services.Window) {
	h.audit(c, "maintenance.create", w.Name, w.Scope()+", "+w.Describe())
}

func (h *Handler) auditPolicy(c *fiber.Ctx, p services.Policy) {
	b, _ := json.Marshal(p)
	h.audit(c, "alert-policy.update", "defaults", string(b))
}
