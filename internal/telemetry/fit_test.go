package telemetry

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFit(t *testing.T) {
	job := "etl\x00job"
	e := Event{SourceType: "chief", EventType: "job.completed", Level: "INFO", JobName: &job,
		Message:  strings.Repeat("é", MaxMessageBytes), // twice the limit in bytes, two bytes a rune
		Metadata: json.RawMessage(`{"stdout_preview":"a\u0000b","k\u0000":1,"n":12345678901234567890}`)}
	Fit(&e)
	if *e.JobName != "etl\uFFFDjob" {
		t.Errorf("jobName: %q", *e.JobName)
	}
	if len(e.Message) > MaxMessageBytes || !utf8.ValidString(e.Message) || !strings.HasSuffix(e.Message, "[truncated]") {
		t.Errorf("message: %d bytes, valid %v, ends %q", len(e.Message), utf8.ValidString(e.Message), e.Message[len(e.Message)-20:])
	}
	var m map[string]any
	if err := json.Unmarshal(e.Metadata, &m); err != nil || m["stdout_preview"] != "a\uFFFDb" || m["k\uFFFD"] == nil {
		t.Errorf("metadata: %s (%v)", e.Metadata, err)
	}
	if !strings.Contains(string(e.Metadata), `"n":12345678901234567890`) {
		t.Errorf("a large number changed: %s", e.Metadata)
	}
	if strings.Contains(string(e.Metadata), `\u0000`) {
		t.Errorf("metadata still has a NUL: %s", e.Metadata)
	}
	big := Event{Metadata: json.RawMessage(`{"x":"` + strings.Repeat("y", MaxMetadataBytes) + `"}`)}
	Fit(&big)
	if string(big.Metadata) != `{"bytes":65544,"truncated":true}` {
		t.Errorf("large metadata: %s", big.Metadata)
	}
	same := Event{Message: "fine", Metadata: json.RawMessage(`{"a":1}`)}
	Fit(&same)
	if same.Message != "fine" || string(same.Metadata) != `{"a":1}` {
		t.Errorf("an event within the limits changed: %+v", same)
	}
}
