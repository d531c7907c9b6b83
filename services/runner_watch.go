package services

import (
	"strconv"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
)

// A Chief daemon is the parent of its jobs: when it goes silent, one RUNNER_DOWN alert says so
// (naming the runner, its host and its jobs) and its jobs' MISSED alerts are held under it
// instead of opening one by one; when it comes back, RUNNER_DOWN closes with a RECOVERY that
// lists the jobs that did not run meanwhile.

// runnerAlertJob is the job name of a runner's alerts: alerts belong to a job, and a runner's
// belong to the runner.
func runnerAlertJob(r models.Runner) string {
	if r.Host != "" {
		return "runner:" + r.Host
	}
	return "runner:" + r.ID
}

// downRunners opens RUNNER_DOWN for every daemon runner silent for over three heartbeat
// periods, and returns the ids of the silent ones.
func downRunners(tx *store.Tx, eng *engine, runners []models.Runner, now time.Time) (map[string]bool, error) {
	down := map[string]bool{}
	for _, r := range runners {
		if RunnerStatus(r, now) != RunnerOffline {
			continue
		}
		down[r.ID] = true
		job := runnerAlertJob(r)
		open, err := tx.OpenAlertTypes(job)
		if err != nil || open[models.AlertRunnerDown] {
			if err != nil {
				return nil, err
			}
			continue
		}
		jobs, err := tx.RunnerJobs(r.ID)
		if err != nil {
			return nil, err
		}
		details := orderedJSON{{"runnerId", r.ID}, {"host", r.Host}, {"configPath", r.ConfigPath},
			{"lastSeenAt", r.LastSeenAt}, {"jobs", jobs}}
		title := "Runner " + r.Host + " stopped sending heartbeats (" + strconv.Itoa(len(jobs)) + " jobs)"
		if err := eng.open(job, models.AlertRunnerDown, models.SeverityError, "runner:"+r.ID+":RUNNER_DOWN", title, details); err != nil {
			return nil, err
		}
	}
	return down, nil
}

// heldByRunner reports whether a job's MISSED waits under its runner's RUNNER_DOWN: every
// runner that declares the job is silent.
func heldByRunner(owners []string, down map[string]bool) bool {
	if len(owners) == 0 {
		return false
	}
	for _, id := range owners {
		if !down[id] {
			return false
		}
	}
	return true
}

// runnerBack closes a returning runner's RUNNER_DOWN with a RECOVERY that lists the jobs that
// did not run meanwhile, and ends the runs a new process of it can no longer finish.
func (e *engine) runnerBack(prev models.Runner, cur *models.Runner, ev *models.TelemetryEvent) error {
	if prev.PID != nil && cur.PID != nil && *prev.PID != *cur.PID {
		if _, err := e.tx.MarkLostRuns(cur.ID, ev.EventAt, ev.EventAtMs); err != nil {
			return err
		}
	}
	job := runnerAlertJob(prev)
	n, err := e.tx.CloseOpenAlerts(job, models.AlertRunnerDown, e.nowStr, models.CloseAutoHeartbeat)
	if err != nil || n == 0 {
		return err
	}
	missed, err := e.missedJobs(cur.ID, prev.LastSeenMs)
	if err != nil {
		return err
	}
	details := orderedJSON{{"runnerId", cur.ID}, {"host", cur.Host}, {"downSince", prev.LastSeenAt},
		{"recoveredAt", ev.EventAt}, {"missedJobs", missed}}
	return e.open(job, models.AlertRecovery, models.SeverityInfo, job+":RECOVERY:RUNNER_DOWN",
		"Runner "+cur.Host+" is back", details)
}

// missedJobs lists the runner's jobs that were expected after sinceMs and did not run.
func (e *engine) missedJobs(runnerID string, sinceMs int64) ([]string, error) {
	jobs, err := e.tx.RunnerJobs(runnerID)
	if err != nil {
		return nil, err
	}
	missed := []string{}
	for _, job := range jobs {
		ce, err := e.existingCheck(job)
		if err != nil {
			return nil, err
		}
		if ce == nil {
			continue
		}
		c := ce.c
		if c.ExpectedNextMs != nil && *c.ExpectedNextMs > sinceMs && !c.Satisfied() {
			missed = append(missed, job)
		}
	}
	return missed, nil
}
