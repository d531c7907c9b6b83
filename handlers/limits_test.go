package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/internal/telemetry"
)

// event is a valid single event with one key set to the raw JSON value v.
func eventWith(key, v string) string {
	return `{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","jobName":"j",` + fmt.Sprintf("%q", key) + `:` + v + `}`
}

func TestTextFieldCaps(t *testing.T) {
	r := newAPI(t, Options{})
	for _, field := range []string{"jobName", "scriptPath", "eventType", "runId", "sourceType", "level", "eventAt", "scheduledFor"} {
		long := `"` + strings.Repeat("a", telemetry.MaxTextBytes+1) + `"`
		r.want(r.do("POST", "/v1/events", eventWith(field, long)), 400,
			`{"error":"Invalid event payload","details":{"formErrors":[],"fieldErrors":{"`+field+`":["String must contain at most 512 byte(s)"]},"issues":[{"path":"`+field+`","message":"String must contain at most 512 byte(s)"}]}}`)
	}
	// The cap counts bytes: 171 three-byte characters are 513 bytes.
	r.wantContains(r.do("POST", "/v1/events", eventWith("jobName", `"`+strings.Repeat("€", 171)+`"`)), 400, `"jobName":["String must contain at most 512 byte(s)"]`)
	r.wantContains(r.do("POST", "/v1/events", eventWith("jobName", `"`+strings.Repeat("a", telemetry.MaxTextBytes)+`"`)), 202, `"inserted":1`)
	r.wantContains(r.do("POST", "/v1/events", eventWith("message", `"`+strings.Repeat("m", telemetry.MaxMessageBytes+1)+`"`)), 400,
		`"fieldErrors":{"message":["String must contain at most 16384 byte(s)"]}`)
	r.wantContains(r.do("POST", "/v1/events", eventWith("message", `"`+strings.Repeat("m", telemetry.MaxMessageBytes)+`"`)), 202, `"inserted":1`)
	// In a batch the element's field is named by its path.
	r.wantContains(r.do("POST", "/v1/events/batch", `{"events":[`+minimal+`,`+eventWith("runId", `"`+strings.Repeat("r", 600)+`"`)+`]}`), 400,
		`"fieldErrors":{"events":["String must contain at most 512 byte(s)"]}`, `"path":"events.1.runId"`)
}

func TestNULIsRefused(t *testing.T) {
	r := newAPI(t, Options{})
	for _, field := range []string{"jobName", "scriptPath", "eventType", "runId", "eventId", "sourceType", "level", "message", "eventAt", "scheduledFor"} {
		r.wantContains(r.do("POST", "/v1/events", eventWith(field, `"a\u0000b"`)), 400,
			`"fieldErrors":{"`+field+`":["String must not contain NUL (U+0000)"]}`)
	}
	const metaNUL = `"metadata":["Metadata must not contain NUL (U+0000) in keys or strings"]`
	for _, meta := range []string{`{"a":"x\u0000"}`, `{"a\u0000":1}`, `{"a":[{"b":["\u0000"]}]}`} {
		r.wantContains(r.do("POST", "/v1/events", eventWith("metadata", meta)), 400, metaNUL)
	}
	// An escaped backslash followed by "u0000" is text, not NUL; so is U+0001.
	r.wantContains(r.do("POST", "/v1/events", eventWith("metadata", `{"a":"\\u0000","b":"\u0001"}`)), 202, `"inserted":1`)
	r.wantContains(r.do("POST", "/v1/events/batch", `[`+eventWith("metadata", `{"k":"\u0000"}`)+`]`), 400, `"path":"0.metadata"`)
	r.wantContains(r.do("POST", "/v1/events", eventWith("metadata", "{\"a\":\"\xff\"}")), 400, `"metadata":["Metadata must be valid UTF-8"]`)
}

func TestMetadataDepth(t *testing.T) {
	r := newAPI(t, Options{})
	nested := func(depth int) string { // depth objects, the outermost one included
		return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
	}
	r.wantContains(r.do("POST", "/v1/events", eventWith("metadata", nested(telemetry.MaxMetadataDepth))), 202, `"inserted":1`)
	r.wantContains(r.do("POST", "/v1/events", eventWith("metadata", nested(telemetry.MaxMetadataDepth+1))), 400,
		`"fieldErrors":{"metadata":["Metadata must nest at most 32 levels deep"]}`)
	arrays := `{"a":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	r.wantContains(r.do("POST", "/v1/events", eventWith("metadata", arrays)), 400, `"metadata":["Metadata must nest at most 32 levels deep"]`)
	// Brackets inside strings do not count.
	r.wantContains(r.do("POST", "/v1/events", eventWith("metadata", `{"a":"`+strings.Repeat("[{", 100)+`\"}"}`)), 202, `"inserted":1`)
}
