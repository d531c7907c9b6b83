package telemetry

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Fit makes an event that a producer is about to send acceptable to the monitor, which refuses
// NUL characters and over-long fields with a 400 (and a refused event is set aside, not
// retried): NULs become U+FFFD, the message is cut to MaxMessageBytes with a marker, short
// text fields to MaxTextBytes, and metadata that is still too large is replaced by a note.
// A script's output may hold anything; its job.completed must still arrive.
func Fit(e *Event) {
	e.Message = cut(clean(e.Message), MaxMessageBytes)
	for _, s := range []*string{&e.SourceType, &e.EventType, &e.Level, &e.EventAt} {
		*s = cut(clean(*s), MaxTextBytes)
	}
	for _, p := range []*string{e.JobName, e.ScriptPath, e.RunID, e.ScheduledFor} {
		if p != nil {
			*p = cut(clean(*p), MaxTextBytes)
		}
	}
	e.Metadata = fitMetadata(e.Metadata)
}

// clean replaces NUL characters, which PostgreSQL cannot store in text.
func clean(s string) string {
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// cut shortens s to at most n bytes on a character boundary, saying how much was left out.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const marker = "… [truncated]"
	return CutUTF8(s, n-len(marker)) + marker
}

// fitMetadata removes NUL characters from metadata's strings and keys, and replaces metadata
// over MaxMetadataBytes by a note of its size.
func fitMetadata(m json.RawMessage) json.RawMessage {
	if bytes.Contains(m, []byte(`\u0000`)) {
		var v any
		d := json.NewDecoder(bytes.NewReader(m))
		d.UseNumber() // numbers pass through exactly
		if d.Decode(&v) == nil {
			if b, err := json.Marshal(cleanValue(v)); err == nil {
				m = b
			}
		}
	}
	if len(m) > MaxMetadataBytes {
		b, _ := json.Marshal(map[string]any{"truncated": true, "bytes": len(m)})
		return b
	}
	return m
}

func cleanValue(v any) any {
	switch x := v.(type) {
	case string:
		return clean(x)
	case []any:
		for i := range x {
			x[i] = cleanValue(x[i])
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[clean(k)] = cleanValue(val)
		}
		return out
	}
	return v
}
