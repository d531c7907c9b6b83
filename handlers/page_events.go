package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
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
	if name := repeatedParam(c, eventFilterParams); name != "" {
		return views.EventsTableProps{}, repeatedParamPage(name)
	}
	f := views.EventFilter{JobName: query(c, "jobName"), ScriptPath: query(c, "scriptPath"),
		Level:     oneOf(query(c, "level"), "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"),
		EventType: query(c, "eventType"), From: query(c, "from"), To: query(c, "to"), Tag: query(c, "tag")}
	page := pageNumber(c)
	rows, err := h.st.Events(c.UserContext(), store.EventFilter{JobName: f.JobName, ScriptPath: f.ScriptPath, Level: f.Level,
		EventType: f.EventType, From: f.From, To: f.To, Tag: f.Tag, Limit: eventsPageSize + 1, Offset: (page - 1) * eventsPageSize})
	if err != nil {
		return views.EventsTableProps{}, err
	}
	hasNext := len(rows) > eventsPageSize
	if hasNext {
		rows = rows[:eventsPageSize]
	}
	return views.EventsTableProps{Rows: rows, Filter: f, Page: page, HasNext: hasNext, Warnings: boundWarnings(f)}, nil
}

// boundWarnings tells the user when From or To is not an ISO 8601 time: the store then compares
// it with the stored text (as the reference did), which rarely is what was meant.
func boundWarnings(f views.EventFilter) []string {
	var out []string
	for _, b := range [][2]string{{"From", f.From}, {"To", f.To}} {
		if b[1] == "" {
			continue
		}
		if _, ok := telemetry.ParseTime(b[1]); !ok {
			out = append(out, b[0]+" \""+b[1]+"\" is not an ISO 8601 time such as 2026-01-01T00:00:00Z; it is compared with the stored time as text.")
		}
	}
	return out
}
