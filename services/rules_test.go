package services

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
)

func checkExpecting(t *testing.T, expected string, grace int64, status models.CheckStatus) models.CheckState {
	t.Helper()
	e := testutil.Time(t, expected)
	ms := e.UnixMilli()
	return models.CheckState{JobName: "j", Enabled: true, AlertOnMiss: true, GraceSeconds: grace, Status: status,
		ExpectedNextAt: &expected, ExpectedNextMs: &ms}
}

func TestDecideBoundaries(t *testing.T) {
	const E = "2026-03-04T10:00:00Z"
	tests := []struct {
		name   string
		grace  int64
		from   models.CheckStatus
		now    string
		want   models.CheckStatus
		reason Reason
	}{
		{"exactly at expected is UP", 120, models.StatusUp, "2026-03-04T10:00:00Z", models.StatusUp, ReasonNone},
		{"one second before expected is UP", 120, models.StatusUp, "2026-03-04T09:59:59Z", models.StatusUp, ReasonNone},
		{"half a second after expected is still UP (floor)", 120, models.StatusUp, "2026-03-04T10:00:00.500Z", models.StatusUp, ReasonNone},
		{"one second after expected is LATE", 120, models.StatusUp, "2026-03-04T10:00:01Z", models.StatusLate, ReasonLate},
		{"one second before expected+grace is LATE", 120, models.StatusUp, "2026-03-04T10:01:59Z", models.StatusLate, ReasonLate},
		{"exactly at expected+grace is LATE", 120, models.StatusUp, "2026-03-04T10:02:00Z", models.StatusLate, ReasonLate},
		{"expected+grace+999ms is still LATE", 120, models.StatusLate, "2026-03-04T10:02:00.999Z", models.StatusLate, ReasonNone},
		{"one second after expected+grace is DOWN", 120, models.StatusLate, "2026-03-04T10:02:01Z", models.StatusDown, ReasonMissed},
		{"already DOWN stays without a new reason", 120, models.StatusDown, "2026-03-04T11:00:00Z", models.StatusDown, ReasonNone},
		{"grace 0 goes straight from UP to DOWN", 0, models.StatusUp, "2026-03-04T10:00:01Z", models.StatusDown, ReasonMissed},
		{"grace 0 at expected+999ms is UP", 0, models.StatusUp, "2026-03-04T10:00:00.999Z", models.StatusUp, ReasonNone},
		{"DOWN goes back UP when the expectation is in the future", 120, models.StatusDown, "2026-03-04T09:00:00Z", models.StatusUp, ReasonBackOnTime},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := checkExpecting(t, E, tc.grace, tc.from)
			got := Decide(c, testutil.Time(t, tc.now))
			if got.Status != tc.want || got.Reason != tc.reason {
				t.Fatalf("got %s/%d, want %s/%d", got.Status, got.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestDecideSkips(t *testing.T) {
	now := testutil.Time(t, "2026-03-04T12:00:00Z")
	c := checkExpecting(t, "2026-03-04T10:00:00Z", 120, models.StatusUp)
	disabled := c
	disabled.Enabled = false
	noExp := c
	noExp.ExpectedNextAt, noExp.ExpectedNextMs = nil, nil
	satisfied := c
	satisfied.SatisfiedExpectedAt = c.ExpectedNextAt
	for name, cs := range map[string]models.CheckState{"disabled": disabled, "no expectation": noExp, "satisfied by a heartbeat": satisfied} {
		t.Run(name, func(t *testing.T) {
			if d := Decide(cs, now); d.Reason != ReasonNone || d.Status != models.StatusUp {
				t.Fatalf("got %+v, want no change", d)
			}
		})
	}
}

// An expectation written with a local offset across a DST change is compared as an instant:
// 03:00 EDT on the spring-forward day is 07:00 UTC.
func TestDecideAcrossDST(t *testing.T) {
	c := checkExpecting(t, "2026-03-08T03:00:00-04:00", 60, models.StatusUp)
	if d := Decide(c, testutil.Time(t, "2026-03-08T07:01:00Z")); d.Status != models.StatusLate {
		t.Fatalf("at expected+60s got %s, want LATE", d.Status)
	}
	if d := Decide(c, testutil.Time(t, "2026-03-08T07:01:01Z")); d.Status != models.StatusDown {
		t.Fatalf("at expected+61s got %s, want DOWN", d.Status)
	}
	fall := checkExpecting(t, "2026-11-01T01:30:00-05:00", 60, models.StatusUp) // the second 01:30 (EST)
	if d := Decide(fall, testutil.Time(t, "2026-11-01T06:30:30Z")); d.Status != models.StatusLate {
		t.Fatalf("30s after the EST 01:30 got %s, want LATE", d.Status)
	}
	if d := Decide(fall, testutil.Time(t, "2026-11-01T05:30:30Z")); d.Status != models.StatusUp {
		t.Fatalf("at the EDT 01:30 (an hour early) got %s, want UP", d.Status)
	}
}

func TestSatisfiesExpectation(t *testing.T) {
	c := checkExpecting(t, "2026-03-04T10:00:00Z", 120, models.StatusDown)
	at := func(s string) int64 { return testutil.Time(t, s).UnixMilli() }
	tests := []struct {
		name string
		ms   int64
		want bool
	}{
		{"exactly expected minus grace", at("2026-03-04T09:58:00Z"), true},
		{"one ms before expected minus grace", at("2026-03-04T09:57:59.999Z"), false},
		{"a late start", at("2026-03-04T10:03:00Z"), true},
		{"the previous run", at("2026-03-04T09:00:00Z"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SatisfiesExpectation(c, tc.ms); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseCheckPatch(t *testing.T) {
	b := func(v bool) *bool { return &v }
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		meta string
		want CheckPatch
	}{
		{"absent keys change nothing", `{"rows":3}`, CheckPatch{}},
		{"booleans", `{"check_enabled":false,"alert_on_failure":true,"alert_on_miss":false}`, CheckPatch{Enabled: b(false), AlertOnFailure: b(true), AlertOnMiss: b(false)}},
		{"boolean strings any case", `{"check_enabled":"FALSE","alert_on_miss":"True"}`, CheckPatch{Enabled: b(false), AlertOnMiss: b(true)}},
		{"untrimmed string is not a boolean", `{"check_enabled":" false"}`, CheckPatch{Enabled: b(true)}},
		{"grace number truncated", `{"grace_seconds":90.9}`, CheckPatch{GraceSeconds: n(90)}},
		{"grace string leading integer", `{"grace_seconds":"90s"}`, CheckPatch{GraceSeconds: n(90)}},
		{"grace negative clamps to 0", `{"grace_seconds":-5}`, CheckPatch{GraceSeconds: n(0)}},
		{"grace garbage gives the default", `{"grace_seconds":"abc"}`, CheckPatch{GraceSeconds: n(120)}},
		{"grace null gives the default", `{"grace_seconds":null}`, CheckPatch{GraceSeconds: n(120)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.meta), &m); err != nil {
				t.Fatal(err)
			}
			got := ParseCheckPatch(m)
			if !equalPatch(got, tc.want) {
				t.Fatalf("got %s, want %s", fmtPatch(got), fmtPatch(tc.want))
			}
		})
	}
}

func equalPatch(a, b CheckPatch) bool { return fmtPatch(a) == fmtPatch(b) }

func fmtPatch(p CheckPatch) string {
	s := ""
	for _, v := range []*bool{p.Enabled, p.AlertOnFailure, p.AlertOnMiss} {
		if v == nil {
			s += "-,"
		} else if *v {
			s += "T,"
		} else {
			s += "F,"
		}
	}
	if p.GraceSeconds == nil {
		return s + "-"
	}
	return s + time.Duration(*p.GraceSeconds).String()
}
