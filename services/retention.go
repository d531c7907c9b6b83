package services

import (
	"context"
	"log/slog"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// Retention prunes old telemetry events in small chunks, each its own short transaction, so
// ingest never waits long behind it.
type Retention struct {
	w        *Writer
	log      *slog.Logger
	days     int
	interval time.Duration
	holder   string
	chunk    int
	now      func() time.Time
	storage  *StorageHealth
}

// NewRetention returns a retention loop keeping days of events. holder identifies this
// instance in the retention lease.
func NewRetention(w *Writer, log *slog.Logger, days int, interval time.Duration, holder string) *Retention {
	return &Retention{w: w, log: log, days: days, interval: interval, holder: holder, chunk: 2000, now: utcNow,
		storage: NewStorageHealth(log)}
}

// SetStorageHealth shares the tracker that reports storage outages once for the process.
func (r *Retention) SetStorageHealth(h *StorageHealth) { r.storage = h }

// Run prunes every interval until ctx ends; the first pass comes one interval after start.
func (r *Retention) Run(ctx context.Context) {
	every(ctx, r.interval, r.now, func(now time.Time) {
		n, err := r.Tick(ctx, now)
		switch {
		case err == nil:
			r.storage.OK(now)
			if n > 0 {
				r.log.Info("Retention pruned events", "deleted", n)
			}
		case ctx.Err() != nil:
		case !r.storage.Failed(err, now, "loop", "retention"):
			r.log.Error("Retention pass failed", "error", err)
		}
	})
}

// Tick deletes events whose event time, or whose receipt, is older than the retention window
// at now, and returns how many it deleted.
func (r *Retention) Tick(ctx context.Context, now time.Time) (int64, error) {
	cutoff := now.Add(-time.Duration(r.days) * 24 * time.Hour)
	cutoffMs, cutoffStr, nowStr := cutoff.UnixMilli(), telemetry.ServerTime(cutoff), telemetry.ServerTime(now)
	// One pass at a time across instances; a dead holder's lease lapses after two intervals.
	var mine bool
	if err := r.w.Do(ctx, func(tx *store.Tx) error {
		var err error
		mine, err = tx.TryLease("retention", r.holder, now.UnixMilli(), now.Add(2*r.interval).UnixMilli(), nowStr)
		return err
	}); err != nil || !mine {
		return 0, err
	}
	if err := r.w.Do(ctx, func(tx *store.Tx) error { return tx.DeleteHourlyBefore(now.Add(-store.HourlyWindow).UnixMilli()) }); err != nil {
		return 0, err
	}
	var total int64
	for _, byReceipt := range []bool{false, true} {
		for {
			var n int64
			var more bool
			err := r.w.Do(ctx, func(tx *store.Tx) error {
				var err error
				if byReceipt {
					n, more, err = tx.DeleteEventsReceivedBefore(cutoffStr, r.chunk)
				} else {
					n, err = tx.DeleteEventsBefore(cutoffMs, r.chunk)
					more = n == int64(r.chunk)
				}
				if err != nil {
					return err
				}
				return tx.AddEventsTotal(-n)
			})
			if err != nil {
				return total, err
			}
			total += n
			if !more || ctx.Err() != nil {
				break
			}
		}
	}
	if total > 0 {
		// The latest chief heartbeat may have been pruned: presence follows the events.
		if err := r.w.Do(ctx, func(tx *store.Tx) error { return tx.RefreshPresence(nowStr) }); err != nil {
			return total, err
		}
	}
	return total, nil
}
