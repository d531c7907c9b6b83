package schedule

import (
	"fmt"
	"strings"
	"time"
)

// wallOf returns the wall-clock fields of instant t in loc, as a time.Time in UTC.
func wallOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// dateOf truncates a wall-clock value to its date.
func dateOf(w time.Time) time.Time {
	return time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
}

// resolve maps a wall-clock time of loc to an instant: the first occurrence when the wall time
// happens twice (fall-back), and the first instant after the gap when it does not exist
// (spring-forward).
func resolve(w time.Time, loc *time.Location) time.Time {
	u := w.Unix()
	var best time.Time
	for _, probe := range []int64{u - 86400, u, u + 86400} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		cand := time.Unix(u-int64(off), int64(w.Nanosecond())).In(loc)
		if wallOf(cand, loc).Equal(w) && (best.IsZero() || cand.Before(best)) {
			best = cand
		}
	}
	if !best.IsZero() {
		return best
	}
	// In a gap: the instant u-offsetBefore lies after the transition; its zone starts there.
	_, offBefore := time.Unix(u-86400, 0).In(loc).Zone()
	start, _ := time.Unix(u-int64(offBefore), 0).In(loc).ZoneBounds()
	return start
}

// ParseBound parses a start/end bound: a date (midnight), or a date, `T` or a space, and
// HH:MM or HH:MM:SS with an optional fraction, optionally followed by `Z` or ±HH:MM. A value
// with an offset is converted into loc. The result is a wall-clock value.
func ParseBound(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04Z07:00"} {
		for _, v := range []string{s, strings.Replace(s, " ", "T", 1)} {
			if t, err := time.Parse(layout, v); err == nil {
				return wallOf(t, loc), nil
			}
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02", "20060102T150405", "20060102"} {
		if t, err := time.Parse(layout, strings.Replace(s, " ", "T", 1)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("schedule: %q is not an ISO date or datetime", s)
}

// ParseDate parses an excluded date: YYYY-MM-DD or YYYYMMDD.
func ParseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("schedule: %q is not a YYYY-MM-DD date", s)
}
