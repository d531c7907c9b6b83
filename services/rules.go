package services

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// Defaults of a check created by its first event.
const (
	DefaultGraceSeconds = 120
	// RecoveryTTL is how long a RECOVERY alert stays open without a later heartbeat.
	RecoveryTTL = 900 * time.Second
)

// CheckPatch is the check configuration an event carries: only the keys present in its
// metadata are set.
type CheckPatch struct {
	Enabled        *bool
	AlertOnFailure *bool
	AlertOnMiss    *bool
	GraceSeconds   *int64
}

// ParseCheckPatch reads check_enabled, grace_seconds, alert_on_failure and alert_on_miss from
// event metadata with the reference's parsing rules. A key whose value does not parse counts as
// present with the default value, as the reference would have applied the default.
func ParseCheckPatch(meta map[string]json.RawMessage) CheckPatch {
	var p CheckPatch
	if raw, ok := meta[telemetry.MetaCheckEnabled]; ok {
		p.Enabled = ptr(parseBool(raw, true))
	}
	if raw, ok := meta[telemetry.MetaAlertOnFailure]; ok {
		p.AlertOnFailure = ptr(parseBool(raw, true))
	}
	if raw, ok := meta[telemetry.MetaAlertOnMiss]; ok {
		p.AlertOnMiss = ptr(parseBool(raw, true))
	}
	if raw, ok := meta[telemetry.MetaGraceSeconds]; ok {
		p.GraceSeconds = ptr(parseGrace(raw))
	}
	return p
}

// Apply merges the patch into a check. It reports whether the check was just disabled.
func (p CheckPatch) Apply(c *models.CheckState) (disabled bool) {
	if p.Enabled != nil {
		disabled = c.Enabled && !*p.Enabled
		c.Enabled = *p.Enabled
	}
	if p.AlertOnFailure != nil {
		c.AlertOnFailure = *p.AlertOnFailure
	}
	if p.AlertOnMiss != nil {
		c.AlertOnMiss = *p.AlertOnMiss
	}
	if p.GraceSeconds != nil {
		c.GraceSeconds = *p.GraceSeconds
	}
	return disabled
}

func ptr[T any](v T) *T { return &v }

// parseBool accepts a JSON boolean or the strings "true"/"false" (any case, untrimmed).
func parseBool(raw json.RawMessage, def bool) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return def
	}
	switch x := v.(type) {
	case bool:
		return x
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return def
}

// parseGrace truncates a number, reads a string's leading integer, and clamps to >= 0.
func parseGrace(raw json.RawMessage) int64 {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return DefaultGraceSeconds
	}
	var n int64
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return DefaultGraceSeconds
		}
		n = int64(x)
	case string:
		v, ok := store.LeadingInt(strings.TrimSpace(x))
		if !ok {
			return DefaultGraceSeconds
		}
		n = v
	default:
		return DefaultGraceSeconds
	}
	if n < 0 {
		n = 0
	}
	return n
}

// Reason says why the evaluator changes a check.
type Reason int

// Evaluator reasons.
const (
	ReasonNone Reason = iota
	// ReasonLate: past the expectation, within grace.
	ReasonLate
	// ReasonMissed: past the expectation plus grace; opens MISSED when the check alerts on misses.
	ReasonMissed
	// ReasonBackOnTime: the expectation moved into the future.
	ReasonBackOnTime
)

// Decision is what the evaluator should do with one check at one instant.
type Decision struct {
	Status models.CheckStatus
	Reason Reason
}

// Decide computes a check's status at now. It changes nothing for a disabled check, a check
// without a parsed expectation, or one whose expectation a heartbeat already met.
// Otherwise, with diff the whole seconds since the expectation (floored): diff > grace is DOWN,
// diff > 0 is LATE, anything else is UP. Reason is ReasonNone when the status does not change.
func Decide(c models.CheckState, now time.Time) Decision {
	keep := Decision{Status: c.Status, Reason: ReasonNone}
	if !c.Enabled || c.ExpectedNextMs == nil || c.Satisfied() {
		return keep
	}
	diffMs := now.UnixMilli() - *c.ExpectedNextMs
	diff := diffMs / 1000
	if diffMs < 0 && diffMs%1000 != 0 {
		diff-- // floor, not truncation, for instants before the expectation
	}
	var want Decision
	switch {
	case diff > c.GraceSeconds:
		want = Decision{Status: models.StatusDown, Reason: ReasonMissed}
	case diff > 0:
		want = Decision{Status: models.StatusLate, Reason: ReasonLate}
	default:
		want = Decision{Status: models.StatusUp, Reason: ReasonBackOnTime}
	}
	if want.Status == c.Status {
		return keep
	}
	return want
}

// SatisfiesExpectation reports whether a heartbeat at eventMs meets the check's current
// expectation: it is at or after expected_next_at − grace.
func SatisfiesExpectation(c models.CheckState, eventMs int64) bool {
	if c.ExpectedNextMs == nil {
		return false
	}
	return eventMs >= *c.ExpectedNextMs-c.GraceSeconds*1000
}
