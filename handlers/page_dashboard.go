package handlers

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// overviewAlertsLimit is the size of the Recent Open Alerts table.
const overviewAlertsLimit = 10

// overviewPage is GET /.
func (h *Handler) overviewPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	sum, err := h.summaryView(ctx)
	if err != nil {
		return err
	}
	alerts, err := h.st.Alerts(ctx, store.AlertFilter{Status: models.AlertOpen, Limit: overviewAlertsLimit})
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.OverviewPage(views.OverviewProps{Chrome: h.chrome(c), Summary: sum, OpenAlerts: alerts,
		Delivery: h.deliveryHealth(c)}))
}

// overviewSummaryPartial is GET /partials/overview/summary.
func (h *Handler) overviewSummaryPartial(c *fiber.Ctx) error {
	sum, err := h.summaryView(c.UserContext())
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.OverviewSummary(sum, h.now()))
}

// overviewAlertsPartial is GET /partials/overview/alerts.
func (h *Handler) overviewAlertsPartial(c *fiber.Ctx) error {
	alerts, err := h.st.Alerts(c.UserContext(), store.AlertFilter{Status: models.AlertOpen, Limit: overviewAlertsLimit})
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.OverviewAlerts(alerts))
}

// summaryView is the status summary plus the events-per-hour chart data of the last 24 hours.
func (h *Handler) summaryView(ctx context.Context) (views.Summary, error) {
	s, err := h.status.Summary(ctx)
	if err != nil {
		return views.Summary{}, err
	}
	since := h.now().Truncate(time.Hour).Add(-23 * time.Hour)
	hours, err := h.st.EventsPerHour(ctx, since.UnixMilli())
	if err != nil {
		return views.Summary{}, err
	}
	return views.Summary{Checks: toViewCounts(s.Checks), ActiveAlerts: toViewCounts(s.ActiveAlerts), TotalEvents: s.TotalEvents,
		LatestEventAt: s.LatestEventAt, EventsPerHour: toHourBuckets(hours),
		Chief: views.Presence{Online: s.Chief.Online, LastHeartbeatAt: s.Chief.LastHeartbeatAt,
			PingIntervalSeconds: s.Chief.PingIntervalSeconds, OfflineAfterSeconds: s.Chief.OfflineAfterSeconds}}, nil
}

func toViewCounts(in []services.Count) []views.Count {
	out := make([]views.Count, len(in))
	for i, c := range in {
		out[i] = views.Count{Key: c.Key, Count: c.Count}
	}
	return out
}

func toHourBuckets(in []models.HourlyCount) []views.HourBucket {
	var out []views.HourBucket
	for _, r := range in {
		if len(out) == 0 || out[len(out)-1].Start.UnixMilli() != r.HourMs {
			out = append(out, views.HourBucket{Start: time.UnixMilli(r.HourMs).UTC(), Counts: map[string]int64{}})
		}
		out[len(out)-1].Counts[r.Level] += r.Count
	}
	return out
}
