package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/views"
)

// jobsPage is GET /jobs.
func (h *Handler) jobsPage(c *fiber.Ctx) error {
	rows, err := h.jobRows(c.UserContext())
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.JobsPage(views.JobsProps{Chrome: h.chrome(c), Rows: rows, BaseURL: h.opts.BaseURL}))
}

// jobsTablePartial is GET /partials/jobs/table.
func (h *Handler) jobsTablePartial(c *fiber.Ctx) error {
	rows, err := h.jobRows(c.UserContext())
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.JobsTable(rows, h.opts.BaseURL))
}

func (h *Handler) jobRows(ctx context.Context) ([]views.JobRow, error) {
	jobs, err := h.status.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]views.JobRow, len(jobs))
	for i, j := range jobs {
		rows[i] = views.JobRow{Check: j.Check, Latest: j.Latest}
	}
	return rows, nil
}
