package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// maintenancePageRoutes registers /settings/maintenance and its forms.
func (h *Handler) maintenancePageRoutes(app fiber.Router) {
	app.Get("/settings/maintenance", h.requireAdmin, h.maintenancePage)
	app.Post("/settings/maintenance", h.requireAdmin, h.createWindowForm)
	app.Post("/settings/maintenance/:id/delete", h.requireAdmin, h.deleteWindowForm)
	app.Post("/settings/alert-policy", h.requireAdmin, h.policyForm)
}

// maintenancePage is GET /settings/maintenance.
func (h *Handler) maintenancePage(c *fiber.Ctx) error {
	notice := map[string]string{"added": "Maintenance window added.", "deleted": "Maintenance window deleted.",
		"policy": "Default alert policy saved."}[c.Query("saved")]
	return h.renderMaintenance(c, fiber.StatusOK, views.MaintenanceProps{Notice: notice,
		Form: views.WindowForm{Timezone: "UTC", Duration: "60"}})
}

func (h *Handler) renderMaintenance(c *fiber.Ctx, status int, p views.MaintenanceProps) error {
	ctx := c.UserContext()
	windows, err := h.policies.Windows(ctx)
	if err != nil {
		return err
	}
	for _, w := range windows {
		r := h.toWindowRow(w)
		p.Windows = append(p.Windows, views.WindowView{ID: r.ID, Name: r.Name, When: r.Description, Scope: r.Scope,
			Active: r.Active, ActiveUntil: r.ActiveUntil, NextStart: r.NextStart, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt})
	}
	if p.PolicyError == "" {
		d, err := h.policies.Defaults(ctx)
		if err != nil {
			return err
		}
		p.Policy = policyForm(d)
	}
	p.Chrome, p.CSRF = h.chrome(c), h.csrfToken(c)
	return render(c, status, views.MaintenancePage(p))
}

func policyForm(d services.Policy) views.PolicyForm {
	num := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	f := views.PolicyForm{FailureThreshold: num(d.FailureThreshold), RecoveryThreshold: num(d.RecoveryThreshold),
		RealertMinutes: num(d.RealertMinutes), MaxDurationSeconds: num(d.MaxDurationSeconds)}
	if d.SlowFactor > 0 {
		f.SlowFactor = strconv.FormatFloat(d.SlowFactor, 'f', -1, 64)
	}
	return f
}

// createWindowForm is POST /settings/maintenance.
func (h *Handler) createWindowForm(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	form := views.WindowForm{Name: c.FormValue("name"), Jobs: c.FormValue("jobs"), Tags: c.FormValue("tags"),
		StartsAt: c.FormValue("startsAt"), EndsAt: c.FormValue("endsAt"), Cron: c.FormValue("cron"), Time: c.FormValue("time"),
		Duration: c.FormValue("durationMinutes"), Timezone: c.FormValue("timezone"), Weekdays: map[string]bool{}}
	in := services.WindowInput{Name: form.Name, Jobs: splitList(form.Jobs), Tags: splitList(form.Tags),
		StartsAt: form.StartsAt, EndsAt: form.EndsAt, Cron: form.Cron, Time: form.Time, Timezone: form.Timezone}
	for _, d := range c.Context().PostArgs().PeekMulti("weekdays") {
		in.Weekdays = append(in.Weekdays, string(d))
		form.Weekdays[string(d)] = true
	}
	if form.Duration != "" {
		n, err := strconv.ParseInt(form.Duration, 10, 64)
		if err != nil {
			return h.renderMaintenance(c, fiber.StatusBadRequest, views.MaintenanceProps{Form: form, Error: "durationMinutes: Expected a whole number"})
		}
		in.DurationMinutes = n
	}
	w, err := h.policies.CreateWindow(c.UserContext(), in, actorFrom(c), h.now())
	if err != nil {
		var se *services.InputError
		if !errors.As(err, &se) {
			return err
		}
		return h.renderMaintenance(c, fiber.StatusBadRequest, views.MaintenanceProps{Form: form, Error: se.First()})
	}
	h.auditWindow(c, w)
	return c.Redirect("/settings/maintenance?saved=added", fiber.StatusSeeOther)
}

// deleteWindowForm is POST /settings/maintenance/:id/delete.
func (h *Handler) deleteWindowForm(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return fiber.NewError(fiber.StatusBadRequest, "id must be a positive integer")
	}
	removed, err := h.policies.DeleteWindow(c.UserContext(), id)
	if err != nil {
		return err
	}
	if removed {
		h.audit(c, "maintenance.delete", strconv.FormatInt(id, 10), "")
	}
	return c.Redirect("/settings/maintenance?saved=deleted", fiber.StatusSeeOther)
}

// policyForm is POST /settings/alert-policy.
func (h *Handler) policyForm(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	form := views.PolicyForm{FailureThreshold: c.FormValue("failureThreshold"), RecoveryThreshold: c.FormValue("recoveryThreshold"),
		RealertMinutes: c.FormValue("realertMinutes"), MaxDurationSeconds: c.FormValue("maxDurationSeconds"), SlowFactor: c.FormValue("slowFactor")}
	var p services.Policy
	ints := []struct {
		field, value string
		dst          *int64
	}{{"failureThreshold", form.FailureThreshold, &p.FailureThreshold}, {"recoveryThreshold", form.RecoveryThreshold, &p.RecoveryThreshold},
		{"realertMinutes", form.RealertMinutes, &p.RealertMinutes}, {"maxDurationSeconds", form.MaxDurationSeconds, &p.MaxDurationSeconds}}
	refuse := func(msg string) error {
		return h.renderMaintenance(c, fiber.StatusBadRequest, views.MaintenanceProps{Policy: form, PolicyError: msg,
			Form: views.WindowForm{Timezone: "UTC", Duration: "60"}})
	}
	for _, f := range ints {
		if v := strings.TrimSpace(f.value); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return refuse(f.field + ": Expected a whole number")
			}
			*f.dst = n
		}
	}
	if v := strings.TrimSpace(form.SlowFactor); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return refuse("slowFactor: Expected a number")
		}
		p.SlowFactor = f
	}
	if err := h.policies.PutDefaults(c.UserContext(), p, h.now()); err != nil {
		var se *services.InputError
		if !errors.As(err, &se) {
			return err
		}
		return refuse(se.First())
	}
	h.auditPolicy(c, p)
	return c.Redirect("/settings/maintenance?saved=policy", fiber.StatusSeeOther)
}
