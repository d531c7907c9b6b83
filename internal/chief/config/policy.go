package config

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits of a job's tags, the same as the monitor keeps.
const (
	maxTags     = 20
	maxTagBytes = 64
)

// loadPolicy reads the alert policy keys of a check block.
func loadPolicy(cm *mapping, cp string, c *Check) error {
	var err error
	for _, f := range []struct {
		key string
		dst *int
	}{{"failure_threshold", &c.FailureThreshold}, {"recovery_threshold", &c.RecoveryThreshold},
		{"realert_minutes", &c.RealertMinutes}, {"max_duration_seconds", &c.MaxDurationSeconds}} {
		if *f.dst, err = getInt(cm, f.key, cp+"."+f.key, 0, 1); err != nil {
			return err
		}
		if *f.dst > 1_000_000 {
			return errorf("%s.%s must be <= 1000000", cp, f.key)
		}
	}
	n := cm.get("slow_factor")
	if isNull(n) {
		return nil
	}
	var f float64
	if n = deref(n); n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") || n.Decode(&f) != nil || f <= 1 || f > 1000 {
		return errorf("%s.slow_factor must be a number above 1 and at most 1000", cp)
	}
	c.SlowFactor = f
	return nil
}

// tags reads a job's `tags`: a list of short words of letters, digits and ._:/- (at most 20,
// each at most 64 bytes), kept sorted and without repeats.
func tags(n *yaml.Node, path string) ([]string, error) {
	if isNull(n) {
		return nil, nil
	}
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		return nil, errorf("%s must be a list of tags", path)
	}
	var out []string
	for i, item := range n.Content {
		s, ok := text(item)
		s = strings.TrimSpace(s)
		if !ok || !validTag(s) {
			return nil, errorf("%s[%d] must be a tag of 1 to %d letters, digits or ._:/-, got %q", path, i, maxTagBytes, s)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxTags {
		return nil, errorf("%s has %d tags; at most %d are allowed", path, len(out), maxTags)
	}
	return out, nil
}

func validTag(s string) bool {
	if s == "" || len(s) > maxTagBytes {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/-", r))
	})
}
