package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// auditPerPage is the page size of the audit page and the default of GET /v1/audit.
const auditPerPage = 50

// auditQuery reads ?actor=&action=&page= (and, for the API, limit).
func auditQuery(c *fiber.Ctx, maxPer int) services.AuditQuery {
	return services.AuditQuery{Actor: strings.Clone(strings.TrimSpace(c.Query("actor"))),
		Action: strings.Clone(strings.TrimSpace(c.Query("action"))),
		Page:   pageParam(singleQuery(c, "page"), 1, maxOffset), PerPage: pageParam(singleQuery(c, "limit"), auditPerPage, maxPer)}
}

// auditPage is GET /settings/audit (admins).
func (h *Handler) auditPage(c *fiber.Ctx) error {
	q := auditQuery(c, auditPerPage)
	rows, more, err := h.auditLog.Entries(c.UserContext(), q)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.AuditPage(views.AuditProps{Chrome: h.chrome(c), Entries: rows,
		Actor: q.Actor, Action: q.Action, Page: q.Page, HasNext: more}))
}

// auditEntryView is one entry of GET /v1/audit (models.AuditEntry with JSON names).
type auditEntryView struct {
	ID     int64  `json:"id"`
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
	Detail string `json:"detail"`
}

// listAudit is GET /v1/audit?actor=&action=&page=&limit= (admins), newest first.
func (h *Handler) listAudit(c *fiber.Ctx) error {
	q := auditQuery(c, maxLimit)
	rows, more, err := h.auditLog.Entries(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := struct {
		Entries []auditEntryView `json:"entries"`
		Page    int              `json:"page"`
		HasNext bool             `json:"hasNext"`
	}{Entries: make([]auditEntryView, 0, len(rows)), Page: q.Page, HasNext: more}
	for _, e := range rows {
		out.Entries = append(out.Entries, auditEntryView(e))
	}
	return writeJSON(c, fiber.StatusOK, out)
}
