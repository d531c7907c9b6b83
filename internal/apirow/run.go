package apirow

import (
	"encoding/json"

	"github.com/gulag/chief-monitor/models"
)

// Run is one run of a job in the /v1 API.
type Run struct {
	RunID         string             `json:"runId"`
	JobName       string             `json:"jobName"`
	RunnerID      *string            `json:"runnerId"`
	Trigger       *string            `json:"trigger"`
	Attempt       *int64             `json:"attempt"`
	MaxAttempts   *int64             `json:"maxAttempts"`
	ScheduledFor  *string            `json:"scheduledFor"`
	StartedAt     *string            `json:"startedAt"`
	FinishedAt    *string            `json:"finishedAt"`
	DurationMs    *int64             `json:"durationMs"`
	Status        models.RunStatus   `json:"status"`
	FailingScript *string            `json:"failingScript"`
	ExitCode      *int64             `json:"exitCode"`
	ErrorLine     *string            `json:"errorLine"`
	StderrTail    *string            `json:"stderrTail"`
	StdoutTail    *string            `json:"stdoutTail"`
	Scripts       []models.RunScript `json:"scripts"`
}

// FromRun shapes one stored run; its output tails are bounded like event messages.
func FromRun(r models.Run) Run {
	out := Run{RunID: r.RunID, JobName: r.JobName, RunnerID: r.RunnerID, Trigger: r.Trigger, Attempt: r.Attempt,
		MaxAttempts: r.MaxAttempts, ScheduledFor: r.ScheduledFor, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		DurationMs: r.DurationMs, Status: r.Status, FailingScript: r.FailingScript, ExitCode: r.ExitCode,
		ErrorLine: r.ErrorLine, StderrTail: boundPtr(r.StderrTail), StdoutTail: boundPtr(r.StdoutTail),
		Scripts: []models.RunScript{}}
	_ = json.Unmarshal([]byte(r.ScriptsJSON), &out.Scripts) // written by the ingest service
	return out
}

// FromRuns shapes stored runs.
func FromRuns(in []models.Run) []Run {
	out := make([]Run, len(in))
	for i, r := range in {
		out[i] = FromRun(r)
	}
	return out
}

func boundPtr(s *string) *string {
	if s == nil {
		return nil
	}
	b := Message(*s)
	return &b
}

// Runner is one gulag-chief runner in the /v1 API, with the jobs its configuration declares.
type Runner struct {
	RunnerID            string   `json:"runnerId"`
	Host                string   `json:"host"`
	PID                 *int64   `json:"pid"`
	Version             string   `json:"version"`
	Mode                string   `json:"mode"`
	ConfigPath          string   `json:"configPath"`
	ConfigHash          string   `json:"configHash"`
	PollIntervalSeconds *int64   `json:"pollIntervalSeconds"`
	HeartbeatSeconds    *int64   `json:"heartbeatSeconds"`
	FirstSeenAt         string   `json:"firstSeenAt"`
	LastSeenAt          string   `json:"lastSeenAt"`
	Status              string   `json:"status"`
	Jobs                []string `json:"jobs"`
}
