package services

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
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

// Describe says when the window applies, in words: "from 2026-12-05 10:00 to 2026-12-05 12:00
// UTC", "on Sat, Sun at 03:15 (Europe/Berlin) for 1 h 30 min", or with its cron expression.
func (w Window) Describe() string {
	if w.recurring == nil {
		return "from " + w.Start.UTC().Format("2006-01-02 15:04") + " to " + w.End.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	when := fmt.Sprintf("at %q", w.Cron)
	if days, at, ok := weeklyWords(w.Cron); ok {
		when = "on " + days + " at " + at
	}
	return fmt.Sprintf("%s (%s) for %s", when, w.Timezone, minutesWords(w.DurationMinutes))
}

var dayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// weeklyWords reads back the cron expression that weekdays and a time were stored as.
func weeklyWords(cron string) (days, at string, ok bool) {
	f := strings.Fields(cron)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" {
		return "", "", false
	}
	minute, err1 := strconv.Atoi(f[0])
	hour, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	var names []string
	for _, d := range strings.Split(f[4], ",") {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 6 {
			return "", "", false
		}
		names = append(names, dayNames[n])
	}
	return strings.Join(names, ", "), fmt.Sprintf("%02d:%02d", hour, minute), true
}

// minutesWords is a duration in minutes as "45 min", "2 h" or "1 h 30 min".
func minutesWords(m int64) string {
	switch {
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
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
