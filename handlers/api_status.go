package handlers

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/apirow"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/services"
)

type healthResponse struct {
	OK      bool   `json:"ok"`
	Service string `json:"service"`
	Now     string `json:"now"`
	DBPath  string `json:"dbPath"`
}

// health is GET /v1/health: always open. dbPath reports only the file's base name.
func (h *Handler) health(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return h.apiNotFound(c)
	}
	return writeJSON(c, fiber.StatusOK, healthResponse{OK: true, Service: "chief-monitor",
		Now: telemetry.ServerTime(h.now()), DBPath: h.dbName()})
}

type statusCheckCount struct {
	Status string `json:"status"`
	Count  int64  `json:"count"`
}

type alertTypeCount struct {
	AlertType string `json:"alertType"`
	Count     int64  `json:"count"`
}

type chiefPresence struct {
	Online              bool    `json:"online"`
	LastHeartbeatAt     *string `json:"lastHeartbeatAt"`
	PingIntervalSeconds *int64  `json:"pingIntervalSeconds"`
	OfflineAfterSeconds int64   `json:"offlineAfterSeconds"`
}

type summaryResponse struct {
	Checks        []statusCheckCount `json:"checks"`
	ActiveAlerts  []alertTypeCount   `json:"activeAlerts"`
	TotalEvents   int64              `json:"totalEvents"`
	LatestEventAt *string            `json:"latestEventAt"`
	Chief         chiefPresence      `json:"chief"`
}

// statusSummary is GET /v1/status/summary.
func (h *Handler) statusSummary(c *fiber.Ctx) error {
	s, err := h.status.Summary(c.UserContext())
	if err != nil {
		return err
	}
	out := summaryResponse{Checks: []statusCheckCount{}, ActiveAlerts: []alertTypeCount{}, TotalEvents: s.TotalEvents,
		LatestEventAt: s.LatestEventAt, Chief: chiefPresence{Online: s.Chief.Online, LastHeartbeatAt: s.Chief.LastHeartbeatAt,
			PingIntervalSeconds: s.Chief.PingIntervalSeconds, OfflineAfterSeconds: s.Chief.OfflineAfterSeconds}}
	for _, cc := range s.Checks {
		out.Checks = append(out.Checks, statusCheckCount{Status: cc.Key, Count: cc.Count})
	}
	for _, ac := range s.ActiveAlerts {
		out.ActiveAlerts = append(out.ActiveAlerts, alertTypeCount{AlertType: ac.Key, Count: ac.Count})
	}
	return writeJSON(c, fiber.StatusOK, out)
}

type jobStatusRow struct {
	apirow.Check
	// LatestEvent is the job's newest event; the original sent eventAt, eventType, level,
	// message and success, the rest of the row is additive.
	LatestEvent *apirow.Event `json:"latestEvent"`
	// Health (additive) combines the check and the last outcome: failing, down, late, up,
	// disabled, retired. LastRun (additive) is the job's newest run, without its output tails
	// and scripts (GET /v1/runs/:runId has them).
	Health  services.Health `json:"health"`
	LastRun *apirow.Run     `json:"lastRun"`
	apirow.CheckExtras
}

