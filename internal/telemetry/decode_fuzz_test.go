package telemetry

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeEvent feeds arbitrary bytes to the event decoder and validator: it must never
// panic, and whatever it accepts must satisfy the ingest contract.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		`{"sourceType":"chief","eventType":"job.started","level":"INFO","message":"Job started","jobName":"sample-etl-pipeline","runId":"demo-1"}`,
		`{"sourceType":"worker","eventType":"worker.message","level":"WARN","message":"slow","metadata":{"a":[1,{"b":null}]}}`,
		`{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","success":true,"returnCode":-3,"durationMs":1e3}`,
		`{"sourceType":"agent","level":"LOUD","message":5,"jobName":null,"metadata":[]}`,
		`[]`, `{}`, `null`, `"x"`, `{"message":"\ud800"}`, `{"returnCode":1.5}`, `{"eventId":""}`,
		`{"sourceType":"chief","eventType":"x","level":"INFO","message":"m","metadata":{"a\\u0000":[[["\u0000"]]]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // the body parser answers 400 before the decoder runs
		}
		ev, issues := DecodeEvent(data)
		if issues != nil {
			for _, is := range issues {
				if is.Message == "" {
					t.Fatalf("issue without a message: %+v", is)
				}
			}
			return
		}
		if !strings.Contains("chief worker monitor", ev.SourceType) || ev.SourceType == "" {
			t.Fatalf("accepted sourceType %q", ev.SourceType)
		}
		switch ev.Level {
		case "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL":
		default:
			t.Fatalf("accepted level %q", ev.Level)
		}
		if ev.Message == "" || ev.EventType == "" {
			t.Fatalf("accepted an empty message or event type: %+v", ev)
		}
		if utf8.RuneCountInString(ev.EventID) > 128 {
			t.Fatalf("accepted eventId %q", ev.EventID)
		}
		if ev.Metadata != nil {
			var m map[string]json.RawMessage
			if len(ev.Metadata) > MaxMetadataBytes || json.Unmarshal(ev.Metadata, &m) != nil || m == nil ||
				!utf8.Valid(ev.Metadata) || metadataDepth(ev.Metadata) > MaxMetadataDepth {
				t.Fatalf("accepted metadata %q", ev.Metadata)
			}
		}
		for _, s := range []*string{&ev.SourceType, &ev.EventType, &ev.Level, &ev.Message, &ev.EventAt, ev.JobName, ev.ScriptPath, ev.RunID, ev.ScheduledFor, &ev.EventID} {
			if s != nil && (strings.ContainsRune(*s, 0) || len(*s) > MaxMessageBytes ||
				(s != &ev.Message && len(*s) > MaxTextBytes)) {
				t.Fatalf("accepted a string of %d bytes or with NUL: %q", len(*s), *s)
			}
		}
	})
}

// metadataDepth measures JSON nesting by decoding tokens, independently of the decoder's scan;
// strings with a NUL count as infinitely deep, so the fuzzer flags them too.
func metadataDepth(b []byte) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
				deepest = max(deepest, depth)
			} else {
				depth--
			}
		case string:
			if strings.ContainsRune(v, 0) {
				return 1 << 30
			}
		}
	}
}
