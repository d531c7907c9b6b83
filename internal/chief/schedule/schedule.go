package schedule

import (
	"fmt"
	"slices"
	"time"
)

// Kind is how a schedule is evaluated and exported.
type Kind string

// Schedule kinds, as printed by validate and preview.
const (
	// PureCron schedules are exactly a cron expression (plus bounds and exclusions).
	PureCron Kind = "pure_cron"
	// Hybrid schedules are a cron trigger plus a runtime guard (monthly ordinal weekdays).
	Hybrid Kind = "hybrid"
	// RuntimeOnly schedules are intervals that cron cannot express.
	RuntimeOnly Kind = "runtime_only"
)

// Horizon bounds every next-run search when the schedule has no end: a schedule that does not
// fire within ten years of the search start is treated as never firing again.
const Horizon = 10 * 366 * 24 * time.Hour

// intervalAnchor is the wall-clock origin of runtime-only interval grids without a start.
var intervalAnchor = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Last is the Params.Ordinal value for "the last <weekday> of the month".
const Last = -1

// Params describes a compiled schedule. Wall-clock values (Start, End, Exclude) are time.Time
// values in time.UTC whose fields are read as local fields of Location.
type Params struct {
	Kind        Kind
	Expr        string // cron expression; empty for RuntimeOnly
	Description string
	Location    *time.Location
	Start, End  time.Time     // zero = unbounded
	Exclude     []time.Time   // local dates (midnight)
	Ordinal     int           // Hybrid guard: 1..4 or Last; 0 = no guard
	Weekday     time.Weekday  // Hybrid guard weekday
	Interval    time.Duration // RuntimeOnly wall-clock interval
}

// Schedule computes fire times. The zero time returned by Next means "never".
type Schedule struct {
	Params
	cron    *Cron
	exclude map[time.Time]bool
}

// New compiles p.
func New(p Params) (*Schedule, error) {
	if p.Location == nil {
		p.Location = time.UTC
	}
	s := &Schedule{Params: p, exclude: map[time.Time]bool{}}
	for _, d := range p.Exclude {
		s.exclude[dateOf(d)] = true
	}
	slices.SortFunc(s.Params.Exclude, func(a, b time.Time) int { return a.Compare(b) })
	switch p.Kind {
	case RuntimeOnly:
		if p.Interval < time.Minute {
			return nil, fmt.Errorf("schedule: interval %s is shorter than one minute", p.Interval)
		}
	case PureCron, Hybrid:
		c, err := ParseCron(p.Expr)
		if err != nil {
			return nil, err
		}
		s.cron = c
	default:
		return nil, fmt.Errorf("schedule: unknown kind %q", p.Kind)
	}
	return s, nil
}

// Next returns the first fire instant strictly after `after`, in UTC, or the zero time when the
// schedule never fires again (ended, or nothing within Horizon).
func (s *Schedule) Next(after time.Time) time.Time {
	if s.Kind == RuntimeOnly {
		return s.nextInterval(after)
	}
	return s.nextCron(after)
}

func (s *Schedule) nextCron(after time.Time) time.Time {
	begin := wallOf(after, s.Location).Truncate(time.Minute)
	if !s.Start.IsZero() && s.Start.After(begin) {
		begin = s.Start
	}
	limit := begin.Add(Horizon)
	times := s.cron.times()
	for day := dateOf(begin); !day.After(limit); day = day.AddDate(0, 0, 1) {
		if !s.End.IsZero() && day.After(s.End) {
			return time.Time{}
		}
		if !s.cron.MatchDay(day) || s.exclude[day] || !s.guard(day) {
			continue
		}
		for _, hm := range times {
			w := day.Add(time.Duration(hm[0])*time.Hour + time.Duration(hm[1])*time.Minute)
			if w.Before(begin) {
				continue
			}
			if !s.End.IsZero() && w.After(s.End) {
				return time.Time{}
			}
			if inst := resolve(w, s.Location); inst.After(after) {
				return inst.UTC()
			}
		}
	}
	return time.Time{}
}

func (s *Schedule) nextInterval(after time.Time) time.Time {
	l := wallOf(after, s.Location)
	anchor := s.Start
	if anchor.IsZero() {
		anchor = intervalAnchor
	}
	c := anchor
	if !l.Before(anchor) {
		c = anchor.Add(s.Interval * (l.Sub(anchor)/s.Interval + 1))
	}
	limit := c.Add(Horizon)
	for ; !c.After(limit); c = c.Add(s.Interval) {
		if !s.End.IsZero() && c.After(s.End) {
			return time.Time{}
		}
		if s.exclude[dateOf(c)] {
			continue
		}
		if inst := resolve(c, s.Location); inst.After(after) {
			return inst.UTC()
		}
	}
	return time.Time{}
}

// guard is the hybrid monthly-ordinal check on a local date.
func (s *Schedule) guard(day time.Time) bool {
	if s.Ordinal == 0 {
		return true
	}
	if day.Weekday() != s.Weekday {
		return false
	}
	if s.Ordinal == Last {
		return day.AddDate(0, 0, 7).Month() != day.Month()
	}
	return (day.Day()-1)/7+1 == s.Ordinal
}

// Guard reports whether the hybrid guard accepts the wall-clock time w (always true for
// schedules without a guard).
func (s *Schedule) Guard(w time.Time) bool { return s.guard(dateOf(w)) }

// Due reports whether the minute containing now is a fire time, and returns that minute. It is
// what `run --respect-schedule` checks; a spring-forward slot is due at the first minute after
// the gap.
func (s *Schedule) Due(now time.Time) (time.Time, bool) {
	m := now.Truncate(time.Minute)
	return m.UTC(), s.Next(m.Add(-time.Nanosecond)).Equal(m)
}

// Upcoming returns at most n fire instants strictly after now, skipping repeats of a local
// minute slot.
func (s *Schedule) Upcoming(now time.Time, n int) []time.Time {
	var out []time.Time
	seen := map[string]bool{}
	for cursor := now; len(out) < n; {
		x := s.Next(cursor)
		if x.IsZero() {
			break
		}
		slot := x.In(s.Location).Format("2006-01-02 15:04")
		if !seen[slot] {
			seen[slot] = true
			out = append(out, x)
		}
		cursor = x
	}
	return out
}

// Cron returns the parsed cron expression, or nil for runtime-only schedules.
func (s *Schedule) Cron() *Cron { return s.cron }

// ExcludedDates returns the excluded local dates in ascending order.
func (s *Schedule) ExcludedDates() []time.Time { return s.Params.Exclude }

// Local converts a wall-clock value of this schedule (Start, End) to the instant it denotes.
func (s *Schedule) Local(w time.Time) time.Time { return resolve(w, s.Location).In(s.Location) }
