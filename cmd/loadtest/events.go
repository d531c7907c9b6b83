package main

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"
)

// genEvent is one generated event, in wire form.
type genEvent struct {
	EventID    string          `json:"eventId"`
	SourceType string          `json:"sourceType"`
	EventType  string          `json:"eventType"`
	Level      string          `json:"level"`
	Message    string          `json:"message"`
	EventAt    string          `json:"eventAt"`
	JobName    *string         `json:"jobName,omitempty"`
	ScriptPath *string         `json:"scriptPath,omitempty"`
	RunID      *string         `json:"runId,omitempty"`
	Success    *bool           `json:"success,omitempty"`
	Metadata   json.RawMessage `json:"metadata"`
}

// eventGen produces a realistic mix: worker messages, script events and heartbeats over 50
// jobs, every one with a unique eventId.
type eventGen struct{ seq atomic.Int64 }

var levels = []string{"INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR"}

func (g *eventGen) next() genEvent {
	n := g.seq.Add(1)
	job := fmt.Sprintf("job-%02d", n%50)
	script := fmt.Sprintf("workers/%s/step_%d.py", job, n%4)
	run := fmt.Sprintf("%s:%d", job, n/20)
	e := genEvent{EventID: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), n), SourceType: "worker",
		EventType: "worker.message", Level: levels[n%int64(len(levels))], Message: fmt.Sprintf("processed batch %d", n),
		EventAt: time.Now().UTC().Format("2006-01-02T15:04:05.000000+00:00"), JobName: &job, ScriptPath: &script, RunID: &run,
		Metadata: json.RawMessage(fmt.Sprintf(`{"rows":%d,"phase":"load","duration_ms":%d}`, n%1000, n%5000))}
	switch n % 10 {
	case 0:
		e.SourceType, e.EventType, e.Message = "chief", "script.started", "Script started: "+script
		e.Metadata = json.RawMessage(`{"script_index":1,"script_total":4,"args":[],"timeout_seconds":null}`)
	case 5:
		ok := true
		e.SourceType, e.EventType, e.Level, e.Message, e.Success = "chief", "job.completed", "INFO", "Job "+job+" completed successfully.", &ok
		e.Metadata = json.RawMessage(`{"check_enabled":true,"grace_seconds":120,"alert_on_failure":true,"alert_on_miss":true}`)
	}
	return e
}

func (g *eventGen) single() []byte {
	b, _ := json.Marshal(g.next())
	return b
}

func (g *eventGen) batch(n int) []byte {
	evs := make([]genEvent, n)
	for i := range evs {
		evs[i] = g.next()
	}
	b, _ := json.Marshal(map[string]any{"events": evs})
	return b
}

// failures makes n job.failed events for distinct jobs, so open alerts exist.
func (g *eventGen) failures(n int) []byte {
	evs := make([]genEvent, n)
	for i := range evs {
		e := g.next()
		job := fmt.Sprintf("failing-%02d", i)
		e.SourceType, e.EventType, e.Level, e.Message, e.JobName = "chief", "job.failed", "ERROR", "Job failed.", &job
		evs[i] = e
	}
	b, _ := json.Marshal(map[string]any{"events": evs})
	return b
}
