package telemetry

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// NewEventID returns a random 32-character hex id for Event.EventID.
func NewEventID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error on supported platforms (it panics instead).
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Ptr returns a pointer to v, for the optional fields of Event.
func Ptr[T any](v T) *T { return &v }

// Metadata encodes m as an Event.Metadata object. A nil map encodes as {}. Values that JSON
// cannot represent are replaced by their fmt %v text, so encoding never fails.
func Metadata(m map[string]any) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("{}")
	}
	if b, err := json.Marshal(m); err == nil {
		return b
	}
	safe := make(map[string]any, len(m))
	for k, v := range m {
		if _, err := json.Marshal(v); err != nil {
			v = fmt.Sprintf("%v", v)
		}
		safe[k] = v
	}
	b, err := json.Marshal(safe)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

// EventsURL returns the single-event ingest URL for a monitor endpoint (trailing slashes are
// removed, a path prefix is kept).
func EventsURL(endpoint string) string {
	return strings.TrimRight(strings.TrimSpace(endpoint), "/") + "/v1/events"
}

// BatchURL returns the batch ingest URL for a monitor endpoint.
func BatchURL(endpoint string) string { return EventsURL(endpoint) + "/batch" }
