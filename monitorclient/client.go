package monitorclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
)

// DefaultTimeout is the request timeout when none is given.
const DefaultTimeout = 400 * time.Millisecond

// Client sends worker.message events. Create it with New; the zero value is disabled.
type Client struct {
	endpoint, apiKey string
	timeout          time.Duration
	jobName          string
	scriptPath       string
	runID            string
	scheduledFor     string
	httpClient       *http.Client
	now              func() time.Time
}

// Option customises New.
type Option func(*Client)

// WithEndpoint overrides CHIEF_MONITOR_ENDPOINT (blank values are ignored).
func WithEndpoint(endpoint string) Option {
	return func(c *Client) {
		if s := strings.TrimSpace(endpoint); s != "" {
			c.endpoint = s
		}
	}
}

// WithAPIKey overrides CHIEF_MONITOR_API_KEY (blank values are ignored).
func WithAPIKey(key string) Option {
	return func(c *Client) {
		if s := strings.TrimSpace(key); s != "" {
			c.apiKey = s
		}
	}
}

// WithTimeout sets the per-request timeout; values <= 0 mean DefaultTimeout, and anything
// below 100 ms is raised to 100 ms.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// New reads the CHIEF_* context from the environment and applies opts.
func New(opts ...Option) *Client {
	env := func(k string) string { return strings.TrimSpace(os.Getenv(k)) }
	c := &Client{endpoint: env("CHIEF_MONITOR_ENDPOINT"), apiKey: env("CHIEF_MONITOR_API_KEY"), timeout: DefaultTimeout,
		jobName: env("CHIEF_JOB_NAME"), scriptPath: env("CHIEF_SCRIPT_PATH"), runID: env("CHIEF_RUN_ID"),
		scheduledFor: env("CHIEF_SCHEDULED_FOR"), now: time.Now}
	for _, o := range opts {
		o(c)
	}
	c.timeout = max(c.timeout, 100*time.Millisecond)
	c.httpClient = &http.Client{Timeout: c.timeout}
	return c
}

// Enabled reports whether an endpoint is known.
func (c *Client) Enabled() bool { return c != nil && c.endpoint != "" }

// Debug sends a DEBUG message. kv are alternating keys and values, as in log/slog.
func (c *Client) Debug(msg string, kv ...any) bool {
	return c.Send(telemetry.LevelDebug, msg, Meta(kv...))
}

// Info sends an INFO message.
func (c *Client) Info(msg string, kv ...any) bool {
	return c.Send(telemetry.LevelInfo, msg, Meta(kv...))
}

// Warn sends a WARN message.
func (c *Client) Warn(msg string, kv ...any) bool {
	return c.Send(telemetry.LevelWarn, msg, Meta(kv...))
}

// Error sends an ERROR message.
func (c *Client) Error(msg string, kv ...any) bool {
	return c.Send(telemetry.LevelError, msg, Meta(kv...))
}

// Critical sends a CRITICAL message.
func (c *Client) Critical(msg string, kv ...any) bool {
	return c.Send(telemetry.LevelCritical, msg, Meta(kv...))
}

// Meta turns alternating keys and values into a metadata map. A non-string key is formatted
// with %v; a trailing key without a value gets a null value.
func Meta(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		if s, ok := kv[i].(string); ok {
			k = s
		}
		var v any
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		m[k] = v
	}
	return m
}

// Payload returns the event Send would post, without sending it.
func (c *Client) Payload(level, msg string, meta map[string]any) telemetry.Event {
	ev := telemetry.Event{EventID: telemetry.NewEventID(), SourceType: telemetry.SourceWorker, EventType: telemetry.EventWorkerMessage,
		Level: level, Message: strings.TrimSpace(msg), EventAt: telemetry.ChiefTime(c.now().UTC()), Metadata: telemetry.Metadata(meta)}
	for _, f := range []struct {
		dst **string
		v   string
	}{{&ev.JobName, c.jobName}, {&ev.ScriptPath, c.scriptPath}, {&ev.RunID, c.runID}, {&ev.ScheduledFor, c.scheduledFor}} {
		if f.v != "" {
			*f.dst = telemetry.Ptr(f.v)
		}
	}
	telemetry.Fit(&ev)
	return ev
}

// Send posts one event with the given level and reports whether the monitor accepted it.
func (c *Client) Send(level, msg string, meta map[string]any) bool {
	if !c.Enabled() || strings.TrimSpace(msg) == "" {
		return false
	}
	body, err := json.Marshal(c.Payload(level, msg, meta))
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, telemetry.EventsURL(c.endpoint), bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if c.apiKey != "" {
		req.Header.Set("x-api-key", c.apiKey)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain for connection reuse
	_ = resp.Body.Close()                                         // read-only body
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

var defaultClient = sync.OnceValue(func() *Client { return New() })

// Default returns the process-wide client built from the environment on first use.
func Default() *Client { return defaultClient() }

// Info sends an INFO message through Default.
func Info(msg string, kv ...any) bool { return Default().Info(msg, kv...) }

// Warn sends a WARN message through Default.
func Warn(msg string, kv ...any) bool { return Default().Warn(msg, kv...) }

// Error sends an ERROR message through Default.
func Error(msg string, kv ...any) bool { return Default().Error(msg, kv...) }
