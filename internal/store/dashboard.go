package store

import (
	"context"
	"fmt"

	"github.com/gulag/chief-monitor/models"
)

// HourLevelCount is the number of events of one level in one hour.
type HourLevelCount struct {
	// HourMs is the start of the hour, UTC epoch milliseconds.
	HourMs int64
	Level  string
	Count  int64
}

// Run outcome and heartbeat event types used by the job charts.
var (
	runOutcomeTypes = []string{"job.completed", "job.failed"}
	heartbeatTypes  = []string{"job.started", "job.completed", "job.failed"}
)

// JobRuns lists a job's newest finished runs (job.completed and job.failed events), newest first.
func (s *Store) JobRuns(ctx context.Context, job string, limit int) ([]models.TelemetryEvent, error) {
	var out []models.TelemetryEvent
	err := s.db.WithContext(ctx).Where("job_name = ? AND event_type IN ?", job, runOutcomeTypes).
		Order("event_at_ms DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: job runs: %w", err)
	}
	return out, nil
}

// JobHeartbeats lists a job's heartbeat and outcome events at or after sinceMs, oldest first,
// plus the last one before sinceMs (so the timeline knows the state at its left edge).
func (s *Store) JobHeartbeats(ctx context.Context, job string, sinceMs int64, limit int) ([]models.TelemetryEvent, error) {
	var before, out []models.TelemetryEvent
	db := s.db.WithContext(ctx)
	err := db.Where("job_name = ? AND event_type IN ? AND event_at_ms < ?", job, heartbeatTypes, sinceMs).
		Order("event_at_ms DESC, id DESC").Limit(1).Find(&before).Error
	if err != nil {
		return nil, fmt.Errorf("store: job heartbeats: %w", err)
	}
	err = db.Where("job_name = ? AND event_type IN ? AND event_at_ms >= ?", job, heartbeatTypes, sinceMs).
		Order("event_at_ms ASC, id ASC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: job heartbeats: %w", err)
	}
	return append(before, out...), nil
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
