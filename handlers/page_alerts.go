package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/views"
)

// Page sizes of the explorers and the deepest page served.
const (
	alertsPageSize = 25
	eventsPageSize = 50
	maxPage        = 20000
)

// pageNumber reads ?page= (1-based); anything else is page 1.
func pageNumber(c *fiber.Ctx) int {
	n, err := strconv.Atoi(strings.TrimSpace(c.Query("page")))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}

// query is a trimmed copy of a query parameter (Fiber reuses its buffers).
func query(c *fiber.Ctx, name string) string {
	return strings.Clone(strings.TrimSpace(c.Query(name)))
}

// oneOf keeps v only when it is one of the allowed values.
func oneOf(v string, allowed ...string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	return ""
}

// alertsPage is GET /alerts?jobName=&status=&alertType=&severity=&page=.
func (h *Handler) alertsPage(c *fiber.Ctx) error {
	table, err := h.alertsTable(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.AlertsPage(views.AlertsProps{Chrome: h.chrome(c), Table: table}))
}

// alertsTablePartial is GET /partials/alerts/table with the same query.
func (h *Handler) alertsTablePartial(c *fiber.Ctx) error {
	table, err := h.alertsTable(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.AlertsTable(table))
}

func (h *Handler) alertsTable(c *fiber.Ctx) (views.AlertsTableProps, error) {
	if name := repeatedParam(c, alertFilterParams); name != "" {
		return views.AlertsTableProps{}, repeatedParamPage(name)
	}
	f := views.AlertFilter{JobName: query(c, "jobName"), Status: oneOf(query(c, "status"), "OPEN", "CLOSED"),
		AlertType: oneOf(query(c, "alertType"), views.AlertTypeNames...),
		Severity:  oneOf(query(c, "severity"), "INFO", "WARN", "ERROR", "CRITICAL"), Tag: query(c, "tag")}
	page := pageNumber(c)
	// One row more than the page tells whether a next page exists.
	rows, err := h.st.Alerts(c.UserContext(), store.AlertFilter{JobName: f.JobName, Status: f.Status, AlertType: f.AlertType,
		Severity: f.Severity, Tag: f.Tag, Limit: alertsPageSize + 1, Offset: (page - 1) * alertsPageSize})
	if err != nil {
		return views.AlertsTableProps{}, err
	}
	hasNext := len(rows) > alertsPageSize
	if hasNext {
		rows = rows[:alertsPageSize]
	}
	ds, err := h.deliveryViews(c.UserContext(), rows...)
	if err != nil {
		return views.AlertsTableProps{}, err
	}
	return views.AlertsTableProps{Rows: rows, Filter: f, Page: page, HasNext: hasNext, CSRF: h.csrfToken(c), Deliveries: ds}, nil
}

// closeAlertForm is POST /alerts/:alertId/close from the dashboard: with htmx it answers the
// re-rendered row, without it a 303 back to the page the form was on.
func (h *Handler) closeAlertForm(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	id, ok := alertIDParam(c)
	if !ok {
		return fiber.NewError(fiber.StatusBadRequest, "alertId must be a positive integer")
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	if reason == "" {
		reason = "manual-ui"
	}

	a, updated, err := h.alerts.Close(c.UserContext(), id, strings.Clone(reason), actorFrom(c), h.now())
	if errors.Is(err, store.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "Alert not found")
	}
	if err != nil {
		return err
	}
	if updated {
		h.auditAlertClose(c, a, reason)
	}
	back := sanitizeNext(c.FormValue("back"))
	if !isHTMX(c) {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	ds, err := h.deliveryViews(c.UserContext(), *a)
	if err != nil {
		return err
	}
	if c.FormValue("view") == "job" {
		return render(c, fiber.StatusOK, views.JobAlertRow(*a, h.csrfToken(c), ds[a.ID]))
	}
	return render(c, fiber.StatusOK, views.AlertRow(*a, h.csrfToken(c), back, ds[a.ID]))
}