// statusJobs is GET /v1/status/jobs.
func (h *Handler) statusJobs(c *fiber.Ctx) error {
	rows, err := h.status.Jobs(c.UserContext())
	if err != nil {
		return err
	}
	// ?tag= (additive) keeps the jobs with that tag.
	if tag := singleQuery(c, "tag"); tag != "" {
		kept := rows[:0]
		for _, r := range rows {
			if slices.Contains(r.Check.TagList(), tag) {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	out := make([]jobStatusRow, len(rows))
	for i, r := range rows {
		out[i].Check, out[i].CheckExtras = apirow.FromCheck(r.Check), apirow.FromCheckExtras(r.Check)
		out[i].Health = r.Health
		if r.Latest != nil {
			latest := apirow.FromEvent(*r.Latest)
			out[i].LatestEvent = &latest
		}
		if r.LastRun != nil {
			run := apirow.FromRun(*r.LastRun)
			out[i].LastRun = &run
		}
	}
	return writeJSON(c, fiber.StatusOK, struct {
		Jobs []jobStatusRow `json:"jobs"`
	}{out})
}

type jobNotFound struct {
	Error   string `json:"error"`
	JobName string `json:"jobName"`
}

// statusJob is GET /v1/status/jobs/:jobName.
func (h *Handler) statusJob(c *fiber.Ctx) error {
	job, err := pathParam(c, "jobName")
	if err != nil {
		return err
	}
	d, err := h.status.Job(c.UserContext(), job)
	if errors.Is(err, store.ErrNotFound) {
		return writeJSON(c, fiber.StatusNotFound, jobNotFound{Error: "Job not found in check state", JobName: job})
	}
	if err != nil {
		return err
	}
	specs, err := h.status.JobSpecs(c.UserContext(), job)
	if err != nil {
		return err
	}
	recent, err := h.st.RecentDurations(c.UserContext(), job, services.BaselineRuns)
	if err != nil {
		return err
	}
	type checkDetail struct {
		apirow.Check
		apirow.CheckExtras
	}
	return writeJSON(c, fiber.StatusOK, struct {
		Check      checkDetail    `json:"check"`
		Events     []apirow.Event `json:"events"`
		OpenAlerts []apirow.Alert `json:"openAlerts"`
		// FutureEventAt (additive) flags a producer clock ahead of the monitor's.
		FutureEventAt bool `json:"futureEventAt"`
		// Spec (additive) is what each runner's chief.config says of the job.
		Spec []jobSpecRow `json:"spec"`
		// Durations (additive) is the job's duration baseline.
		Durations durationsRow `json:"durations"`
	}{checkDetail{apirow.FromCheck(d.Check), apirow.FromCheckExtras(d.Check)}, apirow.FromEvents(d.Events), apirow.FromAlerts(d.OpenAlerts), d.FutureEventAt,
		toSpecRows(specs), toDurationsRow(services.NewDurationStats(recent))})
}

// durationsRow is a job's duration baseline: its last successful runs' durations (oldest
// first), their median, 95th percentile and longest, and the grace and timeout they suggest.
type durationsRow struct {
	Samples                 int     `json:"samples"`
	RecentMs                []int64 `json:"recentMs"`
	P50Ms                   int64   `json:"p50Ms"`
	P95Ms                   int64   `json:"p95Ms"`
	MaxMs                   int64   `json:"maxMs"`
	SuggestedTimeoutSeconds int64   `json:"suggestedTimeoutSeconds"`
	SuggestedGraceSeconds   int64   `json:"suggestedGraceSeconds"`
}

func toDurationsRow(d services.DurationStats) durationsRow {
	recent := d.RecentMs
	if recent == nil {
		recent = []int64{}
	}
	return durationsRow{Samples: d.Samples, RecentMs: recent, P50Ms: d.P50Ms, P95Ms: d.P95Ms, MaxMs: d.MaxMs,
		SuggestedTimeoutSeconds: d.SuggestedTimeoutSeconds, SuggestedGraceSeconds: d.SuggestedGraceSeconds}
}

// jobSpecRow is one runner's spec of a job: the object of its chief.config, and the runner.
type jobSpecRow struct {
	RunnerID  string          `json:"runnerId"`
	Host      string          `json:"host"`
	UpdatedAt string          `json:"updatedAt"`
	Spec      json.RawMessage `json:"spec"`
}

func toSpecRows(in []services.JobSpec) []jobSpecRow {
	out := make([]jobSpecRow, 0, len(in))
	for _, s := range in {
		row := jobSpecRow{UpdatedAt: s.UpdatedAt, Spec: s.Raw}
		if s.Runner != nil {
			row.RunnerID, row.Host = s.Runner.ID, s.Runner.Host
		}
		out = append(out, row)
	}
	return out
}
