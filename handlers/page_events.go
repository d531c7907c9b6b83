package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/views"
)

// eventsPage is GET /events?jobName=&scriptPath=&level=&eventType=&from=&to=&page=.
func (h *Handler) eventsPage(c *fiber.Ctx) error {
	table, err := h.eventsTable(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.EventsPage(views.EventsProps{Chrome: h.chrome(c), Table: table, BaseURL: h.opts.BaseURL}))
}

// eventsTablePartial is GET /partials/events/table with the same query.
func (h *Handler) eventsTablePartial(c *fiber.Ctx) error {
	table, err := h.eventsTable(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.EventsTable(table, h.opts.BaseURL))
}

func (h *Handler) eventsTable(c *fiber.Ctx) (views.EventsTableProps, error) {
	f := views.EventFilter{JobName: query(c, "jobName"), ScriptPath: query(c, "scriptPath"),
		Level:     oneOf(query(c, "level"), "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"),
		EventType: query(c, "eventType"), From: query(c, "from"), To: query(c, "to")}
	page := pageNumber(c)
	rows, err := h.st.Events(c.UserContext(), store.EventFilter{JobName: f.JobName, ScriptPath: f.ScriptPath, Level: f.Level,
		EventType: f.EventType, From: f.From, To: f.To, Limit: eventsPageSize + 1, Offset: (page - 1) * eventsPageSize})
	if err != nil {
		return views.EventsTableProps{}, err
	}
	hasNext := len(rows) > eventsPageSize
	if hasNext {
		rows = rows[:eventsPageSize]
	}
	return views.EventsTableProps{Rows: rows, Filter: f, Page: page, HasNext: hasNext}, nil
}
