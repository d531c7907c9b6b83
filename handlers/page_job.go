package handlers

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/views"
)

// Sizes of the Job Detail charts.
const (
	jobRunsShown     = 30
	jobTimelineSpan  = 24 * time.Hour
	jobTimelineLimit = 2000
	jobAlertsShown   = 200
)

// jobDetailPage is GET /jobs/:jobName; an unknown job answers 404 with the error banner.
func (h *Handler) jobDetailPage(c *fiber.Ctx) error {
	name, err := jobNameParam(c)
	if err != nil {
		return err
	}
	return h.renderJobPage(c, strings.Clone(name), fiber.StatusOK, "")
}

// renderJobPage renders a job's page (404 for an unknown job), with formError shown on its
// Alerting card.
func (h *Handler) renderJobPage(c *fiber.Ctx, name string, status int, formError string) error {
	detail, err := h.jobDetailFor(c, name)
	if err != nil {
		return err
	}
	if detail.Check == nil {
		status = fiber.StatusNotFound
	}
	detail.Alerting.Error = formError
	return render(c, status, views.JobPage(views.JobProps{Chrome: h.chrome(c), Detail: detail}))
}

// jobDetailPartial is GET /partials/jobs/:jobName/detail (200 even for an unknown job, so the
// poll keeps going until the job appears).
func (h *Handler) jobDetailPartial(c *fiber.Ctx) error {
	detail, err := h.jobDetailFromPath(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.JobDetail(detail))
}

func (h *Handler) jobDetailFromPath(c *fiber.Ctx) (views.JobDetailProps, error) {
	name, err := jobNameParam(c)
	if err != nil {
		return views.JobDetailProps{}, err
	}
	return h.jobDetailFor(c, strings.Clone(name))
}

// jobDetailFor loads the Job Detail of the request: every card, the Alerting card included.
func (h *Handler) jobDetailFor(c *fiber.Ctx, name string) (views.JobDetailProps, error) {
	detail, err := h.jobDetail(c.UserContext(), name, h.csrfToken(c))
	if err != nil || detail.Check == nil {
		return detail, err
	}
	detail.Alerting, err = h.jobAlerting(c.UserContext(), *detail.Check, detail.CSRF)
	detail.Alerting.CanPause = h.isAdmin(c)
	return detail, err
}

// jobNameParam is the job a Job Detail route is about: its :jobName segment, or on the query
// form (/job, for names a browser would resolve as a dot segment) the name parameter.
func jobNameParam(c *fiber.Ctx) (string, error) {
	if c.Params("jobName") != "" {
		return pathParam(c, "jobName")
	}
	return singleQuery(c, "name"), nil
}

// jobDetail loads everything the Job Detail page shows; Check is nil for an unknown job.
func (h *Handler) jobDetail(ctx context.Context, name, csrf string) (views.JobDetailProps, error) {
	p := views.JobDetailProps{Name: name, CSRF: csrf}
	now := h.now()
	p.Timeline = views.TimelineProps{From: now.Add(-jobTimelineSpan), To: now}
	job, err := h.status.Job(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	p.Check, p.OpenAlerts, p.Events, p.FutureEventAt = &job.Check, job.OpenAlerts, job.Events, job.FutureEventAt
	p.Health, p.RunList, p.Now = string(job.Health), job.Runs, now
	if p.Deliveries, err = h.deliveryViews(ctx, job.OpenAlerts...); err != nil {
		return p, err
	}
	runs, err := h.st.JobRuns(ctx, name, jobRunsShown)
	if err != nil {
		return p, err
	}
	for _, r := range runs {
		p.Runs = append(p.Runs, views.RunPoint{At: r.EventTime(), DurationMs: r.DurationMs, Failed: r.EventType == "job.failed"})
	}
	beats, err := h.st.JobHeartbeats(ctx, name, p.Timeline.From.UnixMilli(), jobTimelineLimit)
	if err != nil {
		return p, err
	}
	for _, b := range beats {
		p.Timeline.Events = append(p.Timeline.Events, views.TimelineEvent{At: b.EventTime(), Kind: b.EventType})
	}
	alerts, err := h.st.JobAlertsSince(ctx, name, telemetry.ServerTime(p.Timeline.From), jobAlertsShown)
	if err != nil {
		return p, err
	}
	for _, a := range alerts {
		ta := views.TimelineAlert{Type: string(a.AlertType), Title: a.Title}
		ta.Opened, _ = telemetry.ParseTime(a.OpenedAt)
		if a.ClosedAt != nil {
			ta.Closed, _ = telemetry.ParseTime(*a.ClosedAt)
		}
		p.Timeline.Alerts = append(p.Timeline.Alerts, ta)
	}
	return p, nil
}
