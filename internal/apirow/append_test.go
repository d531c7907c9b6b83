package apirow

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/gulag/chief-monitor/models"
)

// encodedByReflection is what AppendEvents must equal: the Encoder the handlers used before it
// (HTML-safe escaping on), over the rows FromEvents builds, without the Encoder's newline.
func encodedByReflection(t testing.TB, evs []models.TelemetryEvent) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(FromEvents(evs)); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// awkwardTexts are strings whose encoding differs from their bytes.
var awkwardTexts = []string{
	"", "plain", `quote " and \ backslash`, "<script>alert('x')</script> & more", "tab\tnew\nline\rcr",
	"\b\f\x00\x01\x1f\x7f", "é ü 日本 🎉", "\u2028 and \u2029", "bad \xff\xfe utf8", "\xe2\x80", "trunc\xe2",
	"\ufffd literal", "mixed <\u2028>\xc3(",
}

func sampleEvents() []models.TelemetryEvent {
	str := func(s string) *string { return &s }
	i64 := func(n int64) *int64 { return &n }
	yes, no := true, false
	var evs []models.TelemetryEvent
	for i, s := range append(awkwardTexts, metadataTexts...) {
		e := models.TelemetryEvent{ID: int64(i + 1), ReceivedAt: "2026-11-27T10:00:00.000Z", EventAt: s,
			SourceType: "worker", EventType: "worker.message", Level: "INFO", Message: s, MetadataJSON: s}
		switch i % 3 {
		case 0:
			e.JobName, e.ScriptPath, e.RunID, e.ScheduledFor = str(s), str("a/b.py"), str("r:1"), str("2026-11-27T10:00:00Z")
			e.Success, e.ReturnCode, e.DurationMs = &yes, i64(0), i64(1234)
		case 1:
			e.Success, e.ReturnCode, e.DurationMs = &no, i64(-2), i64(0)
		}
		evs = append(evs, e)
	}
	return evs
}

func TestAppendEventsMatchesEncodingJSON(t *testing.T) {
	evs := sampleEvents()
	if got, want := string(AppendEvents(nil, evs)), encodedByReflection(t, evs); got != want {
		t.Fatalf("AppendEvents differs from encoding/json:\n got %s\nwant %s", got, want)
	}
	if got, want := string(AppendEvents(nil, nil)), "[]"; got != want {
		t.Errorf("no events: %s, want %s", got, want)
	}
	// As a json.Marshaler inside a larger value, the list encodes the same again.
	type wrap struct {
		Events EventList `json:"events"`
	}
	b, err := json.Marshal(wrap{EventList(evs)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"events":` + encodedByReflection(t, evs) + `}`; string(b) != want {
		t.Errorf("EventList in a struct:\n got %s\nwant %s", b, want)
	}
}

func TestAppendStringMatchesEncodingJSONOnRandomBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		b := make([]byte, r.IntN(12))
		for i := range b {
			// Mostly the bytes that need care: controls, HTML characters, UTF-8 lead and
			// continuation bytes.
			b[i] = []byte{0, 0x1f, '"', '\\', '<', '>', '&', 'a', 0x7f, 0x80, 0xa8, 0xc3, 0xe2, 0xf0, 0xff}[r.IntN(15)]
		}
		want, _ := json.Marshal(string(b))
		if got := appendString(nil, string(b)); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", b, got, want)
		}
	}
}

func FuzzAppendEvent(f *testing.F) {
	for _, s := range append(awkwardTexts, metadataTexts...) {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, text, metadata string) {
		job := text
		evs := []models.TelemetryEvent{{ID: 7, ReceivedAt: text, EventAt: text, SourceType: text, EventType: text,
			Level: text, Message: text, JobName: &job, MetadataJSON: metadata}}
		if got, want := string(AppendEvents(nil, evs)), encodedByReflection(t, evs); got != want {
			t.Fatalf("text %q metadata %q:\n got %s\nwant %s", text, metadata, got, want)
		}
	})
}

// benchEvents is a page of 100 worker messages as the load tool stores them.
func benchEvents() []models.TelemetryEvent {
	evs := make([]models.TelemetryEvent, 100)
	for i := range evs {
		job, script, run := "job-07", "workers/job-07/step_2.py", "job-07:1234"
		evs[i] = models.TelemetryEvent{ID: int64(900000 + i), ReceivedAt: "2026-11-27T21:00:00.123Z",
			EventAt: "2026-11-27T21:00:00.120113+00:00", SourceType: "worker", EventType: "worker.message", Level: "INFO",
			Message: "processed batch 123456", JobName: &job, ScriptPath: &script, RunID: &run,
			MetadataJSON: `{"rows":456,"phase":"load","duration_ms":3456}`}
	}
	return evs
}

// The list encoders side by side: run both in one `go test -bench` to compare them.
func BenchmarkAppendEvents(b *testing.B) {
	evs := benchEvents()
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvents(buf[:0], evs)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkEncodeEventsReflection(b *testing.B) {
	evs := benchEvents()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := json.NewEncoder(&buf).Encode(FromEvents(evs)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
