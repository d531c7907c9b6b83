package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/gulag/chief-monitor/models"
)

// Run outcome and heartbeat event types used by the job charts.
var (
	runOutcomeTypes = []string{"job.completed", "job.failed"}
	heartbeatTypes  = []string{"job.started", "job.completed", "job.failed"}
)

// JobRuns lists a job's newest finished runs (job.completed and job.failed events), newest first.
func (s *Store) JobRuns(ctx context.Context, job string, limit int) ([]models.TelemetryEvent, error) {
	out, err := s.eventsByTypes(ctx, job, runOutcomeTypes, "event_at_ms DESC, id DESC", limit, "")
	if err != nil {
		return nil, fmt.Errorf("store: job runs: %w", err)
	}
	sortEvents(out, true)
	return out[:min(limit, len(out))], nil
}

// JobHeartbeats lists a job's heartbeat and outcome events at or after sinceMs, oldest first,
// plus the last one before sinceMs (so the timeline knows the state at its left edge).
func (s *Store) JobHeartbeats(ctx context.Context, job string, sinceMs int64, limit int) ([]models.TelemetryEvent, error) {
	before, err := s.eventsByTypes(ctx, job, heartbeatTypes, "event_at_ms DESC, id DESC", 1, "event_at_ms < ?", sinceMs)
	if err != nil {
		return nil, fmt.Errorf("store: job heartbeats: %w", err)
	}
	sortEvents(before, true)
	out, err := s.eventsByTypes(ctx, job, heartbeatTypes, "event_at_ms ASC, id ASC", limit, "event_at_ms >= ?", sinceMs)
	if err != nil {
		return nil, fmt.Errorf("store: job heartbeats: %w", err)
	}
	sortEvents(out, false)
	return append(before[:min(1, len(before))], out[:min(limit, len(out))]...), nil
}

// runsIndexWhere is the predicate of the partial index idx_events_job_runs_ms (migration 0007),
// repeated word for word in each query so that both databases see the index applies. Every
// type in heartbeatTypes and runOutcomeTypes must be in it.
const runsIndexWhere = "event_type IN ('job.started', 'job.completed', 'job.failed')"

// eventsByTypes runs one query per event type, each an ordered range of the partial
// (job_name, event_type, event_at_ms) index, so a busy job's worker messages are never scanned.
// The caller merges and trims the results.
func (s *Store) eventsByTypes(ctx context.Context, job string, types []string, order string, limit int,
	extra string, args ...any) ([]models.TelemetryEvent, error) {
	var all []models.TelemetryEvent
	for _, typ := range types {
		var part []models.TelemetryEvent
		q := s.db.WithContext(ctx).Where("job_name = ? AND event_type = ? AND "+runsIndexWhere, job, typ)
		if extra != "" {
			q = q.Where(extra, args...)
		}
		if err := q.Order(order).Limit(limit).Find(&part).Error; err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	return all, nil
}

func sortEvents(evs []models.TelemetryEvent, desc bool) {
	sort.Slice(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.EventAtMs != b.EventAtMs {
			return (a.EventAtMs > b.EventAtMs) == desc
		}
		return (a.ID > b.ID) == desc
	})
}

// JobAlertsSince lists a job's alerts that were open at some point at or after since (an
// ISO-8601 UTC text, compared as text like opened_at itself), newest first.
func (s *Store) JobAlertsSince(ctx context.Context, job, since string, limit int) ([]models.Alert, error) {
	var out []models.Alert
	err := s.db.WithContext(ctx).Where("job_name = ? AND (status = 'OPEN' OR closed_at >= ?)", job, since).
		Order("opened_at DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: job alerts: %w", err)
	}
	return out, nil
}
