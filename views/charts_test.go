package views

import (
	"strings"
	"testing"
	"time"
)

func TestChartsAreAccessibleSVG(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 30, 0, 0, time.UTC)
	hour := now.Truncate(time.Hour)
	tests := []struct {
		name, id, title string
		wantRects       int
		wantInDesc      string
		render          func() *strings.Builder
	}{
		{name: "events per hour stacks levels", id: "events-per-hour", title: "Events per hour by level, last 24 hours (UTC)",
			wantRects: 3, wantInDesc: "17 events in the last 24 hours. Busiest hour 12:00 UTC with 12 events.",
			render: func() *strings.Builder {
				return renderString(t, EventsPerHourChart([]HourBucket{
					{Start: hour, Counts: map[string]int64{"INFO": 10, "ERROR": 2}},
					{Start: hour.Add(-5 * time.Hour), Counts: map[string]int64{"WARN": 5}},
					{Start: hour.Add(-30 * time.Hour), Counts: map[string]int64{"INFO": 99}}, // outside the window
				}, now))
			}},
		{name: "checks by status", id: "checks-by-status", title: "Checks by status", wantRects: 3, wantInDesc: "UP 4, LATE 0, DOWN 1.",
			render: func() *strings.Builder {
				return renderString(t, ChecksByStatusChart([]Count{{"DOWN", 1}, {"UP", 4}}))
			}},
		{name: "donut", id: "alerts-by-type", title: "Open alerts by type", wantRects: 0, wantInDesc: "FAILURE 2, MISSED 1.",
			render: func() *strings.Builder {
				return renderString(t, AlertsByTypeChart([]Count{{"FAILURE", 2}, {"MISSED", 1}}))
			}},
		{name: "run durations mark failures", id: "run-durations", title: "Durations of the recent runs", wantRects: 2,
			wantInDesc: "2 recent runs, 1 failed.", render: func() *strings.Builder {
				return renderString(t, RunDurationsChart([]RunPoint{
					{At: hour, DurationMs: ptr[int64](1500), Failed: true},
					{At: hour.Add(-time.Hour), DurationMs: ptr[int64](900)},
				}))
			}},
		{name: "timeline", id: "state-timeline", title: "State history of the job", wantRects: 2 + 3 + 1,
			wantInDesc: "3 heartbeats and outcomes, 1 failed runs, 1 alerts", render: func() *strings.Builder {
				return renderString(t, StateTimelineChart(TimelineProps{From: now.Add(-24 * time.Hour), To: now,
					Events: []TimelineEvent{{At: hour.Add(-2 * time.Hour), Kind: "job.started"}, {At: hour.Add(-2*time.Hour + time.Minute), Kind: "job.failed"},
						{At: hour.Add(-time.Hour), Kind: "job.completed"}},
					Alerts: []TimelineAlert{{Type: "FAILURE", Opened: hour.Add(-2 * time.Hour), Title: "<b>x</b>"}}}))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.render().String()
			if !strings.Contains(out, `role="img"`) || !strings.Contains(out, `aria-labelledby="`+tc.id+`-title `+tc.id+`-desc"`) {
				t.Errorf("missing role/aria-labelledby in %s", out)
			}
			if !strings.Contains(out, `<title id="`+tc.id+`-title">`+tc.title+`</title>`) {
				t.Errorf("title: want %q in %s", tc.title, out)
			}
			if !strings.Contains(out, tc.wantInDesc) {
				t.Errorf("desc: want %q in %s", tc.wantInDesc, out)
			}
			if tc.wantRects > 0 {
				if got := strings.Count(out, "<rect"); got != tc.wantRects {
					t.Errorf("rects: got %d, want %d", got, tc.wantRects)
				}
			}
			if strings.Contains(out, "<b>") || strings.Contains(out, "style=") {
				t.Errorf("unescaped text or inline style in %s", out)
			}
		})
	}
}

func TestRunDurationsFailedRunsAreRed(t *testing.T) {
	out := renderString(t, RunDurationsChart([]RunPoint{{At: time.Unix(0, 0), DurationMs: ptr[int64](10), Failed: true}})).String()
	if !strings.Contains(out, `fill="`+colorFailed+`"`) {
		t.Errorf("failed run not red: %s", out)
	}
}

func TestNiceMax(t *testing.T) {
	tests := []struct {
		name    string
		in, out float64
	}{
		{"zero", 0, 1}, {"one", 1, 1}, {"three", 3, 5}, {"twelve", 12, 20}, {"exact", 50, 50}, {"big", 4321, 5000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := niceMax(tc.in); got != tc.out {
				t.Errorf("niceMax(%v): got %v, want %v", tc.in, got, tc.out)
			}
		})
	}
}

func TestTickCountGivesWholeSteps(t *testing.T) {
	for _, max := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 20000} {
		n := tickCount(max)
		step := max / float64(n)
		if n < 1 || step != float64(int64(step)) {
			t.Errorf("max %v: %d ticks of %v", max, n, step)
		}
	}
}

// The donut's alert types keep their colours from the rest of the dashboard (a RECOVERY slice is
// never red), whatever their position; an unknown type takes the reference's palette in order.
func TestDonutSliceColours(t *testing.T) {
	out := renderString(t, AlertsByTypeChart([]Count{{"FAILURE", 1}, {"MISSED", 1}, {"RECOVERY", 1}, {"OTHER", 1}})).String()
	for _, want := range []string{`fill="#c44536"><title>FAILURE: 1`, `fill="#f28f3b"><title>MISSED: 1`,
		`fill="#2a7f62"><title>RECOVERY: 1`, `fill="#2a7f62"><title>OTHER: 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("donut lacks %s:\n%s", want, out)
		}
	}
}
