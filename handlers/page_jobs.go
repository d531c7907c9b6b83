package handlers

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// jobsPage is GET /jobs.
func (h *Handler) jobsPage(c *fiber.Ctx) error {
	table, all, err := h.jobsTable(c)
	if err != nil {
		return err
	}
	runners, err := h.runnerRows(c.UserContext())
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.JobsPage(views.JobsProps{Chrome: h.chrome(c), Table: table, Runners: runners,
		AllTags: all}))
}

// jobsTablePartial is GET /partials/jobs/table?tag=.
func (h *Handler) jobsTablePartial(c *fiber.Ctx) error {
	table, _, err := h.jobsTable(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.JobsTable(table))
}

// jobsTable builds the jobs table for the query's tag, and lists every tag of every job.
func (h *Handler) jobsTable(c *fiber.Ctx) (views.JobsTableProps, []string, error) {
	rows, err := h.jobRows(c.UserContext())
	if err != nil {
		return views.JobsTableProps{}, nil, err
	}
	tag := query(c, "tag")
	var all []string
	kept := rows[:0]
	for _, r := range rows {
		all = append(all, r.Tags...)
		if tag == "" || slices.Contains(r.Tags, tag) {
			kept = append(kept, r)
		}
	}
	slices.Sort(all)
	return views.JobsTableProps{Rows: kept, Tag: tag, BaseURL: h.opts.BaseURL, Now: h.now()}, slices.Compact(all), nil
}

func (h *Handler) jobRows(ctx context.Context) ([]views.JobRow, error) {
	jobs, err := h.status.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	now := h.now()
	pauses, err := h.policies.ActivePauses(ctx, now)
	if err != nil {
		return nil, err
	}
	paused := map[string]*models.JobPause{}
	for i := range pauses {
		paused[pauses[i].JobName] = &pauses[i]
	}
	windows, err := h.policies.Windows(ctx)
	if err != nil {
		return nil, err
	}
	slow, err := h.st.Alerts(ctx, store.AlertFilter{Status: models.AlertOpen, AlertType: string(models.AlertSlow), Limit: -1})
	if err != nil {
		return nil, err
	}
	slowWhy := map[string]string{}
	for _, a := range slow {
		_, why, _ := strings.Cut(a.Title, " ran slow: ")
		slowWhy[a.JobName] = why
	}
	rows := make([]views.JobRow, len(jobs))
	for i, j := range jobs {
		tags := j.Check.TagList()
		rows[i] = views.JobRow{Check: j.Check, Latest: j.Latest, Health: string(j.Health), LastRun: j.LastRun, Tags: tags,
			Suppressed: services.Suppressed(paused[j.Check.JobName], windows, j.Check.JobName, tags, now),
			Slow:       slowWhy[j.Check.JobName]}
		if j.Spec != nil {
			rows[i].Schedule, rows[i].Conflict = j.Spec.ScheduleText, j.Spec.Conflict
			if j.Spec.Runner != nil {
				rows[i].Owner = j.Spec.Runner.Host
			}
		}
	}
	sortByHealth(rows)
	return rows, nil
}

// healthRank orders the jobs table: what needs a person first.
var healthRank = map[string]int{"failing": 0, "down": 1, "late": 2, "up": 3, "disabled": 4, "retired": 5}

// sortByHealth puts failing jobs first, then down, late, up and disabled ones, each group in
// the job-name order it came in.
func sortByHealth(rows []views.JobRow) {
	slices.SortStableFunc(rows, func(a, b views.JobRow) int { return healthRank[a.Health] - healthRank[b.Health] })
}

// runnerRows lists the Chief runners, offline ones first.
func (h *Handler) runnerRows(ctx context.Context) ([]views.RunnerRow, error) {
	list, err := h.status.Runners(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]views.RunnerRow, len(list))
	for i, r := range list {
		rows[i] = views.RunnerRow{Host: r.Host, ConfigPath: r.ConfigPath, Mode: r.Mode, Version: r.Version, Status: r.Status,
			LastSeenAt: r.LastSeenAt, Jobs: len(r.Jobs)}
	}
	slices.SortStableFunc(rows, func(a, b views.RunnerRow) int {
		return cmp.Compare(runnerRank[a.Status], runnerRank[b.Status])
	})
	return rows, nil
}

// runnerRank orders the runners card: the silent daemons first.
var runnerRank = map[string]int{services.RunnerOffline: 0, services.RunnerOnline: 1, services.RunnerOneShot: 2}
