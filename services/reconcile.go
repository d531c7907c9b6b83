package services

import (
	"sync"
	"time"

	"github.com/gulag/chief-monitor/models"
)

// After the monitor itself was down, or when every runner went silent at once (more likely the
// monitor's network than all the hosts), the runners' spools replay what they kept. Until that
// is in, a check that looks overdue may only be waiting for its replayed run, and a runner
// that looks silent may be replaying: the evaluator then reconciles first, opening neither
// MISSED nor RUNNER_DOWN, until every runner that looked silent is online again (a recent
// heartbeat comes after everything it spooled before it) or ReconcileBound has passed.

// ReconcileBound is the longest the evaluator waits for silent runners to catch up.
const ReconcileBound = 5 * time.Minute

// Reconciler holds the evaluator's reconciling state; the dashboard reads it for its banner.
type Reconciler struct {
	mu      sync.Mutex
	started bool      // the first pass of this process has begun reconciling
	since   time.Time // zero when not reconciling
	waiting map[string]bool
	// silenceMs is the newest last-seen time of the runners when every runner went silent:
	// the same silence does not start reconciling twice.
	silenceMs int64
}

// NewReconciler returns a reconciler that starts reconciling at the evaluator's first pass.
func NewReconciler() *Reconciler { return &Reconciler{} }

// Reconciling reports whether the evaluator is waiting for replays, and since when.
func (r *Reconciler) Reconciling() (bool, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.since.IsZero(), r.since
}

// active updates the state for a pass at now over the daemon runners and reports whether the
// pass must wait.
func (r *Reconciler) active(runners []models.Runner, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	offline := map[string]bool{}
	for _, rn := range runners {
		if RunnerStatus(rn, now) == RunnerOffline {
			offline[rn.ID] = true
		}
	}
	switch {
	case !r.started:
		r.started = true
		r.begin(offline, now)
	case r.since.IsZero() && allSilentAtOnce(runners, offline) && newestSeen(runners) > r.silenceMs:
		r.silenceMs = newestSeen(runners)
		r.begin(offline, now)
	}
	if r.since.IsZero() {
		return false
	}
	for id := range r.waiting {
		if !offline[id] {
			delete(r.waiting, id) // online again: its spool has drained
		}
	}
	if len(r.waiting) == 0 || now.Sub(r.since) >= ReconcileBound {
		r.since, r.waiting = time.Time{}, nil
		return false
	}
	return true
}

func (r *Reconciler) begin(offline map[string]bool, now time.Time) {
	if len(offline) == 0 {
		return
	}
	r.since, r.waiting = now, offline
}

// allSilentAtOnce reports two or more daemon runners all offline, last seen within one minute
// of each other.
func allSilentAtOnce(runners []models.Runner, offline map[string]bool) bool {
	if len(runners) < 2 || len(offline) != len(runners) {
		return false
	}
	oldest, newest := runners[0].LastSeenMs, runners[0].LastSeenMs
	for _, rn := range runners {
		oldest, newest = min(oldest, rn.LastSeenMs), max(newest, rn.LastSeenMs)
	}
	return newest-oldest <= time.Minute.Milliseconds()
}

func newestSeen(runners []models.Runner) int64 {
	var n int64
	for _, rn := range runners {
		n = max(n, rn.LastSeenMs)
	}
	return n
}
