package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Handler formats records as Chief log lines.
type Handler struct {
	mu    *sync.Mutex
	out   []io.Writer
	attrs []slog.Attr
	now   func() time.Time
}

// New returns a handler writing to every writer in out (stdout and chief.log, typically).
func New(out ...io.Writer) *Handler {
	return &Handler{mu: &sync.Mutex{}, out: out, now: time.Now}
}

// Enabled reports whether level is INFO or above.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelInfo }

// Handle writes one line.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = h.now()
	}
	var b strings.Builder
	b.WriteString(t.Local().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(&b, ",%03d %s %s", t.Nanosecond()/1e6, levelName(r.Level), r.Message)
	write := func(a slog.Attr) bool {
		if a.Key != "" {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Any())
		}
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	var firstErr error
	for _, w := range h.out {
		if _, err := io.WriteString(w, b.String()); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("logging: %w", err)
		}
	}
	return firstErr
}

// WithAttrs returns a handler that appends attrs to every line.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// WithGroup is not used by Chief; groups are flattened.
func (h *Handler) WithGroup(string) slog.Handler { return h }

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	default:
		return "INFO"
	}
}

// Bool renders a boolean the way Chief's human-readable text always has: True or False.
func Bool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
