package cronexport

import (
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/schedule"
)

func TestRender(t *testing.T) {
	mk := func(p schedule.Params) *schedule.Schedule {
		s, err := schedule.New(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	jobs := []*config.Job{
		{Name: "nightly export", WorkingDir: "/srv/jobs", Timezone: "Europe/Berlin",
			Schedule: mk(schedule.Params{Kind: schedule.PureCron, Expr: "15 2 * * 1-5"})},
		{Name: "last-friday", WorkingDir: "/srv", Timezone: "UTC",
			Schedule: mk(schedule.Params{Kind: schedule.Hybrid, Expr: "0 18 * * 5", Ordinal: schedule.Last, Weekday: time.Friday})},
		{Name: "ninety", WorkingDir: "/srv", Timezone: "UTC",
			Schedule: mk(schedule.Params{Kind: schedule.RuntimeOnly, Interval: 90 * time.Minute, Description: "Runs every 90m using runtime scheduler (UTC)"})},
	}
	got := Render(jobs, "/opt/bin/gulag-chief", "/srv/chief.yaml", time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	want := `# gulag-chief cron export
# generated_at=2026-11-27T09:00:00+00:00

# job: nightly export
# mode: pure_cron
CRON_TZ=Europe/Berlin
15 2 * * 1-5 cd /srv/jobs && /opt/bin/gulag-chief run --config /srv/chief.yaml --job 'nightly export' --respect-schedule

# job: last-friday
# mode: hybrid
CRON_TZ=UTC
# NOTE: runtime guard required (monthly ordinal weekday); --respect-schedule enforces it.
0 18 * * 5 cd /srv && /opt/bin/gulag-chief run --config /srv/chief.yaml --job last-friday --respect-schedule

# job: ninety
# mode: runtime_only
CRON_TZ=UTC
# runtime-only schedule (Runs every 90m using runtime scheduler (UTC)); no cron equivalent.
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(got, "runtime-only schedule") {
		t.Fatal("missing runtime-only note")
	}
}
