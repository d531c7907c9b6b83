package services

import (
	"encoding/json"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// The runners and the job specs they declare are kept at ingest from Chief's own events: its
// heartbeats say which runner is alive, its chief.config events what it runs.

// noteRunner applies a chief.heartbeat or chief.config event to its runner's row, and a
// chief.config event's job specs.
func (e *engine) noteRunner(ev *models.TelemetryEvent, meta map[string]json.RawMessage) error {
	if ev.SourceType != telemetry.SourceChief ||
		(ev.EventType != telemetry.EventChiefHeartbeat && ev.EventType != telemetry.EventChiefConfig) {
		return nil
	}
	id, ok := metaString(meta, telemetry.MetaRunnerID)
	if !ok {
		return nil // a Chief from before runner ids
	}
	r, err := e.tx.Runner(id)
	if err != nil {
		return err
	}
	if r == nil {
		r = &models.Runner{ID: id, FirstSeenAt: ev.EventAt}
	}
	if r.LastSeenMs > ev.EventAtMs && r.LastSeenAt != "" {
		return nil // a replayed older event says nothing new of the runner
	}
	prev := *r
	describeRunner(r, ev, meta)
	if err := e.tx.SaveRunner(r); err != nil {
		return err
	}
	if prev.LastSeenAt != "" {
		if err := e.runnerBack(prev, r, ev); err != nil {
			return err
		}
	}
	if ev.EventType == telemetry.EventChiefConfig {
		return e.noteSpecs(r, ev, meta)
	}
	return nil
}

func describeRunner(r *models.Runner, ev *models.TelemetryEvent, meta map[string]json.RawMessage) {
	r.LastSeenAt, r.LastSeenMs = ev.EventAt, ev.EventAtMs
	for key, dst := range map[string]*string{telemetry.MetaHost: &r.Host, telemetry.MetaVersion: &r.Version,
		telemetry.MetaMode: &r.Mode, telemetry.MetaConfigPath: &r.ConfigPath, telemetry.MetaConfigHash: &r.ConfigHash} {
		if s, ok := metaString(meta, key); ok {
			*dst = s
		}
	}
	for key, dst := range map[string]**int64{telemetry.MetaPID: &r.PID, telemetry.MetaPollIntervalSeconds: &r.PollIntervalSeconds,
		telemetry.MetaHeartbeatSeconds: &r.HeartbeatSeconds, telemetry.MetaPingIntervalSeconds: &r.HeartbeatSeconds} {
		if n, ok := metaInt(meta, key); ok {
			*dst = &n
		}
	}
}

// noteSpecs stores the job specs of one chief.config event. On its last part the runner's
// specs of any other configuration are dropped: those jobs are no longer the runner's.
func (e *engine) noteSpecs(r *models.Runner, ev *models.TelemetryEvent, meta map[string]json.RawMessage) error {
	var jobs []json.RawMessage
	_ = json.Unmarshal(meta[telemetry.MetaJobs], &jobs) // not a list: no specs in this event
	specs := make([]models.JobSpec, 0, len(jobs))
	for _, raw := range jobs {
		var head struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(raw, &head) != nil || head.Name == "" {
			continue
		}
		specs = append(specs, models.JobSpec{JobName: head.Name, RunnerID: r.ID, ConfigHash: r.ConfigHash,
			SpecJSON: string(raw), UpdatedAt: e.nowStr})
	}
	if err := e.tx.SaveJobSpecs(specs); err != nil {
		return err
	}
	part, okPart := metaInt(meta, telemetry.MetaPart)
	parts, okParts := metaInt(meta, telemetry.MetaParts)
	if okPart && okParts && part < parts {
		return nil // the other parts come next
	}
	for _, sp := range specs {
		if err := e.unretire(sp.JobName); err != nil {
			return err
		}
	}
	gone, err := e.tx.DropStaleSpecs(r.ID, r.ConfigHash)
	if err != nil {
		return err
	}
	for _, job := range gone {
		owners, err := e.tx.SpecCount(job)
		if err != nil {
			return err
		}
		if owners == 0 {
			if err := e.retire(job, "removed from the configuration of "+runnerName(r)); err != nil {
				return err
			}
		}
	}
	return nil
}

func runnerName(r *models.Runner) string {
	if r.Host != "" {
		return r.Host + " (" + r.ConfigPath + ")"
	}
	return "runner " + r.ID
}

// retire stops expecting runs of a job no runner declares any more: its check is kept and
// shown, its open MISSED alert closes, and the evaluator no longer watches it.
func (e *engine) retire(job, reason string) error {
	ce, err := e.existingCheck(job)
	if err != nil || ce == nil || ce.c.RetiredAt != nil {
		return err // no check to retire (the job never reported), or retired already
	}
	ce.c.RetiredAt, ce.c.RetiredReason, ce.c.UpdatedAt, ce.dirty = ptr(e.nowStr), &reason, e.nowStr, true
	_, err = e.tx.CloseOpenAlerts(job, models.AlertMissed, e.nowStr, models.CloseAutoRetired)
	return err
}

// unretire expects runs of a job a configuration declares again.
func (e *engine) unretire(job string) error {
	ce, err := e.existingCheck(job)
	if err != nil || ce == nil {
		return err
	}
	if ce.c.RetiredAt != nil {
		ce.c.RetiredAt, ce.c.RetiredReason, ce.c.UpdatedAt, ce.dirty = nil, nil, e.nowStr, true
	}
	return nil
}

// existingCheck is the job's check entry, or nil when the job has no check (none is made).
func (e *engine) existingCheck(job string) (*checkEntry, error) {
	_, known := e.checks[job]
	ce, err := e.check(job, CheckPatch{})
	if err != nil {
		return nil, err
	}
	if ce.isNew && !known {
		delete(e.checks, job) // made by the lookup itself: the job has no check
		return nil, nil
	}
	return ce, nil
}
