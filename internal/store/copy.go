package store

import (
	"context"
	"fmt"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TableCount is one table's row count on both sides after a copy.
type TableCount struct {
	Table          string
	Source, Target int64
}

// copier moves one table's rows, in key order and in batches.
type copier func(ctx context.Context, src, dst *gorm.DB, batch int) error

// copyTables lists what CopyTo moves, parents before children.
var copyTables = []struct {
	name string
	copy copier
}{
	{"telemetry_events", copyModel[models.TelemetryEvent]()},
	{"check_states", copyModel[models.CheckState]()},
	{"alerts", copyModel[models.Alert]()},
	{"alert_deliveries", copyModel[models.AlertDelivery]()},
	{"service_config", copyModel[models.ServiceConfig]()},
	{"hourly_counts", copySmall[models.HourlyCount]()},
	{"presence", copyModel[models.Presence]()},
	{"user", copyModel[models.User](userColumns...)},
	{"session", copyModel[models.Session](sessionColumns...)},
	{"account", copyModel[models.Account](accountColumns...)},
	{"verification", copyModel[models.Verification](verificationColumns...)},
	{"audit_log", copyModel[models.AuditEntry]()},
	{"runners", copyModel[models.Runner]()},
	{"job_specs", copySmall[models.JobSpec]()},
	{"runs", copyModel[models.Run]()},
	{"job_pauses", copyModel[models.JobPause]()},
	{"maintenance_windows", copyModel[models.MaintenanceWindow]()},
	{"badges", copyModel[models.Badge]()},
}

// copyModel copies every row of T's table from src to dst in batches, in primary-key order
// (gorm's FindInBatches pages by the key, so a large table is read in linear time). Rows
// already in dst are skipped, so an interrupted copy can simply run again.
func copyModel[T any](columns ...string) copier {
	return func(ctx context.Context, src, dst *gorm.DB, batch int) error {
		var rows []T
		q := src.WithContext(ctx).Model(new(T))
		if len(columns) > 0 {
			q = q.Select(columns)
		}
		return q.FindInBatches(&rows, batch, func(*gorm.DB, int) error {
			return dst.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 250).Error
		}).Error
	}
}

// copySmall copies a small table whose key has several columns (FindInBatches needs one) in a
// single read.
func copySmall[T any]() copier {
	return func(ctx context.Context, src, dst *gorm.DB, _ int) error {
		var rows []T
		if err := src.WithContext(ctx).Find(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		return dst.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 250).Error
	}
}

// CopyTo copies every row of s (a SQLite store) into dst (a PostgreSQL store) in batches of
// batch rows. It is resumable: rows already present in dst are skipped. It finishes by moving
// dst's id sequences past the copied ids and returns the row counts of both sides.
func (s *Store) CopyTo(ctx context.Context, dst *Store, batch int, progress func(table string, copied int64)) ([]TableCount, error) {
	if dst.dialect != Postgres {
		return nil, fmt.Errorf("store: copy: the target must be PostgreSQL")
	}
	if batch <= 0 {
		batch = 2000
	}
	var counts []TableCount
	for _, t := range copyTables {
		if err := t.copy(ctx, s.wdb, dst.wdb, batch); err != nil {
			return nil, fmt.Errorf("store: copy %s: %w", t.name, err)
		}
		c := TableCount{Table: t.name}
		if err := s.wdb.WithContext(ctx).Table(t.name).Count(&c.Source).Error; err != nil {
			return nil, fmt.Errorf("store: copy: count %s: %w", t.name, err)
		}
		if err := dst.wdb.WithContext(ctx).Table(t.name).Count(&c.Target).Error; err != nil {
			return nil, fmt.Errorf("store: copy: count %s: %w", t.name, err)
		}
		if progress != nil {
			progress(t.name, c.Target)
		}
		counts = append(counts, c)
	}
	// Rows were inserted with their ids: move each identity past them, as PostgreSQL does not.
	for _, t := range []string{"telemetry_events", "alerts", "alert_deliveries", "audit_log", "maintenance_windows", "badges"} {
		if err := dst.wdb.WithContext(ctx).Exec(`SELECT setval(pg_get_serial_sequence(?, 'id'),
			GREATEST(COALESCE((SELECT MAX(id) FROM `+t+`), 0), 1))`, t).Error; err != nil {
			return nil, fmt.Errorf("store: copy: sequence of %s: %w", t, err)
		}
	}
	// The target's counter was made by its own migration: count what it holds now.
	err := dst.wdb.WithContext(ctx).Model(&models.Counter{}).Where("name = ?", models.CounterEvents).
		Update("value", dst.wdb.Model(&models.TelemetryEvent{}).Select("COUNT(*)")).Error
	if err != nil {
		return nil, fmt.Errorf("store: copy: event count: %w", err)
	}
	return counts, nil
}
