package spec

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// maxPartNumber bounds the digits of part and parts when a part's size is estimated.
const maxPartNumber = 999999

// ConfigEvents returns the chief.config events that describe cfg: one when every job fits in
// telemetry.MaxMetadataBytes of metadata, else as many as needed, each with all the other keys
// and a consecutive slice of the jobs, numbered by part and parts.
func ConfigEvents(cfg *config.Config, id Identity, configHash string) []telemetry.Event {
	base := id.configMeta(configHash)
	parts := pack(base, encodeJobs(Jobs(cfg)), telemetry.MaxMetadataBytes)
	events := make([]telemetry.Event, 0, len(parts))
	for i, jobs := range parts {
		meta := maps.Clone(base)
		meta[telemetry.MetaJobs], meta[telemetry.MetaPart], meta[telemetry.MetaParts] = jobs, i+1, len(parts)
		msg := fmt.Sprintf("Configuration loaded: %d jobs", len(cfg.Jobs))
		if len(parts) > 1 {
			msg += fmt.Sprintf(" (part %d of %d)", i+1, len(parts))
		}
		events = append(events, telemetry.Event{SourceType: telemetry.SourceChief, EventType: telemetry.EventChiefConfig,
			Level: telemetry.LevelInfo, Message: msg, Metadata: telemetry.Metadata(meta)})
	}
	return events
}

// encodeJobs encodes each job once, so packing can add up sizes instead of re-encoding.
func encodeJobs(jobs []Job) []json.RawMessage {
	out := make([]json.RawMessage, len(jobs))
	for i, j := range jobs {
		out[i] = encodeJob(j)
	}
	return out
}

func encodeJob(j Job) json.RawMessage {
	b, _ := json.Marshal(j) // plain values only: cannot fail
	return b
}

// pack splits jobs into consecutive groups whose metadata (base plus jobs, part and parts)
// stays within limit. A job too large on its own is cut down to what identifies it.
func pack(base map[string]any, jobs []json.RawMessage, limit int) [][]json.RawMessage {
	overhead := partSize(base)
	parts := [][]json.RawMessage{{}}
	size := overhead
	for _, j := range jobs {
		if overhead+len(j) > limit {
			j = shrink(j)
		}
		cur := &parts[len(parts)-1]
		add := len(j)
		if len(*cur) > 0 {
			add++ // the comma
		}
		if size+add > limit && len(*cur) > 0 {
			parts = append(parts, []json.RawMessage{})
			cur, size, add = &parts[len(parts)-1], overhead, len(j)
		}
		*cur = append(*cur, j)
		size += add
	}
	return parts
}

// partSize is the encoded size of base with an empty jobs list and the widest part numbers.
func partSize(base map[string]any) int {
	m := maps.Clone(base)
	m[telemetry.MetaJobs], m[telemetry.MetaPart], m[telemetry.MetaParts] = []json.RawMessage{}, maxPartNumber, maxPartNumber
	return len(telemetry.Metadata(m))
}

// shrink keeps the identifying fields of an encoded job that cannot fit in an event (a huge
// argument list or exclusion list) and marks it truncated.
func shrink(raw json.RawMessage) json.RawMessage {
	var j Job
	_ = json.Unmarshal(raw, &j) // raw was encoded from a Job
	small := Job{Name: j.Name, Enabled: j.Enabled, ScheduleText: j.ScheduleText, ScheduleKind: j.ScheduleKind, Cron: j.Cron,
		Timezone: j.Timezone, WorkingDir: j.WorkingDir, StopOnFailure: j.StopOnFailure, MonitorEnabled: j.MonitorEnabled,
		Scripts: []Script{}, Overlap: j.Overlap, Retries: j.Retries, RetryDelaySeconds: j.RetryDelaySeconds, Check: j.Check,
		Truncated: true}
	return encodeJob(small)
}
