package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The event counter and the hourly counts by level are kept at ingest, so that the overview
// reads a few small rows instead of counting a large table.

// AddEventsTotal adjusts the stored-event counter by delta.
func (t *Tx) AddEventsTotal(delta int64) error {
	if delta == 0 {
		return nil
	}
	err := t.db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.Assignments(map[string]any{"value": gorm.Expr("counters.value + excluded.value")}),
	}).Create(&models.Counter{Name: models.CounterEvents, Value: delta}).Error
	return wrap("count events", err)
}

// EventsTotal returns the number of stored events.
func (s *Store) EventsTotal(ctx context.Context) (int64, error) {
	var rows []models.Counter
	if err := s.db.WithContext(ctx).Where("name = ?", models.CounterEvents).Limit(1).Find(&rows).Error; err != nil {
		return 0, wrap("events total", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return rows[0].Value, nil
}

// HourlyWindow is how far back the hourly counts are kept (the chart shows 24 hours).
const HourlyWindow = 48 * time.Hour

// HourOf is the start of the hour of an epoch-ms instant.
func HourOf(ms int64) int64 { return ms - ms%3_600_000 }

// AddHourly adds counts (hour start → level → events) to the hourly rows.
func (t *Tx) AddHourly(counts map[int64]map[string]int64) error {
	var rows []models.HourlyCount
	for h, levels := range counts {
		for level, n := range levels {
			rows = append(rows, models.HourlyCount{HourMs: h, Level: level, Count: n})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	// A fixed order, so that instances adding to the same rows lock them in the same order.
	slices.SortFunc(rows, func(a, b models.HourlyCount) int {
		return cmp.Or(cmp.Compare(a.HourMs, b.HourMs), cmp.Compare(a.Level, b.Level))
	})
	err := t.db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "hour_ms"}, {Name: "level"}},
		DoUpdates: clause.Assignments(map[string]any{"count": gorm.Expr("hourly_counts.count + excluded.count")}),
	}).Create(&rows).Error
	return wrap("hourly counts", err)
}

// EventsPerHour returns the event counts by hour and level for the hours at or after sinceMs,
// ordered by hour and level.
func (s *Store) EventsPerHour(ctx context.Context, sinceMs int64) ([]models.HourlyCount, error) {
	var out []models.HourlyCount
	err := s.db.WithContext(ctx).Where("hour_ms >= ? AND count > 0", HourOf(sinceMs)).Order("hour_ms, level").Find(&out).Error
	return out, wrap("events per hour", err)
}
