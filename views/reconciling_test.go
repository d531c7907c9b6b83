package views

import (
	"strings"
	"testing"
)

// TestReconcilingBanner: while the evaluator waits for replays every page says so, with the
// time it started.
func TestReconcilingBanner(t *testing.T) {
	since := "2026-03-04T10:20:00.000Z"
	with := renderString(t, JobsPage(JobsProps{Chrome: Chrome{ReconcilingSince: &since}})).String()
	if !strings.Contains(with, `data-testid="reconciling"`) || !strings.Contains(with, `datetime="2026-03-04T10:20:00.000Z"`) {
		t.Fatalf("banner missing: %s", with)
	}
	if without := renderString(t, JobsPage(JobsProps{})).String(); strings.Contains(without, `data-testid="reconciling"`) {
		t.Fatalf("banner shown while not reconciling")
	}
}
