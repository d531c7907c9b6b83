package store

import (
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
)

// Backfills fill what a migration added from the rows already stored (a database of the
// original service, or of an earlier version), where SQL alone cannot parse the timestamps.

// backfillV2 fills the instants that 0002 added to events and checks.
func backfillV2(tx *gorm.DB, _ time.Time) error {
	if err := backfillEventMs(tx); err != nil {
		return err
	}
	return backfillChecks(tx)
}

func backfillEventMs(tx *gorm.DB) error {
	var batch []models.TelemetryEvent
	res := tx.Model(&models.TelemetryEvent{}).Select("id, event_at, received_at").FindInBatches(&batch, 5000, func(*gorm.DB, int) error {
		for _, e := range batch {
			err := tx.Model(&models.TelemetryEvent{}).Where("id = ?", e.ID).Update("event_at_ms", EventMs(e.EventAt, e.ReceivedAt)).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("backfill events", res.Error)
}

func backfillChecks(tx *gorm.DB) error {
	var checks []models.CheckState
	if err := tx.Select("job_name, expected_next_at, last_heartbeat_at, last_success_at, last_failure_at").Find(&checks).Error; err != nil {
		return wrap("backfill checks", err)
	}
	for _, c := range checks {
		var latest []models.TelemetryEvent
		if err := tx.Select("id, event_at_ms").Where("job_name = ?", c.JobName).Order(eventOrder).Limit(1).Find(&latest).Error; err != nil {
			return wrap("backfill checks", err)
		}
		set := map[string]any{"expected_next_ms": parseMs(c.ExpectedNextAt), "last_heartbeat_ms": parseMs(c.LastHeartbeatAt),
			"last_success_ms": parseMs(c.LastSuccessAt), "last_failure_ms": parseMs(c.LastFailureAt),
			"latest_event_id": nil, "latest_event_ms": nil}
		if len(latest) == 1 {
			set["latest_event_id"], set["latest_event_ms"] = latest[0].ID, latest[0].EventAtMs
		}
		if err := tx.Model(&models.CheckState{}).Where("job_name = ?", c.JobName).Updates(set).Error; err != nil {
			return wrap("backfill checks", err)
		}
	}
	return nil
}

// parseMs is the epoch-ms instant of a stored timestamp, or nil (NULL) when there is none.
func parseMs(s *string) *int64 {
	if s == nil {
		return nil
	}
	if t, ok := telemetry.ParseTime(strings.TrimSpace(*s)); ok {
		ms := t.UnixMilli()
		return &ms
	}
	return nil
}

// backfillOwnTables rebuilds the hourly counts of the last HourlyWindow and the Chief presence
// from the stored events, for the tables 0008 created.
func backfillOwnTables(tx *gorm.DB, now time.Time) error {
	var counts []models.HourlyCount
	err := tx.Model(&models.TelemetryEvent{}).
		Select("(event_at_ms / 3600000) * 3600000 AS hour_ms, level, COUNT(*) AS count").
		Where("event_at_ms >= ?", now.Add(-HourlyWindow).UnixMilli()).
		Group("(event_at_ms / 3600000) * 3600000, level").Scan(&counts).Error
	if err != nil {
		return wrap("backfill hourly counts", err)
	}
	if len(counts) > 0 {
		if err := tx.CreateInBatches(counts, 500).Error; err != nil {
			return wrap("backfill hourly counts", err)
		}
	}
	p, err := latestHeartbeat(tx)
	if err != nil || p == nil {
		return err
	}
	return (&Tx{db: tx}).PutPresence(*p, telemetry.ServerTime(now))
}
