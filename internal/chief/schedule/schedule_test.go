package schedule

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// at parses a readable RFC 3339 instant.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// wall parses a readable wall-clock value ("2026-01-01 09:00").
func wall(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := ParseBound(s, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNext(t *testing.T) {
	ny, berlin := mustLoc(t, "America/New_York"), mustLoc(t, "Europe/Berlin")
	cases := []struct {
		name  string
		p     Params
		after string
		want  string // RFC 3339, "" = never
	}{
		{name: "daily no catch-up after slot", p: Params{Kind: PureCron, Expr: "0 6 * * *"}, after: "2026-02-23T06:00:30Z", want: "2026-02-24T06:00:00Z"},
		{name: "daily just before slot", p: Params{Kind: PureCron, Expr: "0 6 * * *"}, after: "2026-02-23T05:59:59.9Z", want: "2026-02-23T06:00:00Z"},
		{name: "daily exactly at slot is strictly after", p: Params{Kind: PureCron, Expr: "0 6 * * *"}, after: "2026-02-23T06:00:00Z", want: "2026-02-24T06:00:00Z"},
		{name: "weekdays only skips weekend", p: Params{Kind: PureCron, Expr: "0 9 * * 1-5"}, after: "2026-11-27T10:00:00Z", want: "2026-11-30T09:00:00Z"},
		{name: "weekly friday", p: Params{Kind: PureCron, Expr: "30 17 * * 5"}, after: "2026-11-23T00:00:00Z", want: "2026-11-27T17:30:00Z"},
		{name: "monthly day 31 skips short months", p: Params{Kind: PureCron, Expr: "0 8 31 * *"}, after: "2026-03-31T09:00:00Z", want: "2026-05-31T08:00:00Z"},
		{name: "monthly last friday", p: Params{Kind: Hybrid, Expr: "0 18 * * 5", Ordinal: Last, Weekday: time.Friday}, after: "2026-01-01T00:00:00Z", want: "2026-01-30T18:00:00Z"},
		{name: "monthly second tuesday", p: Params{Kind: Hybrid, Expr: "0 7 * * 2", Ordinal: 2, Weekday: time.Tuesday}, after: "2026-02-01T00:00:00Z", want: "2026-02-10T07:00:00Z"},
		{name: "yearly feb 29 waits for leap year", p: Params{Kind: PureCron, Expr: "0 0 29 2 *"}, after: "2026-01-01T00:00:00Z", want: "2028-02-29T00:00:00Z"},
		{name: "interval 5m aligned to clock", p: Params{Kind: PureCron, Expr: "*/5 * * * *"}, after: "2026-01-01T10:02:10Z", want: "2026-01-01T10:05:00Z"},
		{name: "custom dom OR dow", p: Params{Kind: PureCron, Expr: "0 0 13 * 5"}, after: "2026-11-06T00:00:00Z", want: "2026-11-13T00:00:00Z"},
		{name: "custom friday via OR rule", p: Params{Kind: PureCron, Expr: "0 0 13 * 5"}, after: "2026-11-13T00:00:00Z", want: "2026-11-20T00:00:00Z"},
		{name: "custom odd days or friday", p: Params{Kind: PureCron, Expr: "0 0 */2 * 5"}, after: "2026-11-01T00:00:00Z", want: "2026-11-03T00:00:00Z"},
		{name: "custom full dom with starred dow is AND", p: Params{Kind: PureCron, Expr: "0 0 1-31 * */2"}, after: "2026-11-23T00:00:00Z", want: "2026-11-24T00:00:00Z"},
		{name: "custom step from value", p: Params{Kind: PureCron, Expr: "5/15 * * * *"}, after: "2026-01-01T10:50:00Z", want: "2026-01-01T11:05:00Z"},
		{name: "custom dow 7 is sunday", p: Params{Kind: PureCron, Expr: "0 12 * * 7"}, after: "2026-11-27T00:00:00Z", want: "2026-11-29T12:00:00Z"},
		{name: "impossible date never fires", p: Params{Kind: PureCron, Expr: "0 0 30 2 *"}, after: "2026-01-01T00:00:00Z", want: ""},
		{name: "start far in the future", p: Params{Kind: PureCron, Expr: "*/5 * * * *", Start: wall(t, "2027-06-01 00:02")}, after: "2026-01-01T00:00:00Z", want: "2027-06-01T00:05:00Z"},
		{name: "start is inclusive", p: Params{Kind: PureCron, Expr: "0 9 * * *", Start: wall(t, "2026-01-05")}, after: "2026-01-01T00:00:00Z", want: "2026-01-05T09:00:00Z"},
		{name: "end is inclusive", p: Params{Kind: PureCron, Expr: "0 9 * * *", End: wall(t, "2026-01-05 09:00")}, after: "2026-01-04T10:00:00Z", want: "2026-01-05T09:00:00Z"},
		{name: "after end never", p: Params{Kind: PureCron, Expr: "0 9 * * *", End: wall(t, "2026-01-05 08:59")}, after: "2026-01-04T10:00:00Z", want: ""},
		{name: "excluded date skipped", p: Params{Kind: PureCron, Expr: "0 9 * * *", Exclude: []time.Time{wall(t, "2026-12-25")}}, after: "2026-12-24T10:00:00Z", want: "2026-12-26T09:00:00Z"},
		{name: "berlin zone", p: Params{Kind: PureCron, Expr: "15 2 * * 1-5", Location: berlin}, after: "2026-11-27T12:00:00Z", want: "2026-11-30T01:15:00Z"},
		{name: "runtime 90m grid from start", p: Params{Kind: RuntimeOnly, Interval: 90 * time.Minute, Start: wall(t, "2026-01-01 00:00")}, after: "2026-01-01T02:00:00Z", want: "2026-01-01T03:00:00Z"},
		{name: "runtime before start is start", p: Params{Kind: RuntimeOnly, Interval: 7 * time.Minute, Start: wall(t, "2026-03-01 12:00")}, after: "2026-01-01T00:00:00Z", want: "2026-03-01T12:00:00Z"},
		{name: "runtime 90m anchored at midnight", p: Params{Kind: RuntimeOnly, Interval: 90 * time.Minute}, after: "2026-05-05T01:31:12.5Z", want: "2026-05-05T03:00:00Z"},
		{name: "runtime 2d anchored at 2000-01-01", p: Params{Kind: RuntimeOnly, Interval: 48 * time.Hour}, after: "2026-01-01T00:00:00Z", want: "2026-01-02T00:00:00Z"},
		{name: "runtime end", p: Params{Kind: RuntimeOnly, Interval: 48 * time.Hour, End: wall(t, "2026-01-01 23:59")}, after: "2026-01-01T00:00:00Z", want: ""},
		{name: "runtime exclude", p: Params{Kind: RuntimeOnly, Interval: 48 * time.Hour, Exclude: []time.Time{wall(t, "2026-01-02")}}, after: "2026-01-01T00:00:00Z", want: "2026-01-04T00:00:00Z"},

		// DST, America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
		{name: "NY spring gap runs right after the gap", p: Params{Kind: PureCron, Expr: "30 2 * * *", Location: ny}, after: "2026-03-07T12:00:00Z", want: "2026-03-08T07:00:00Z"},
		{name: "NY spring day after gap back to 02:30", p: Params{Kind: PureCron, Expr: "30 2 * * *", Location: ny}, after: "2026-03-08T07:00:00Z", want: "2026-03-09T06:30:00Z"},
		{name: "NY spring every 15m in gap fires once", p: Params{Kind: PureCron, Expr: "*/15 * * * *", Location: ny}, after: "2026-03-08T06:45:00Z", want: "2026-03-08T07:00:00Z"},
		{name: "NY spring every 15m after gap end", p: Params{Kind: PureCron, Expr: "*/15 * * * *", Location: ny}, after: "2026-03-08T07:00:00Z", want: "2026-03-08T07:15:00Z"},
		{name: "NY fall 01:30 first occurrence", p: Params{Kind: PureCron, Expr: "30 1 * * *", Location: ny}, after: "2026-10-31T12:00:00Z", want: "2026-11-01T05:30:00Z"},
		{name: "NY fall 01:30 runs once", p: Params{Kind: PureCron, Expr: "30 1 * * *", Location: ny}, after: "2026-11-01T05:30:00Z", want: "2026-11-02T06:30:00Z"},
		{name: "NY fall every 15m skips repeated hour", p: Params{Kind: PureCron, Expr: "*/15 * * * *", Location: ny}, after: "2026-11-01T05:45:00Z", want: "2026-11-01T07:00:00Z"},
		{name: "NY fall 02:30 day after keeps wall clock", p: Params{Kind: PureCron, Expr: "30 2 * * *", Location: ny}, after: "2026-11-01T08:00:00Z", want: "2026-11-02T07:30:00Z"},
		{name: "NY runtime 90m across spring gap", p: Params{Kind: RuntimeOnly, Interval: 90 * time.Minute, Location: ny}, after: "2026-03-08T06:30:00Z", want: "2026-03-08T07:00:00Z"},

		// DST, Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
		{name: "Berlin spring gap runs right after the gap", p: Params{Kind: PureCron, Expr: "30 2 * * *", Location: berlin}, after: "2026-03-28T12:00:00Z", want: "2026-03-29T01:00:00Z"},
		{name: "Berlin spring next day", p: Params{Kind: PureCron, Expr: "30 2 * * *", Location: berlin}, after: "2026-03-29T01:00:00Z", want: "2026-03-30T00:30:00Z"},
		{name: "Berlin fall 02:30 first occurrence", p: Params{Kind: PureCron, Expr: "30 2 * * *", Location: berlin}, after: "2026-10-24T12:00:00Z", want: "2026-10-25T00:30:00Z"},
		{name: "Berlin fall 02:30 runs once", p: Params{Kind: PureCron, Expr: "30 2 * * *", Location: berlin}, after: "2026-10-25T00:30:00Z", want: "2026-10-26T01:30:00Z"},
		{name: "Berlin fall hourly skips repeated hour", p: Params{Kind: PureCron, Expr: "0 * * * *", Location: berlin}, after: "2026-10-25T00:00:00Z", want: "2026-10-25T02:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			got := s.Next(at(t, tc.after))
			if tc.want == "" {
				if !got.IsZero() {
					t.Fatalf("got %s, want never", got)
				}
				return
			}
			if want := at(t, tc.want); !got.Equal(want) {
				t.Fatalf("got %s, want %s", got.Format(time.RFC3339), want.Format(time.RFC3339))
			}
		})
	}
}

func TestUpcomingBoundsAndExclude(t *testing.T) {
	s, err := New(Params{Kind: PureCron, Expr: "0 9 * * *",
		Start: wall(t, "2026-01-01T00:00:00"), End: wall(t, "2026-01-03T23:59:59"),
		Exclude: []time.Time{wall(t, "2026-01-02")}})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Upcoming(at(t, "2025-12-31T00:00:00Z"), 5)
	want := []string{"2026-01-01T09:00:00Z", "2026-01-03T09:00:00Z"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(at(t, want[i])) {
			t.Errorf("run %d: got %s, want %s", i, got[i], want[i])
		}
	}
}

func TestGuard(t *testing.T) {
	s, err := New(Params{Kind: Hybrid, Expr: "0 18 * * 5", Ordinal: Last, Weekday: time.Friday})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		w    string
		want bool
	}{
		{name: "last friday of january", w: "2026-01-30 18:00", want: true},
		{name: "penultimate friday", w: "2026-01-23 18:00", want: false},
		{name: "not a friday", w: "2026-01-31 18:00", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Guard(wall(t, tc.w)); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDue(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	cases := []struct {
		name string
		p    Params
		now  string
		want bool
	}{
		{name: "on the minute", p: Params{Kind: PureCron, Expr: "0 9 * * *"}, now: "2026-01-01T09:00:40Z", want: true},
		{name: "minute after", p: Params{Kind: PureCron, Expr: "0 9 * * *"}, now: "2026-01-01T09:01:00Z", want: false},
		{name: "excluded day", p: Params{Kind: PureCron, Expr: "0 9 * * *", Exclude: []time.Time{wall(t, "2026-01-01")}}, now: "2026-01-01T09:00:00Z", want: false},
		{name: "hybrid guard rejects", p: Params{Kind: Hybrid, Expr: "0 18 * * 5", Ordinal: Last, Weekday: time.Friday}, now: "2026-01-23T18:00:00Z", want: false},
		{name: "hybrid guard accepts", p: Params{Kind: Hybrid, Expr: "0 18 * * 5", Ordinal: Last, Weekday: time.Friday}, now: "2026-01-30T18:00:00Z", want: true},
		{name: "runtime grid minute", p: Params{Kind: RuntimeOnly, Interval: 90 * time.Minute}, now: "2026-01-01T01:30:10Z", want: true},
		{name: "runtime off grid", p: Params{Kind: RuntimeOnly, Interval: 90 * time.Minute}, now: "2026-01-01T01:31:00Z", want: false},
		{name: "spring gap slot due after gap", p: Params{Kind: PureCron, Expr: "30 2 * * *", Location: ny}, now: "2026-03-08T07:00:05Z", want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			slot, got := s.Due(at(t, tc.now))
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if got && slot.Second() != 0 {
				t.Fatalf("slot %s is not a whole minute", slot)
			}
		})
	}
}

func TestValidateToken(t *testing.T) {
	cases := []struct {
		name, token string
		min, max    int
		want        string
	}{
		{name: "star", token: "*", min: 0, max: 59},
		{name: "list and range", token: "1,5-10,*/15,5/20", min: 0, max: 59},
		{name: "empty", token: " ", min: 0, max: 59, want: "cannot be empty"},
		{name: "letters", token: "mon", min: 0, max: 7, want: `Invalid cron token "mon"`},
		{name: "empty part", token: "1,,2", min: 0, max: 59, want: `Invalid cron token "1,,2"`},
		{name: "zero step", token: "*/0", min: 0, max: 59, want: `Invalid step "*/0"`},
		{name: "huge star step accepted", token: "*/100", min: 0, max: 59},
		{name: "step too large", token: "1-5/61", min: 0, max: 59, want: `Step "61" too large`},
		{name: "reversed range", token: "5-1", min: 0, max: 59, want: `Invalid range "5-1"`},
		{name: "range out of bounds", token: "0-32", min: 1, max: 31, want: `Range "0-32" out of bounds 1-31`},
		{name: "missing base", token: "/5", min: 0, max: 59, want: `Invalid token ""`},
		{name: "value out of bounds", token: "24", min: 0, max: 23, want: `Value "24" out of bounds 0-23`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateToken(tc.token, tc.min, tc.max)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseBound(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	cases := []struct{ name, in, want string }{
		{name: "date", in: "2026-01-05", want: "2026-01-05 00:00:00"},
		{name: "datetime T", in: "2026-01-05T07:30", want: "2026-01-05 07:30:00"},
		{name: "datetime space seconds", in: "2026-01-05 07:30:15", want: "2026-01-05 07:30:15"},
		{name: "utc offset converted", in: "2026-01-05T07:30:00Z", want: "2026-01-05 08:30:00"},
		{name: "numeric offset converted", in: "2026-07-05T07:30:00-04:00", want: "2026-07-05 13:30:00"},
		{name: "fraction", in: "2026-01-05T07:30:00.25", want: "2026-01-05 07:30:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseBound(tc.in, berlin)
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Format("2006-01-02 15:04:05"); s != tc.want {
				t.Fatalf("got %s, want %s", s, tc.want)
			}
		})
	}
	if _, err := ParseBound("next tuesday", berlin); err == nil {
		t.Fatal("got nil error for a non-date")
	}
}
