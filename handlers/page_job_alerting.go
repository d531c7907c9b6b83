package handlers

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// jobAlerting loads the Alerting card of a job's page.
func (h *Handler) jobAlerting(ctx context.Context, c models.CheckState, csrf string) (views.JobAlertingProps, error) {
	now := h.now()
	tags := c.TagList()
	p := views.JobAlertingProps{Name: c.JobName, Tags: tags, CSRF: csrf}
	pol := h.policies
	pauses, err := pol.ActivePauses(ctx, now)
	if err != nil {
		return p, err
	}
	for i := range pauses {
		if pauses[i].JobName == c.JobName {
			p.Pause = &pauses[i]
		}
	}
	windows, err := pol.Windows(ctx)
	if err != nil {
		return p, err
	}
	p.Suppressed = services.Suppressed(p.Pause, windows, c.JobName, tags, now)
	defaults, err := pol.Defaults(ctx)
	if err != nil {
		return p, err
	}
	eff := defaults.Effective(c)
	p.Policy = views.PolicyView{FailureThreshold: eff.FailureThreshold, RecoveryThreshold: eff.RecoveryThreshold,
		RealertMinutes: eff.RealertMinutes, MaxDurationSeconds: eff.MaxDurationSeconds, SlowFactor: eff.SlowFactor,
		Own: c.FailureThreshold != nil || c.RecoveryThreshold != nil || c.RealertMinutes != nil ||
			c.MaxDurationSeconds != nil || c.SlowFactor != nil}
	recent, err := h.st.RecentDurations(ctx, c.JobName, services.BaselineRuns)
	if err != nil {
		return p, err
	}
	d := services.NewDurationStats(recent)
	p.Durations = views.DurationView{Samples: d.Samples, P50Ms: d.P50Ms, P95Ms: d.P95Ms, MaxMs: d.MaxMs,
		SuggestedTimeoutSeconds: d.SuggestedTimeoutSeconds, SuggestedGraceSeconds: d.SuggestedGraceSeconds,
		GraceSeconds: c.GraceSeconds}
	return p, nil
}

// pauseJobForm is POST /job/pause?name= from the job page: a 303 back to it, or the page
// again with the refused field's message.
func (h *Handler) pauseJobForm(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	name := strings.Clone(singleQuery(c, "name"))
	in := services.PauseInput{Until: c.FormValue("until"), Reason: c.FormValue("reason")}
	p, err := h.policies.Pause(c.UserContext(), name, actorFrom(c), in, h.now())
	var se *services.InputError
	if errors.As(err, &se) {
		return h.renderJobPage(c, name, fiber.StatusBadRequest, se.First())
	}
	if err != nil {
		return err
	}
	h.auditPause(c, p)
	return c.Redirect(string(views.JobURL(name)), fiber.StatusSeeOther)
}

// resumeJobForm is POST /job/resume?name= from the job page.
func (h *Handler) resumeJobForm(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	name := strings.Clone(singleQuery(c, "name"))
	resumed, err := h.policies.Resume(c.UserContext(), name)
	if err != nil {
		return err
	}
	if resumed {
		h.audit(c, "pause.resume", name, "")
	}
	return c.Redirect(string(views.JobURL(name)), fiber.StatusSeeOther)
}
