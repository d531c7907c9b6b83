package views

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// runURL is the page of one run.
func runURL(id string) templ.SafeURL {
	return templ.SafeURL("/runs/" + url.PathEscape(id))
}

// runTime is when a run started, or its first event.
func runTime(r *models.Run) *string {
	if r.StartedAt != nil {
		return r.StartedAt
	}
	return r.FinishedAt
}

// HealthClass maps a job's health to its colour class.
func HealthClass(h string) string {
	switch h {
	case "failing", "down":
		return "is-down"
	case "late":
		return "is-late"
	case "up":
		return "is-up"
	}
	return "is-neutral"
}

// RunStatusClass maps a run's status to its colour class.
func RunStatusClass(s models.RunStatus) string {
	switch s {
	case models.RunSucceeded:
		return "is-up"
	case models.RunRunning, models.RunSkipped:
		return "is-neutral"
	case models.RunHung:
		return "is-late"
	}
	return "is-down"
}

// runStatusText is a run's status in words.
func runStatusText(s models.RunStatus) string {
	return strings.ReplaceAll(string(s), "_", " ")
}

// runTrigger is what started a run, with its attempt when it was retried.
func runTrigger(r models.Run) string {
	t := "-"
	if r.Trigger != nil {
		t = *r.Trigger
	}
	if r.Attempt != nil && r.MaxAttempts != nil && *r.MaxAttempts > 1 {
		t += fmt.Sprintf(" (attempt %d of %d)", *r.Attempt, *r.MaxAttempts)
	}
	return t
}

// ScriptBar is one script of a run on the run's time axis, in a 1000-unit-wide drawing whose
// first 700 units are the run's span (the rest is for the labels).
type ScriptBar struct {
	X, Width float64
	Class    string
	Label    string
}

// scriptBars places each script between its start and end; a script without both times gets a
// thin bar at the previous one's end.
func scriptBars(scripts []models.RunScript) []ScriptBar {
	start, end := int64(0), int64(0)
	times := make([][2]int64, len(scripts))
	for i, s := range scripts {
		a, okA := parseMs(s.StartedAt)
		b, okB := parseMs(s.FinishedAt)
		if !okA {
			a = b
		}
		if !okB {
			b = a
		}
		times[i] = [2]int64{a, b}
		if a != 0 && (start == 0 || a < start) {
			start = a
		}
		end = max(end, b)
	}
	span := float64(max(end-start, 1))
	bars := make([]ScriptBar, len(scripts))
	for i, s := range scripts {
		x := float64(times[i][0]-start) / span * 700
		w := max(float64(times[i][1]-times[i][0])/span*700, 2)
		if times[i][0] == 0 {
			x, w = 0, 2
		}
		class := "is-neutral"
		if s.Success != nil {
			class = map[bool]string{true: "is-up", false: "is-down"}[*s.Success]
		}
		label := s.Path + " " + FormatDuration(s.DurationMs)
		if s.ExitCode != nil && (s.Success == nil || !*s.Success) {
			label += fmt.Sprintf(" (exit %d)", *s.ExitCode)
		}
		bars[i] = ScriptBar{X: x, Width: w, Class: class, Label: label}
	}
	return bars
}

func parseMs(s *string) (int64, bool) {
	if s == nil {
		return 0, false
	}
	t, ok := telemetry.ParseTime(*s)
	return t.UnixMilli(), ok
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// runnerClass maps a runner's status to its colour class: a silent daemon is the alarm.
func runnerClass(status string) string {
	switch status {
	case "online":
		return "is-up"
	case "offline":
		return "is-down"
	}
	return "is-neutral"
}
