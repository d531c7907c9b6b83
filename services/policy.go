package services

import (
	"encoding/json"
	"math"
	"slices"
	"strings"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// Limits of a job's tags: a tag is a short word of letters, digits and ._:/- so that it reads
// well in a filter and in a URL.
const (
	MaxTags     = 20
	MaxTagBytes = 64
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
	p.tags = TagsJSON(parseTags(meta[telemetry.MetaTags]))
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

// ValidTag reports whether s is a well-formed tag.
func ValidTag(s string) bool {
	if s == "" || len(s) > MaxTagBytes {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/-", r)
		if !ok {
			return false
		}
	}
	return true
}

// parseTags reads a JSON array of tags, keeping the well-formed ones (trimmed), sorted and
// without repeats, at most MaxTags.
func parseTags(raw json.RawMessage) []string {
	var in []any
	if raw == nil || json.Unmarshal(raw, &in) != nil {
		return nil
	}
	var out []string
	for _, v := range in {
		s, ok := v.(string)
		if s = strings.TrimSpace(s); ok && ValidTag(s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		out = out[:MaxTags]
	}
	return out
}

// TagsJSON is the stored form of a tag list.
func TagsJSON(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

// CheckTags returns a check's tags.
func CheckTags(c models.CheckState) []string {
	var tags []string
	_ = json.Unmarshal([]byte(c.Tags), &tags) // "" or damaged: no tags
	return tags
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
