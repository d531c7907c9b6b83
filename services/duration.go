package services

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// A job's duration baseline is its last BaselineRuns succeeded runs; below MinBaselineRuns
// there is too little to call a run slow.
const (
	BaselineRuns    = 20
	MinBaselineRuns = 5
)

// DurationStats describe how long a job's recent succeeded runs took.
type DurationStats struct {
	// Samples is how many runs they cover; RecentMs their durations, oldest first.
	Samples  int
	RecentMs []int64
	P50Ms    int64
	P95Ms    int64
	MaxMs    int64
	// SuggestedTimeoutSeconds is a max_runtime_seconds that leaves room for a slow day (twice
	// the 95th percentile, at least a minute); SuggestedGraceSeconds a grace_seconds that
	// covers a run that starts late because the previous one is still running (the 95th
	// percentile, at least the default).
	SuggestedTimeoutSeconds int64
	SuggestedGraceSeconds   int64
}

// Baseline reports whether there are enough runs to judge a new one by.
func (d DurationStats) Baseline() bool { return d.Samples >= MinBaselineRuns }

// NewDurationStats computes the statistics of durations given newest first.
func NewDurationStats(newestFirst []int64) DurationStats {
	d := DurationStats{Samples: len(newestFirst)}
	if d.Samples == 0 {
		return d
	}
	d.RecentMs = slices.Clone(newestFirst)
	slices.Reverse(d.RecentMs)
	sorted := slices.Sorted(slices.Values(newestFirst))
	d.P50Ms, d.P95Ms, d.MaxMs = percentile(sorted, 50), percentile(sorted, 95), sorted[len(sorted)-1]
	d.SuggestedTimeoutSeconds = max(60, int64(math.Ceil(float64(2*d.P95Ms)/1000)))
	d.SuggestedGraceSeconds = max(DefaultGraceSeconds, int64(math.Ceil(float64(d.P95Ms)/1000)))
	return d
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int64, p int) int64 {
	rank := int(math.Ceil(float64(p) / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// slowness says why a run of durationMs is slow under the policy and the baseline, or "".
func slowness(durationMs int64, p Policy, base DurationStats) string {
	if p.MaxDurationSeconds > 0 && durationMs > p.MaxDurationSeconds*1000 {
		return fmt.Sprintf("took %s, longer than its limit of %s", shortDuration(durationMs), shortDuration(p.MaxDurationSeconds*1000))
	}
	if p.SlowFactor > 0 && base.Baseline() && base.P50Ms > 0 && float64(durationMs) > p.SlowFactor*float64(base.P50Ms) {
		return fmt.Sprintf("took %s, %.1f× its usual %s", shortDuration(durationMs),
			float64(durationMs)/float64(base.P50Ms), shortDuration(base.P50Ms))
	}
	return ""
}

func shortDuration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d >= time.Minute {
		d = d.Round(time.Second)
	} else {
		d = d.Round(10 * time.Millisecond)
	}
	return d.String()
}

// duration judges a succeeded run's duration: a run over the job's limit, or slow_factor
// times its baseline, opens SLOW; a run back within them closes it.
func (e *engine) duration(c *models.CheckState, ev *models.TelemetryEvent, p Policy, slowOpen bool) error {
	if ev.DurationMs == nil || (p.MaxDurationSeconds == 0 && p.SlowFactor == 0) {
		return nil
	}
	var base DurationStats
	if p.SlowFactor > 0 {
		runID := ""
		if ev.RunID != nil {
			runID = *ev.RunID
		}
		recent, err := e.tx.RecentDurations(c.JobName, runID, BaselineRuns)
		if err != nil {
			return err
		}
		base = NewDurationStats(recent)
	}
	why := slowness(*ev.DurationMs, p, base)
	if why == "" {
		if slowOpen {
			_, err := e.tx.CloseOpenAlerts(c.JobName, models.AlertSlow, e.nowStr, models.CloseAutoNormal)
			return err
		}
		return nil
	}
	details := orderedJSON{{"runId", ev.RunID}, {"durationMs", *ev.DurationMs}, {"baselineP50Ms", base.P50Ms},
		{"baselineRuns", base.Samples}, {"maxDurationSeconds", p.MaxDurationSeconds}, {"slowFactor", p.SlowFactor},
		{"observedAt", telemetry.ServerTime(e.now)}}
	return e.open(c.JobName, models.AlertSlow, models.SeverityWarn, c.JobName+":SLOW", "Job "+c.JobName+" ran slow: "+why, details)
}
