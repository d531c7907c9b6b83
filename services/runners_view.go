package services

import (
	"context"
	"time"

	"github.com/gulag/chief-monitor/models"
)

// Runner statuses.
const (
	RunnerOnline  = "online"
	RunnerOffline = "offline"
	// RunnerOneShot is a `gulag-chief run` process: it ends when its jobs do, so silence says
	// nothing of it.
	RunnerOneShot = "run"
)

// defaultHeartbeat is a runner's heartbeat period when it has not said.
const defaultHeartbeat = 60 * time.Second

// RunnerView is a runner with its liveness and the jobs its configuration declares.
type RunnerView struct {
	models.Runner
	Status string
	Jobs   []string
}

// RunnerStatus is a runner's liveness at now: a daemon whose heartbeats stopped for longer than
// three heartbeat periods is offline.
func RunnerStatus(r models.Runner, now time.Time) string {
	if r.Mode != "daemon" {
		return RunnerOneShot
	}
	period := defaultHeartbeat
	if r.HeartbeatSeconds != nil && *r.HeartbeatSeconds > 0 {
		period = time.Duration(*r.HeartbeatSeconds) * time.Second
	}
	if now.UnixMilli()-r.LastSeenMs > (3 * period).Milliseconds() {
		return RunnerOffline
	}
	return RunnerOnline
}

// Runners lists every runner, most recently seen first, with its status and jobs.
func (s *Status) Runners(ctx context.Context) ([]RunnerView, error) {
	list, err := s.st.Runners(ctx)
	if err != nil {
		return nil, err
	}
	specs, err := s.st.JobSpecs(ctx)
	if err != nil {
		return nil, err
	}
	jobs := map[string][]string{}
	for _, sp := range specs {
		jobs[sp.RunnerID] = append(jobs[sp.RunnerID], sp.JobName)
	}
	now := s.now()
	out := make([]RunnerView, len(list))
	for i, r := range list {
		out[i] = RunnerView{Runner: r, Status: RunnerStatus(r, now), Jobs: append([]string{}, jobs[r.ID]...)}
	}
	return out, nil
}
