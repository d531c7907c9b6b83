package monitorclient

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gulag/chief-monitor/internal/telemetry"
)

func TestSend(t *testing.T) {
	var got telemetry.Event
	var key string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/events" {
			http.NotFound(w, r)
			return
		}
		key = r.Header.Get("x-api-key")
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	t.Setenv("CHIEF_JOB_NAME", "job-1")
	t.Setenv("CHIEF_RUN_ID", " run-1 ")
	t.Setenv("CHIEF_SCHEDULED_FOR", "")
	c := New(WithEndpoint(srv.URL+"/"), WithAPIKey("k"))
	cases := []struct {
		name string
		send func() bool
		want bool
	}{
		{name: "delivered", send: func() bool { return c.Warn(" latency ", "ms", 1800, "ch", make(chan int)) }, want: true},
		{name: "blank message", send: func() bool { return c.Info("  ") }, want: false},
		{name: "no endpoint", send: func() bool { return (&Client{}).Info("x") }, want: false},
		{name: "unreachable", send: func() bool { return New(WithEndpoint("http://127.0.0.1:9")).Info("x") }, want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.send(); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	var meta map[string]any
	_ = json.Unmarshal(got.Metadata, &meta)
	if got.Message != "latency" || got.Level != "WARN" || *got.JobName != "job-1" || *got.RunID != "run-1" || got.ScheduledFor != nil || key != "k" || meta["ms"] != 1800.0 {
		t.Fatalf("got %+v meta %v key %q", got, meta, key)
	}
	if _, ok := meta["ch"].(string); !ok {
		t.Fatalf("unserialisable value: got %v, want its text", meta["ch"])
	}
}
