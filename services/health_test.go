package services

import (
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
)

func TestJobHealth(t *testing.T) {
	expected := testutil.Time(t, "2026-03-04T10:00:00Z")
	ms := expected.UnixMilli()
	check := func(status models.CheckStatus, failures int64, enabled bool) models.CheckState {
		return models.CheckState{Status: status, ConsecutiveFailures: failures, Enabled: enabled, ExpectedNextMs: &ms}
	}
	for _, tc := range []struct {
		name string
		c    models.CheckState
		at   time.Duration // after the expected time
		want Health
	}{
		{"a failed last run is failing though the heartbeat is fine", check(models.StatusUp, 3, true), 0, HealthFailing},
		{"failing beats down", check(models.StatusDown, 1, true), time.Hour, HealthFailing},
		{"late within the poll interval is not shown", check(models.StatusLate, 0, true), 7 * time.Second, HealthUp},
		{"late after the poll interval", check(models.StatusLate, 0, true), 11 * time.Second, HealthLate},
		{"down", check(models.StatusDown, 0, true), time.Hour, HealthDown},
		{"disabled", check(models.StatusUp, 0, false), 0, HealthDisabled},
		{"up", check(models.StatusUp, 0, true), 0, HealthUp},
	} {
		if got := JobHealth(tc.c, DefaultPollInterval, expected.Add(tc.at)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}
