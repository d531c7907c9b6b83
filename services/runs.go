package services

import (
	"encoding/json"
	"strings"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// A run's record is kept at ingest, in the same transaction as its events: the group's runs
// are loaded once, changed by each of their events in order, and written once.

// errorLineBytes bounds the first error line kept on a run.
const errorLineBytes = 500

// runBook holds the runs a group's events touch.
type runBook struct {
	tx      *store.Tx
	eng     *engine
	now     string
	runs    map[string]*models.Run
	changed map[string]bool
	// scripts holds each touched run's scripts decoded, so a group's script events change a
	// list and the JSON is written once, at flush.
	scripts map[string][]models.RunScript
}

// isRunEvent reports whether an event changes its run's record.
func isRunEvent(ev *models.TelemetryEvent) bool {
	if ev.JobName == nil || ev.RunID == nil || ev.ID == 0 {
		return false
	}
	switch ev.EventType {
	case telemetry.EventJobStarted, telemetry.EventScriptStarted, telemetry.EventScriptCompleted,
		telemetry.EventJobCompleted, telemetry.EventJobFailed, telemetry.EventOverlapSkipped:
		return true
	}
	return false
}

// loadRuns reads the stored runs that the group's events touch.
func loadRuns(tx *store.Tx, eng *engine, group []work) (*runBook, error) {
	var ids []string
	seen := map[string]bool{}
	for _, wk := range group {
		for i := range wk.batch.events {
			ev := &wk.batch.events[i]
			if isRunEvent(ev) && !seen[*ev.RunID] {
				seen[*ev.RunID] = true
				ids = append(ids, *ev.RunID)
			}
		}
	}
	runs, err := tx.LoadRuns(ids)
	if err != nil {
		return nil, err
	}
	return &runBook{tx: tx, eng: eng, now: eng.nowStr, runs: runs, changed: map[string]bool{},
		scripts: map[string][]models.RunScript{}}, nil
}

// apply changes the event's run by the event.
func (b *runBook) apply(ev *models.TelemetryEvent, meta map[string]json.RawMessage) {
	if !isRunEvent(ev) {
		return
	}
	r := b.runs[*ev.RunID]
	if r == nil {
		r = &models.Run{RunID: *ev.RunID, JobName: *ev.JobName, Status: models.RunRunning, ScriptsJSON: "[]",
			SortMs: ev.EventAtMs}
		b.runs[r.RunID] = r
	}
	b.changed[r.RunID] = true
	r.UpdatedAt = b.now
	noteRunContext(r, ev, meta)
	switch ev.EventType {
	case telemetry.EventJobStarted:
		r.StartedAt, r.StartedMs, r.SortMs = ptr(ev.EventAt), ptr(ev.EventAtMs), ev.EventAtMs
	case telemetry.EventScriptStarted:
		b.scripts[r.RunID] = append(b.scriptsOf(r), models.RunScript{Path: deref(ev.ScriptPath), StartedAt: ptr(ev.EventAt)})
	case telemetry.EventScriptCompleted:
		b.scripts[r.RunID] = scriptCompleted(r, b.scriptsOf(r), ev, meta)
	case telemetry.EventJobCompleted, telemetry.EventJobFailed:
		jobFinished(r, b.scriptsOf(r), ev)
	case telemetry.EventOverlapSkipped:
		r.Status, r.FinishedAt, r.FinishedMs = models.RunSkipped, ptr(ev.EventAt), ptr(ev.EventAtMs)
	}
	b.noteLastRun(r)
}

// noteLastRun makes r its job's last run when it is the newest; the engine has the job's check
// entry, as it applied the same event first.
func (b *runBook) noteLastRun(r *models.Run) {
	ce, ok := b.eng.checks[r.JobName]
	if !ok || (ce.c.LastRunMs != nil && *ce.c.LastRunMs > r.SortMs) {
		return
	}
	if ce.c.LastRunID == nil || *ce.c.LastRunID != r.RunID || *ce.c.LastRunMs != r.SortMs {
		ce.c.LastRunID, ce.c.LastRunMs, ce.dirty = ptr(r.RunID), ptr(r.SortMs), true
	}
}

// noteRunContext records who ran the run and why, from any of its events.
func noteRunContext(r *models.Run, ev *models.TelemetryEvent, meta map[string]json.RawMessage) {
	if s, ok := metaString(meta, telemetry.MetaRunnerID); ok {
		r.RunnerID = &s
	}
	if s, ok := metaString(meta, telemetry.MetaTrigger); ok {
		r.Trigger = &s
	}
	if n, ok := metaInt(meta, telemetry.MetaAttempt); ok {
		r.Attempt = &n
	}
	if n, ok := metaInt(meta, telemetry.MetaMaxAttempts); ok {
		r.MaxAttempts = &n
	}
	if ev.ScheduledFor != nil {
		r.ScheduledFor = ev.ScheduledFor
	}
	r.SortMs = min(r.SortMs, ev.EventAtMs)
	if r.StartedMs != nil {
		r.SortMs = *r.StartedMs
	}
}

// scriptCompleted records a script's outcome in scripts and, for the run's first failing
// script, why the run failed; it returns the scripts.
func scriptCompleted(r *models.Run, scripts []models.RunScript, ev *models.TelemetryEvent,
	meta map[string]json.RawMessage) []models.RunScript {
	path := deref(ev.ScriptPath)
	i := len(scripts) - 1
	for i >= 0 && (scripts[i].Path != path || scripts[i].FinishedAt != nil) {
		i--
	}
	if i < 0 {
		scripts = append(scripts, models.RunScript{Path: path})
		i = len(scripts) - 1
	}
	s := &scripts[i]
	s.FinishedAt, s.DurationMs, s.ExitCode, s.Success = ptr(ev.EventAt), ev.DurationMs, ev.ReturnCode, ev.Success
	if kind, ok := metaString(meta, telemetry.MetaError); ok {
		s.Error = &kind
	}
	if ev.Success != nil && *ev.Success || r.FailingScript != nil {
		return scripts
	}
	r.FailingScript, r.ExitCode = &path, ev.ReturnCode
	stderr := firstOf(meta, telemetry.MetaStderrTail, telemetry.MetaStderrPreview)
	stdout := firstOf(meta, telemetry.MetaStdoutTail, telemetry.MetaStdoutPreview)
	r.StderrTail, r.StdoutTail = optional(stderr), optional(stdout)
	line := errorLine(stderr)
	if line == "" && s.Error != nil {
		line = "script " + *s.Error
	}
	if line == "" {
		line = telemetry.FirstLine(stdout)
	}
	r.ErrorLine = optional(clip(line, errorLineBytes))
	return scripts
}

// jobFinished records the run's outcome.
func jobFinished(r *models.Run, scripts []models.RunScript, ev *models.TelemetryEvent) {
	r.FinishedAt, r.FinishedMs, r.DurationMs = ptr(ev.EventAt), ptr(ev.EventAtMs), ev.DurationMs
	switch {
	case ev.EventType == telemetry.EventJobCompleted && ev.Success != nil && *ev.Success:
		r.Status = models.RunSucceeded
	case timedOut(scripts):
		r.Status = models.RunTimedOut
	default:
		r.Status = models.RunFailed
	}
}

func timedOut(scripts []models.RunScript) bool {
	for _, s := range scripts {
		if s.Error != nil && *s.Error == "timeout" {
			return true
		}
	}
	return false
}

// flush writes the changed runs, with their scripts encoded once.
func (b *runBook) flush() error {
	out := make([]*models.Run, 0, len(b.changed))
	for id := range b.changed {
		r := b.runs[id]
		if scripts, ok := b.scripts[id]; ok {
			if scripts == nil {
				scripts = []models.RunScript{}
			}
			j, _ := json.Marshal(scripts) // plain values: cannot fail
			r.ScriptsJSON = string(j)
		}
		out = append(out, r)
	}
	return b.tx.SaveRuns(out)
}

// scriptsOf is the run's scripts, decoded from the stored JSON the first time the group needs
// them.
func (b *runBook) scriptsOf(r *models.Run) []models.RunScript {
	if s, ok := b.scripts[r.RunID]; ok {
		return s
	}
	var s []models.RunScript
	_ = json.Unmarshal([]byte(r.ScriptsJSON), &s) // written by flush; empty when not
	b.scripts[r.RunID] = s
	return s
}

func metaString(meta map[string]json.RawMessage, key string) (string, bool) {
	var s string
	if raw, ok := meta[key]; !ok || json.Unmarshal(raw, &s) != nil || s == "" {
		return "", false
	}
	return s, true
}

func metaInt(meta map[string]json.RawMessage, key string) (int64, bool) {
	var n int64
	if raw, ok := meta[key]; !ok || json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	return n, true
}

// firstOf is the first of the keys that holds a non-empty string.
func firstOf(meta map[string]json.RawMessage, keys ...string) string {
	for _, k := range keys {
		if s, ok := metaString(meta, k); ok {
			return s
		}
	}
	return ""
}

// errorLine is the line of a script's error output that says what went wrong: its first line
// with text, except for a Python traceback, whose first line only announces it and whose last
// line names the exception.
func errorLine(stderr string) string {
	first := telemetry.FirstLine(stderr)
	if !strings.HasPrefix(first, "Traceback (most recent call last)") {
		return first
	}
	if last := telemetry.LastLine(stderr); last != "" {
		return last
	}
	return first
}

// clip shortens s to at most n bytes on a character boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return telemetry.CutUTF8(s, n) + "…"
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
