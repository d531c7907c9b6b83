package logging

import (
	"bytes"
	"log/slog"
	"regexp"
	"testing"
)

func TestLineFormat(t *testing.T) {
	var a, b bytes.Buffer
	log := slog.New(New(&a, &b))
	log.Info("Starting job x")
	log.Warn("Failed to send batch: HTTP 503", "endpoint", "http://m")
	log.Debug("hidden")
	want := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO Starting job x\n` +
		`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING Failed to send batch: HTTP 503 endpoint=http://m\n$`)
	if !want.MatchString(a.String()) {
		t.Fatalf("got %q", a.String())
	}
	if a.String() != b.String() {
		t.Fatalf("writers differ: %q vs %q", a.String(), b.String())
	}
}

func TestBool(t *testing.T) {
	if Bool(true) != "True" || Bool(false) != "False" {
		t.Fatalf("got %s/%s", Bool(true), Bool(false))
	}
}
