package config

import (
	"slices"
	"strings"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"gopkg.in/yaml.v3"
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
		if !ok || !telemetry.ValidTag(s) {
			return nil, errorf("%s[%d] must be a tag of 1 to %d letters, digits or ._:/-, got %q", path, i, telemetry.MaxTagBytes, s)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > telemetry.MaxTags {
		return nil, errorf("%s has %d tags; at most %d are allowed", path, len(out), telemetry.MaxTags)
	}
	return out, nil
}
