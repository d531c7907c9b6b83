package services

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// EvalStats counts what one evaluator pass changed.
type EvalStats struct {
	Late, Down, BackUp, MissedOpened, RecoveriesExpired int
	// Unsuppressed counts alerts delivered because their pause or window ended; Reminded the
	// reminders queued.
	Unsuppressed, Reminded int
	// Skipped is true when another instance holds the evaluator lease.
	Skipped bool
	// Reconciling is true when the pass waited for runners to replay what they spooled.
	Reconciling bool
}

// Evaluator is the periodic pass over checks: RECOVERY time-to-live, then LATE/DOWN/UP
// transitions and MISSED alerts.
type Evaluator struct {
	w        *Writer
	log      *slog.Logger
	interval time.Duration
	holder   string
	leaseTTL time.Duration
	now      func() time.Time
	storage  *StorageHealth
	recon    *Reconciler
	obs      Observer // optional: /metrics (metrics.go)
}

// NewEvaluator returns an evaluator that ticks every interval. holder identifies this
// instance in the lease that keeps a second instance on the same database from double-firing.
func NewEvaluator(w *Writer, log *slog.Logger, interval time.Duration, holder string) *Evaluator {
	return &Evaluator{w: w, log: log, interval: interval, holder: holder, leaseTTL: 3 * interval, now: utcNow,
		storage: NewStorageHealth(log), recon: NewReconciler()}
}

// Reconciler is the evaluator's reconciling state, for the dashboard's banner.
func (e *Evaluator) Reconciler() *Reconciler { return e.recon }

// SetStorageHealth shares the tracker that reports storage outages once for the process.
func (e *Evaluator) SetStorageHealth(h *StorageHealth) { e.storage = h }

// Run ticks until ctx ends. The first pass comes one interval after start, as in the reference.
func (e *Evaluator) Run(ctx context.Context) {
	every(ctx, e.interval, e.now, func(now time.Time) {
		start := time.Now()
		_, err := e.Tick(ctx, now)
		e.observePass(time.Since(start))
		switch {
		case err == nil:
			e.storage.OK(now)
		case ctx.Err() != nil:
		case !e.storage.Failed(err, now, "loop", "evaluator"):
			e.log.Error("Evaluator pass failed", "error", err)
		}
	})
}

// every calls fn with the tick's time every interval until ctx ends; the first call comes one
// interval after the start.
func every(ctx context.Context, interval time.Duration, now func() time.Time, fn func(now time.Time)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(now())
		}
	}
}

// Tick runs one pass at now, in one write transaction.
func (e *Evaluator) Tick(ctx context.Context, now time.Time) (EvalStats, error) {
	var st EvalStats
	var opened []models.Alert
	nowStr := telemetry.ServerTime(now)
	err := e.w.Do(ctx, func(tx *store.Tx) error {
		st, opened = EvalStats{}, nil
		ok, err := tx.TryLease("evaluator", e.holder, now.UnixMilli(), now.Add(e.leaseTTL).UnixMilli(), nowStr)
		if err != nil {
			return err
		}
		if !ok {
			st.Skipped = true
			return nil
		}
		n, err := tx.CloseExpiredRecoveries(telemetry.ServerTime(now.Add(-RecoveryTTL)), nowStr)
		if err != nil {
			return err
		}
		st.RecoveriesExpired = int(n)
		checks, err := tx.WatchedChecks()
		if err != nil {
			return err
		}
		eng := newEngine(tx, now, e.w.outbox, nil)
		runners, err := tx.DaemonRunners()
		if err != nil {
			return err
		}
		if e.recon.active(runners, now) {
			st.Reconciling = true
			return nil // replayed events first: nothing is late until they are in
		}
		down, err := downRunners(tx, eng, runners, now)
		if err != nil {
			return err
		}
		if err := hungRuns(tx, eng, down, now); err != nil {
			return err
		}
		owners, err := tx.JobOwners()
		if err != nil {
			return err
		}
		for _, c := range checks {
			held := heldByRunner(owners[c.JobName], down)
			// One bad row must not stop the pass: its savepoint undoes it alone.
			err := tx.Savepoint(func() error { return e.evaluate(tx, eng, c, now, held, &st) })
			if err != nil && !e.storage.Failed(err, now, "loop", "evaluator") {
				e.log.Error("Evaluating check failed", "job_name", c.JobName, "error", err)
			}
		}
		if st.Unsuppressed, st.Reminded, err = eng.notifyPass(now); err != nil {
			return err
		}
		opened = eng.opened
		return nil
	})
	if err == nil && len(opened)+st.Unsuppressed+st.Reminded > 0 && e.w.onAlerts != nil {
		e.w.onAlerts(opened)
	}
	return st, err
}

// evaluate moves one check by the clock; held is true while its runner is down, and its MISSED
// then waits under the runner's RUNNER_DOWN.
func (e *Evaluator) evaluate(tx *store.Tx, eng *engine, c models.CheckState, now time.Time, held bool, st *EvalStats) error {
	d := Decide(c, now)
	if d.Reason == ReasonNone {
		return nil
	}
	changed, err := tx.TransitionCheck(c.JobName, c.Status, d.Status, *c.ExpectedNextMs, eng.nowStr)
	if err != nil || !changed {
		return err
	}
	switch d.Reason {
	case ReasonLate:
		st.Late++
	case ReasonBackOnTime:
		st.BackUp++
	case ReasonMissed:
		st.Down++
		if c.AlertOnMiss && !held {
			details := orderedJSON{{"expectedNextAt", c.ExpectedNextAt}, {"graceSeconds", c.GraceSeconds}, {"observedAt", eng.nowStr}}
			before := len(eng.opened)
			if err := eng.open(c.JobName, models.AlertMissed, models.SeverityWarn, c.JobName+":MISSED",
				"Job "+c.JobName+" missed expected heartbeat", details); err != nil {
				return fmt.Errorf("open MISSED: %w", err)
			}
			st.MissedOpened += len(eng.opened) - before
		}
	}
	return nil
}
