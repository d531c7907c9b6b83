package services

import (
	"encoding/json"
	"math"
	"slices"
	"strings"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// Policy is how a job's alerts behave: the thresholds, the reminder interval and the duration
// limits. A zero value of a field means "not set" and takes the default.
type Policy struct {
	FailureThreshold   int64   `json:"failureThreshold" validate:"min=0,max=1000"`
	RecoveryThreshold  int64   `json:"recoveryThreshold" validate:"min=0,max=1000"`
	RealertMinutes     int64   `json:"realertMinutes" validate:"min=0,max=525600"`
	MaxDurationSeconds int64   `json:"maxDurationSeconds" validate:"min=0,max=31536000"`
	SlowFactor         float64 `json:"slowFactor" validate:"min=0,max=1000"`
}

// policyPatch is the alert policy and the tags an event's check metadata carries. It is only
// applied when the event carries the check metadata at all (check_enabled): then a key that
// is absent clears the job's setting.
type policyPatch struct {
	present            bool
	tags               string
	failureThreshold   *int64
	recoveryThreshold  *int64
	realertMinutes     *int64
	maxDurationSeconds *int64
	slowFactor         *float64
}

func parsePolicyPatch(meta map[string]json.RawMessage) policyPatch {
	p := policyPatch{tags: "[]"}
	if _, ok := meta[telemetry.MetaCheckEnabled]; !ok {
		return p
	}
	p.present = true
	p.tags = jsonList(parseTags(meta[telemetry.MetaTags]))
	p.failureThreshold = positiveInt(meta[telemetry.MetaFailureThreshold])
	p.recoveryThreshold = positiveInt(meta[telemetry.MetaRecoveryThreshold])
	p.realertMinutes = positiveInt(meta[telemetry.MetaRealertMinutes])
	p.maxDurationSeconds = positiveInt(meta[telemetry.MetaMaxDurationSeconds])
	var f float64
	if raw := meta[telemetry.MetaSlowFactor]; raw != nil && json.Unmarshal(raw, &f) == nil && f > 1 && f <= 1000 {
		p.slowFactor = &f
	}
	return p
}

// apply writes the patch into a check.
func (p policyPatch) apply(c *models.CheckState) {
	if !p.present {
		if c.Tags == "" {
			c.Tags = "[]"
		}
		return
	}
	c.Tags = p.tags
	c.FailureThreshold, c.RecoveryThreshold, c.RealertMinutes = p.failureThreshold, p.recoveryThreshold, p.realertMinutes
	c.MaxDurationSeconds, c.SlowFactor = p.maxDurationSeconds, p.slowFactor
}

// positiveInt reads a JSON number that is a whole number from 1 to a million; anything else is
// "not set".
func positiveInt(raw json.RawMessage) *int64 {
	var f float64
	if raw == nil || json.Unmarshal(raw, &f) != nil || f < 1 || f > 1e6 || f != math.Trunc(f) {
		return nil
	}
	return ptr(int64(f))
}

// parseTags reads a JSON array of tags, keeping the well-formed ones (trimmed), sorted and
// without repeats, at most telemetry.MaxTags.
func parseTags(raw json.RawMessage) []string {
	var in []any
	if raw == nil || json.Unmarshal(raw, &in) != nil {
		return nil
	}
	var out []string
	for _, v := range in {
		s, ok := v.(string)
		if s = strings.TrimSpace(s); ok && telemetry.ValidTag(s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > telemetry.MaxTags {
		out = out[:telemetry.MaxTags]
	}
	return out
}

// jsonList is how a list of tags or patterns is stored: a JSON array, never null.
func jsonList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// Effective returns the policy that applies to a check: its own settings, else the defaults,
// else the original behaviour (alert on the first failure, close on the first success, no
// reminders, no duration limits).
func (d Policy) Effective(c models.CheckState) Policy {
	pick := func(own *int64, def int64) int64 {
		if own != nil {
			return *own
		}
		return def
	}
	p := Policy{FailureThreshold: pick(c.FailureThreshold, d.FailureThreshold),
		RecoveryThreshold:  pick(c.RecoveryThreshold, d.RecoveryThreshold),
		RealertMinutes:     pick(c.RealertMinutes, d.RealertMinutes),
		MaxDurationSeconds: pick(c.MaxDurationSeconds, d.MaxDurationSeconds),
		SlowFactor:         d.SlowFactor}
	if c.SlowFactor != nil {
		p.SlowFactor = *c.SlowFactor
	}
	p.FailureThreshold = max(p.FailureThreshold, 1)
	p.RecoveryThreshold = max(p.RecoveryThreshold, 1)
	return p
}
