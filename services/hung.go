package services

import (
	"encoding/json"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
)

// A run still running past its job's maximum runtime while its runner is alive is hung: the
// runner is there, but the run will not end on its own. (A run whose runner died is lost
// instead, when the runner comes back.)

// maxRuntime is the longest a run of the job may take: check.max_runtime_seconds when the spec
// sets it, else the sum of its scripts' timeouts; 0 when the spec says neither.
func maxRuntime(specJSON string) time.Duration {
	var spec struct {
		Scripts []struct {
			TimeoutSeconds *int64 `json:"timeout_seconds"`
		} `json:"scripts"`
		Check struct {
			MaxRuntimeSeconds *int64 `json:"max_runtime_seconds"`
		} `json:"check"`
	}
	if json.Unmarshal([]byte(specJSON), &spec) != nil {
		return 0
	}
	if m := spec.Check.MaxRuntimeSeconds; m != nil && *m > 0 {
		return time.Duration(*m) * time.Second
	}
	var total int64
	for _, s := range spec.Scripts {
		if s.TimeoutSeconds == nil || *s.TimeoutSeconds <= 0 {
			return 0 // a script without a timeout: no bound
		}
		total += *s.TimeoutSeconds
	}
	return time.Duration(total) * time.Second
}

// hungRuns marks the runs past their maximum runtime whose runner is alive as hung and opens a
// HUNG alert for each.
func hungRuns(tx *store.Tx, eng *engine, down map[string]bool, now time.Time) error {
	runs, err := tx.RunningRuns()
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.RunnerID == nil || down[*r.RunnerID] || r.StartedMs == nil {
			continue
		}
		limit := maxRuntime(r.SpecJSON)
		if limit <= 0 || now.UnixMilli() < *r.StartedMs+limit.Milliseconds() {
			continue
		}
		if err := tx.MarkRunHung(r.RunID, eng.nowStr); err != nil {
			return err
		}
		details := orderedJSON{{"runId", r.RunID}, {"startedAt", r.StartedAt}, {"maxRuntimeSeconds", int64(limit / time.Second)},
			{"runnerId", *r.RunnerID}}
		if err := eng.open(r.JobName, models.AlertHung, models.SeverityError, r.JobName+":HUNG:"+r.RunID,
			"Run of "+r.JobName+" still running after "+limit.String(), details); err != nil {
			return err
		}
	}
	return nil
}
