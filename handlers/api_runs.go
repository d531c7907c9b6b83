package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/apirow"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// runFilterParams are the filters of the run lists, API and pages alike.
var runFilterParams = []string{"jobName", "status", "runnerId", "from", "to", "tag"}

// runFilter reads the /v1/runs filters from the query, with the conventions of /v1/events.
func runFilter(c *fiber.Ctx) store.RunFilter {
	limit, offset := pagination(c)
	return store.RunFilter{JobName: singleQuery(c, "jobName"), Status: singleQuery(c, "status"),
		RunnerID: singleQuery(c, "runnerId"), From: singleQuery(c, "from"), To: singleQuery(c, "to"),
		Tag: singleQuery(c, "tag"), Limit: limit, Offset: offset}
}

type runsResponse struct {
	Runs   []apirow.Run `json:"runs"`
	Limit  int          `json:"limit"`
	Offset int          `json:"offset"`
}

// listRuns is GET /v1/runs: runs newest first.
func (h *Handler) listRuns(c *fiber.Ctx) error {
	if name := repeatedParam(c, runFilterParams); name != "" {
		return repeatedParamError(c, name)
	}
	f := runFilter(c)
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if _, ok := telemetry.ParseTime(v); v != "" && !ok {
			// An ignored bound would answer with the very runs the caller meant to leave out.
			return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid query parameters",
				Details: singleDetails([]telemetry.Issue{{Field: name, Message: "Expected an ISO 8601 date-time"}})})
		}
	}
	runs, err := h.st.Runs(c.UserContext(), f)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, runsResponse{Runs: apirow.FromRuns(runs), Limit: f.Limit, Offset: f.Offset})
}

type runNotFound struct {
	Error string `json:"error"`
	RunID string `json:"runId"`
}

// maxRunEvents bounds the events returned with one run.
const maxRunEvents = 1000

// getRun is GET /v1/runs/:runId: the run with its scripts and its events, oldest first.
func (h *Handler) getRun(c *fiber.Ctx) error {
	id, err := pathParam(c, "runId")
	if err != nil {
		return err
	}
	r, err := h.st.Run(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return writeJSON(c, fiber.StatusNotFound, runNotFound{Error: "Run not found", RunID: id})
	}
	if err != nil {
		return err
	}
	evs, err := h.st.RunEvents(c.UserContext(), *r, maxRunEvents)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, struct {
		Run    apirow.Run     `json:"run"`
		Events []apirow.Event `json:"events"`
	}{apirow.FromRun(*r), apirow.FromEvents(evs)})
}

// listRunners is GET /v1/runners: every gulag-chief runner, its liveness and its jobs.
func (h *Handler) listRunners(c *fiber.Ctx) error {
	list, err := h.status.Runners(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]apirow.Runner, len(list))
	for i, r := range list {
		out[i] = apirow.Runner{RunnerID: r.ID, Host: r.Host, PID: r.PID, Version: r.Version, Mode: r.Mode,
			ConfigPath: r.ConfigPath, ConfigHash: r.ConfigHash, PollIntervalSeconds: r.PollIntervalSeconds,
			HeartbeatSeconds: r.HeartbeatSeconds, FirstSeenAt: r.FirstSeenAt, LastSeenAt: r.LastSeenAt,
			Status: r.Status, Jobs: r.Jobs}
	}
	return writeJSON(c, fiber.StatusOK, struct {
		Runners []apirow.Runner `json:"runners"`
	}{out})
}
