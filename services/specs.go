package services

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gulag/chief-monitor/models"
)

// JobSpec is what a runner's chief.config says of one job, as far as the dashboard shows it,
// with the runner that declared it. Conflict is set when another runner declares the same job
// differently.
type JobSpec struct {
	Name         string          `json:"name"`
	Enabled      *bool           `json:"enabled"`
	Schedule     json.RawMessage `json:"schedule"`
	ScheduleText string          `json:"schedule_text"`
	Cron         string          `json:"cron"`
	Timezone     string          `json:"timezone"`
	Runner       *models.Runner  `json:"-"`
	// Raw is the spec object exactly as Chief sent it.
	Raw       json.RawMessage `json:"-"`
	Conflict  bool            `json:"-"`
	UpdatedAt string          `json:"-"`
}

// PollInterval is how often the job's runner looks for due jobs.
func (s *JobSpec) PollInterval() time.Duration {
	if s == nil || s.Runner == nil || s.Runner.PollIntervalSeconds == nil || *s.Runner.PollIntervalSeconds <= 0 {
		return DefaultPollInterval
	}
	return time.Duration(*s.Runner.PollIntervalSeconds) * time.Second
}

// specsByJob reads every stored spec with its runner. A job declared by several runners gets the
// spec of the runner seen last, marked as a conflict when the specs differ.
func (s *Status) specsByJob(ctx context.Context) (map[string]*JobSpec, error) {
	rows, err := s.st.JobSpecs(ctx)
	if err != nil {
		return nil, err
	}
	runners, err := s.runnersByID(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*JobSpec{}
	for _, r := range rows {
		spec := parseSpec(r, runners[r.RunnerID])
		cur, ok := out[r.JobName]
		switch {
		case !ok:
			out[r.JobName] = spec
		case string(cur.Raw) != string(spec.Raw):
			if spec.Runner != nil && (cur.Runner == nil || spec.Runner.LastSeenMs > cur.Runner.LastSeenMs) {
				out[r.JobName] = spec
			}
			out[r.JobName].Conflict = true
		}
	}
	return out, nil
}

func (s *Status) runnersByID(ctx context.Context) (map[string]*models.Runner, error) {
	list, err := s.st.Runners(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*models.Runner, len(list))
	for i := range list {
		out[list[i].ID] = &list[i]
	}
	return out, nil
}

func parseSpec(r models.JobSpec, runner *models.Runner) *JobSpec {
	spec := &JobSpec{Name: r.JobName, Runner: runner, Raw: json.RawMessage(r.SpecJSON), UpdatedAt: r.UpdatedAt}
	_ = json.Unmarshal(spec.Raw, spec) // stored from a validated chief.config object
	spec.Name = r.JobName
	return spec
}

// JobSpecs is what every runner's configuration says of one job (several when runners share or
// disagree about it).
func (s *Status) JobSpecs(ctx context.Context, job string) ([]JobSpec, error) {
	rows, err := s.st.SpecsOfJob(ctx, job)
	if err != nil {
		return nil, err
	}
	runners, err := s.runnersByID(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]JobSpec, len(rows))
	for i, r := range rows {
		out[i] = *parseSpec(r, runners[r.RunnerID])
	}
	return out, nil
}
