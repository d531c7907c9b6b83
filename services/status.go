package services

import (
	"context"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// Status answers the read-side views: summary, jobs and one job.
type Status struct {
	st    *store.Store
	now   func() time.Time
	recon *Reconciler
}

// SetReconciler shares the evaluator's reconciling state, for Reconciling.
func (s *Status) SetReconciler(r *Reconciler) { s.recon = r }

// Reconciling reports whether the evaluator waits for runners to replay, and since when.
func (s *Status) Reconciling() (bool, time.Time) {
	if s.recon == nil {
		return false, time.Time{}
	}
	return s.recon.Reconciling()
}

// NewStatus returns the status views over st.
func NewStatus(st *store.Store) *Status { return &Status{st: st, now: utcNow} }

// SetClock replaces the clock used for Chief presence (tests).
func (s *Status) SetClock(now func() time.Time) { s.now = now }

// Count is one group of a count by key.
type Count struct {
	Key   string
	Count int64
}

// Presence is Chief's own liveness, computed from the latest chief.heartbeat.
type Presence struct {
	Online              bool
	LastHeartbeatAt     *string
	PingIntervalSeconds *int64
	OfflineAfterSeconds int64
	// Mode and PID come from the heartbeat's metadata when present (shown by the UI).
}

// Summary is GET /v1/status/summary.
type Summary struct {
	Checks        []Count
	ActiveAlerts  []Count
	TotalEvents   int64
	LatestEventAt *string
	Chief         Presence
}

// Summary computes the overview without scanning events.
func (s *Status) Summary(ctx context.Context) (Summary, error) {
	var out Summary
	cc, err := s.st.CheckCounts(ctx)
	if err != nil {
		return out, err
	}
	ac, err := s.st.OpenAlertCounts(ctx)
	if err != nil {
		return out, err
	}
	out.Checks, out.ActiveAlerts = toCounts(cc), toCounts(ac)
	if out.TotalEvents, err = s.st.EventsTotal(ctx); err != nil {
		return out, err
	}
	latest, err := s.st.LatestEvent(ctx)
	if err != nil {
		return out, err
	}
	if latest != nil {
		out.LatestEventAt = &latest.EventAt
	}
	p, err := s.st.Presence(ctx)
	if err != nil {
		return out, err
	}
	out.Chief = ChiefPresence(p, s.now())
	return out, nil
}

// ChiefPresence applies the presence rules to the latest heartbeat at now.
func ChiefPresence(p *models.Presence, now time.Time) Presence {
	out := Presence{OfflineAfterSeconds: 45}
	if p == nil {
		return out
	}
	out.LastHeartbeatAt = &p.EventAt
	out.PingIntervalSeconds = p.PingIntervalSeconds
	if p.PingIntervalSeconds != nil {
		out.OfflineAfterSeconds = max(5, 2**p.PingIntervalSeconds)
	}
	if t, ok := telemetry.ParseTime(p.EventAt); ok {
		out.Online = now.Sub(t) <= time.Duration(out.OfflineAfterSeconds)*time.Second
	}
	return out
}

func toCounts(in []store.StatusCount) []Count {
	out := make([]Count, len(in))
	for i, c := range in {
		out[i] = Count{Key: c.Key, Count: c.Count}
	}
	return out
}

// JobRow is one check with its latest event, its health, its last run, and what its
// runner's configuration says of it.
type JobRow struct {
	store.CheckLatest
	Health Health
	Spec   *JobSpec
}

// Jobs lists every check by name with its latest event, health, last run and spec.
func (s *Status) Jobs(ctx context.Context) ([]JobRow, error) {
	checks, err := s.st.ChecksWithLatest(ctx)
	if err != nil {
		return nil, err
	}
	specs, err := s.specsByJob(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]JobRow, len(checks))
	for i, c := range checks {
		out[i] = JobRow{CheckLatest: c, Spec: specs[c.Check.JobName]}
		out[i].Health = JobHealth(c.Check, out[i].Spec.PollInterval(), now)
	}
	return out, nil
}

// JobDetail is GET /v1/status/jobs/:jobName.
type JobDetail struct {
	Check      models.CheckState
	Events     []models.TelemetryEvent
	OpenAlerts []models.Alert
	// FutureEventAt is true when one of Events is future-stamped (FutureStamped): its producer's
	// clock is ahead, and check state used its receipt time instead.
	FutureEventAt bool
	// Health is the dashboard's status of the job; Runs its newest runs.
	Health Health
	Runs   []models.Run
}

// jobRunsShown is how many of a job's newest runs its detail carries.
const jobRunsShown = 20

// Job returns one job's check, newest 100 events and open alerts, or store.ErrNotFound.
func (s *Status) Job(ctx context.Context, job string) (JobDetail, error) {
	var out JobDetail
	c, err := s.st.Check(ctx, job)
	if err != nil {
		return out, err
	}
	out.Check = *c
	if out.Events, err = s.st.Events(ctx, store.EventFilter{JobName: job, Limit: 100}); err != nil {
		return out, err
	}
	out.FutureEventAt = anyFutureStamped(out.Events)
	out.OpenAlerts, err = s.st.Alerts(ctx, store.AlertFilter{JobName: job, Status: models.AlertOpen, Limit: -1})
	if err != nil {
		return out, err
	}
	if out.Runs, err = s.st.Runs(ctx, store.RunFilter{JobName: job, Limit: jobRunsShown}); err != nil {
		return out, err
	}
	specs, err := s.JobSpecs(ctx, job)
	poll := DefaultPollInterval
	if len(specs) > 0 {
		poll = specs[0].PollInterval()
	}
	out.Health = JobHealth(out.Check, poll, s.now())
	return out, err
}

// anyFutureStamped reports whether one of evs is future-stamped. Lists are ordered by eventAt,
// so such an event sorts first and stays in a job's newest events while it is kept.
func anyFutureStamped(evs []models.TelemetryEvent) bool {
	for _, e := range evs {
		if recv, ok := telemetry.ParseTime(e.ReceivedAt); ok && FutureStamped(e.EventAtMs, recv.UnixMilli()) {
			return true
		}
	}
	return false
}
