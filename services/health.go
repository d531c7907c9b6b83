package services

import (
	"time"

	"github.com/gulag/chief-monitor/models"
)

// Health is what a person should read of a job: its check state combined with its last
// outcome. The /v1 status field keeps the original's meaning; this is the dashboard's.
type Health string

// Job health, worst first.
const (
	HealthFailing  Health = "failing"
	HealthDown     Health = "down"
	HealthLate     Health = "late"
	HealthUp       Health = "up"
	HealthDisabled Health = "disabled"
	HealthRetired  Health = "retired"
)

// DefaultPollInterval is how often a Chief daemon looks for due jobs when its runner has not
// said: a run can start up to this long after its scheduled time.
const DefaultPollInterval = 10 * time.Second

// JobHealth combines a check and its last outcome. A job no runner declares any more is
// retired. A job whose last run failed is failing until
// a run succeeds, whatever its heartbeat says. A LATE check shows as late only once its
// expected time plus the runner's poll interval has passed: a daemon starts a due job at its
// next poll, so until then the job is not late, only not yet started.
func JobHealth(c models.CheckState, poll time.Duration, now time.Time) Health {
	switch {
	case c.RetiredAt != nil:
		return HealthRetired
	case c.ConsecutiveFailures > 0:
		return HealthFailing
	case !c.Enabled:
		return HealthDisabled
	case c.Status == models.StatusDown:
		return HealthDown
	case c.Status == models.StatusLate && c.ExpectedNextMs != nil &&
		now.UnixMilli() >= *c.ExpectedNextMs+poll.Milliseconds():
		return HealthLate
	}
	return HealthUp
}
