package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// mapping is a decoded YAML mapping: keys in document order, later duplicates win.
type mapping struct {
	keys   []string
	values map[string]*yaml.Node
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// asMapping returns the mapping in n, or ok=false if n is not a mapping. `<<` merge keys are
// applied (explicit keys win over merged ones).
func asMapping(n *yaml.Node) (m *mapping, ok bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, false
	}
	m = &mapping{values: map[string]*yaml.Node{}}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0) {
			merges = append(merges, v)
			continue
		}
		if _, seen := m.values[k.Value]; !seen {
			m.keys = append(m.keys, k.Value)
		}
		m.values[k.Value] = v
	}
	for _, mv := range merges {
		mv = deref(mv)
		srcs := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			srcs = mv.Content
		}
		for _, src := range srcs {
			if sm, ok := asMapping(src); ok {
				for _, k := range sm.keys {
					if _, seen := m.values[k]; !seen {
						m.keys = append(m.keys, k)
						m.values[k] = sm.values[k]
					}
				}
			}
		}
	}
	return m, true
}

func (m *mapping) get(key string) *yaml.Node {
	if m == nil {
		return nil
	}
	return m.values[key]
}

func (m *mapping) has(key string) bool {
	if m == nil {
		return false
	}
	_, ok := m.values[key]
	return ok
}

// unknown returns the keys of m not in allowed, sorted.
func (m *mapping) unknown(allowed ...string) []string {
	var out []string
	for _, k := range m.keys {
		if !slices.Contains(allowed, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// pyList renders a sorted key list Python-style: ['a', 'b'].
func pyList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = "'" + s + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// text returns the source text of a scalar that may stand where a string is expected: YAML
// strings and (unlike PyYAML) unquoted dates, timestamps and numbers, kept exactly as written.
// Nulls and booleans (including YAML 1.1 yes/no/on/off) are not strings.
func text(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	switch n.Tag {
	case "!!str", "!!timestamp", "!!int", "!!float":
		if n.Style == 0 && isYAML11Bool(n.Value) {
			return "", false
		}
		return n.Value, true
	}
	return "", false
}

// isYAML11Bool reports whether an unquoted scalar is a YAML 1.1 boolean (yes/no/on/off in
// lower, Title or UPPER case), which Chief keeps accepting as booleans.
func isYAML11Bool(s string) bool {
	switch s {
	case "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF":
		return true
	}
	return false
}

// boolValue decodes a YAML boolean, including the YAML 1.1 words.
func boolValue(n *yaml.Node) (v, ok bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false, false
	}
	if n.Tag == "!!bool" || (n.Style == 0 && isYAML11Bool(n.Value)) {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			return true, true
		case "false", "no", "off":
			return false, true
		}
	}
	return false, false
}

// intValue decodes a YAML integer (booleans are rejected).
func intValue(n *yaml.Node) (int, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, false
	}
	var v int
	if err := n.Decode(&v); err != nil {
		s := strings.ReplaceAll(n.Value, "_", "")
		i, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return 0, false
		}
		v = int(i)
	}
	return v, true
}

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// getBool reads an optional boolean at path.
func getBool(m *mapping, key, path string, def bool) (bool, error) {
	n := m.get(key)
	if isNull(n) {
		return def, nil
	}
	v, ok := boolValue(n)
	if !ok {
		return false, errorf("%s must be true or false", path)
	}
	return v, nil
}

// getInt reads an optional integer at path with a minimum.
func getInt(m *mapping, key, path string, def, min int) (int, error) {
	n := m.get(key)
	if isNull(n) {
		return def, nil
	}
	v, ok := intValue(n)
	if !ok {
		return 0, errorf("%s must be an integer", path)
	}
	if v < min {
		return 0, errorf("%s must be >= %d", path, min)
	}
	return v, nil
}

// getNonEmpty reads a required non-empty string (trimmed) at path.
func getNonEmpty(m *mapping, key, path string) (string, error) {
	s, ok := text(m.get(key))
	if !ok || strings.TrimSpace(s) == "" {
		return "", errorf("%s must be a non-empty string", path)
	}
	return strings.TrimSpace(s), nil
}

// jsonValue converts a validated YAML value to what encoding/json writes: mappings (with merge
// keys applied) become objects, sequences arrays, booleans (YAML 1.1 words too), integers and
// floats numbers, null null, and every other scalar its text as written, so `time: 14:30` and
// `start: 2026-01-05` stay the strings the user typed.
func jsonValue(n *yaml.Node) any {
	n = deref(n)
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.MappingNode:
		m, _ := asMapping(n)
		out := make(map[string]any, len(m.keys))
		for _, k := range m.keys {
			out[k] = jsonValue(m.values[k])
		}
		return out
	case n.Kind == yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, item := range n.Content {
			out[i] = jsonValue(item)
		}
		return out
	}
	if b, ok := boolValue(n); ok {
		return b
	}
	if i, ok := intValue(n); ok {
		return i
	}
	if n.Tag == "!!float" {
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return n.Value
}
