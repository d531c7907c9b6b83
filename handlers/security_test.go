package handlers

import (
	"testing"
	"time"
)

func TestSanitizeNext(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "/"},
		{"relative path", "jobs", "/"},
		{"absolute URL", "https://evil.example/", "/"},
		{"protocol-relative", "//evil.example/x", "/"},
		{"backslash trick", "/\\evil.example", "/"},
		{"login", "/login", "/"},
		{"login with query kept", "/login?x=1", "/login?x=1"},
		{"page with query", "/alerts?status=OPEN&page=2", "/alerts?status=OPEN&page=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sanitizeNext(tc.in); got != tc.want {
				t.Errorf("sanitizeNext(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRateLimiter(t *testing.T) {
	rl := newRateLimiter(2, time.Minute)
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		key    string
		at     time.Duration
		ok     bool
		waitGE time.Duration
	}{
		{"first", "a", 0, true, 0},
		{"second", "a", 10 * time.Second, true, 0},
		{"third is refused until the first expires", "a", 20 * time.Second, false, 40 * time.Second},
		{"other key", "b", 20 * time.Second, true, 0},
		{"window moved", "a", 61 * time.Second, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, wait := rl.allow(tc.key, t0.Add(tc.at))
			if ok != tc.ok || wait < tc.waitGE {
				t.Errorf("got ok=%v wait=%v, want ok=%v wait>=%v", ok, wait, tc.ok, tc.waitGE)
			}
		})
	}
}
