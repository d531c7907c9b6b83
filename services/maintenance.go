package services

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/schedule"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// Window is a maintenance window ready to be asked whether it applies: one-off from Start to
// End, or recurring, starting at each time of its cron schedule (read in its time zone) and
// lasting Duration of elapsed time, so a window across a daylight-saving change lasts exactly
// its minutes.
type Window struct {
	models.MaintenanceWindow
	Jobs, Tags []string
	Start, End time.Time
	recurring  *schedule.Schedule
	Duration   time.Duration
}

// NewWindow prepares a stored window. A row that no longer parses (a time zone gone from the
// system) is an error, which the callers log and treat as "not active".
func NewWindow(m models.MaintenanceWindow) (Window, error) {
	w := Window{MaintenanceWindow: m, Duration: time.Duration(m.DurationMinutes) * time.Minute}
	_ = json.Unmarshal([]byte(m.JobsJSON), &w.Jobs)
	_ = json.Unmarshal([]byte(m.TagsJSON), &w.Tags)
	if m.Cron == "" {
		var ok bool
		if w.Start, ok = parseStored(m.StartsAt); !ok {
			return w, fmt.Errorf("maintenance window %d: bad start", m.ID)
		}
		if w.End, ok = parseStored(m.EndsAt); !ok {
			return w, fmt.Errorf("maintenance window %d: bad end", m.ID)
		}
		return w, nil
	}
	loc, err := time.LoadLocation(m.Timezone)
	if err != nil {
		return w, fmt.Errorf("maintenance window %d: %w", m.ID, err)
	}
	w.recurring, err = schedule.New(schedule.Params{Kind: schedule.PureCron, Expr: m.Cron, Location: loc})
	return w, err
}

func parseStored(s *string) (time.Time, bool) {
	if s == nil {
		return time.Time{}, false
	}
	return telemetry.ParseTime(*s)
}

// Recurring reports whether the window repeats.
func (w Window) Recurring() bool { return w.recurring != nil }

// ActiveAt reports whether the window is on at t, and until when.
func (w Window) ActiveAt(t time.Time) (bool, time.Time) {
	if w.recurring == nil {
		return !t.Before(w.Start) && t.Before(w.End), w.End
	}
	// the window is on when one of its starts lies in (t-Duration, t].
	start := w.recurring.Next(t.Add(-w.Duration))
	if start.IsZero() || start.After(t) {
		return false, time.Time{}
	}
	return true, start.Add(w.Duration)
}

// NextStart is the next time the window begins after t (zero when it never does again).
func (w Window) NextStart(t time.Time) time.Time {
	if w.recurring == nil {
		if w.Start.After(t) {
			return w.Start
		}
		return time.Time{}
	}
	return w.recurring.Next(t)
}

// Covers reports whether the window applies to a job with these tags: every job when it names
// neither jobs nor tags, otherwise a job matching one of its name patterns or having a tag
// matching one of its tag patterns.
func (w Window) Covers(job string, tags []string) bool {
	if len(w.Jobs) == 0 && len(w.Tags) == 0 {
		return true
	}
	return matchAny(w.Jobs, job) || matchAnyTag(w.Tags, tags)
}

// matchAny reports whether s matches one of the path.Match patterns.
func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// matchAnyTag reports whether one of tags matches one of the patterns.
func matchAnyTag(patterns, tags []string) bool {
	for _, t := range tags {
		if matchAny(patterns, t) {
			return true
		}
	}
	return false
}

// Describe says when the window applies, in words.
func (w Window) Describe() string {
	if w.recurring == nil {
		return "from " + w.Start.UTC().Format("2006-01-02 15:04") + " to " + w.End.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	return fmt.Sprintf("at %q (%s) for %s", w.Cron, w.Timezone, strings.TrimSuffix(w.Duration.String(), "0s"))
}

// Scope says which jobs the window covers, in words.
func (w Window) Scope() string {
	if len(w.Jobs) == 0 && len(w.Tags) == 0 {
		return "all jobs"
	}
	var parts []string
	if len(w.Jobs) > 0 {
		parts = append(parts, "jobs "+strings.Join(w.Jobs, ", "))
	}
	if len(w.Tags) > 0 {
		parts = append(parts, "tags "+strings.Join(w.Tags, ", "))
	}
	return strings.Join(parts, " or ")
}
