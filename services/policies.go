package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/gulag/chief-monitor/internal/chief/schedule"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// policyOf returns the policy that applies to a check, reading the stored defaults once per
// engine: a group's transaction reads them at most once, and every instance sees a change at
// its next transaction.
func (e *engine) policyOf(c models.CheckState) (Policy, error) {
	if e.defaults == nil {
		v, ok, err := e.tx.ConfigValue(store.KeyPolicySettings)
		if err != nil {
			return Policy{}, err
		}
		e.defaults = ptr(parsePolicy(v, ok))
	}
	return e.defaults.Effective(c), nil
}

func parsePolicy(raw string, found bool) Policy {
	var p Policy
	if found {
		_ = json.Unmarshal([]byte(raw), &p) // damaged: the original behaviour
	}
	return p
}

// Policies are the admin's operations on alerting: the default policy, pauses and
// maintenance windows. Writes go through the writer.
type Policies struct {
	st       *store.Store
	write    WriteFunc
	validate *validator.Validate
}

// NewPolicies returns the service; writes go through write (the writer's Do).
func NewPolicies(st *store.Store, write WriteFunc) *Policies {
	return &Policies{st: st, write: write, validate: newValidator()}
}

// Defaults returns the stored default policy (zero fields: the original behaviour).
func (p *Policies) Defaults(ctx context.Context) (Policy, error) {
	v, err := p.st.ConfigValue(ctx, store.KeyPolicySettings)
	if errors.Is(err, store.ErrNotFound) {
		return Policy{}, nil
	}
	if err != nil {
		return Policy{}, fmt.Errorf("services: policies: %w", err)
	}
	return parsePolicy(v, true), nil
}

// PutDefaults validates and stores the default policy.
func (p *Policies) PutDefaults(ctx context.Context, in Policy, now time.Time) error {
	if err := validateInput(p.validate, &in); err != nil {
		return err
	}
	if in.SlowFactor != 0 && in.SlowFactor <= 1 {
		return issue("slowFactor", "Must be above 1, or 0 for none")
	}
	b, _ := json.Marshal(in)
	return p.write(ctx, func(tx *store.Tx) error {
		return tx.PutConfig(store.KeyPolicySettings, string(b), telemetry.ServerTime(now))
	})
}

// PauseInput is a request to pause a job's alerts.
type PauseInput struct {
	// Until is when the pause ends by itself (RFC 3339, or a datetime-local value read in
	// UTC); empty pauses until resumed.
	Until  string `json:"until" validate:"max=64"`
	Reason string `json:"reason" validate:"max=500,singleline"`
}

// Pause pauses a job's alerts; by names who did it.
func (p *Policies) Pause(ctx context.Context, job, by string, in PauseInput, now time.Time) (models.JobPause, error) {
	if err := validateInput(p.validate, &in); err != nil {
		return models.JobPause{}, err
	}
	if job == "" { // the page's form without ?name=
		return models.JobPause{}, issue("jobName", "Required")
	}
	row := models.JobPause{JobName: job, PausedAt: telemetry.ServerTime(now), PausedBy: by, Reason: strings.TrimSpace(in.Reason)}
	if u := strings.TrimSpace(in.Until); u != "" {
		t, ok := parseInstant(u, time.UTC)
		if !ok {
			return row, issue("until", "Invalid date and time; use e.g. 2026-12-24T18:00:00Z")
		}
		if !t.After(now) {
			return row, issue("until", "Must be in the future")
		}
		row.UntilAt, row.UntilMs = ptr(telemetry.ServerTime(t)), ptr(t.UnixMilli())
	}
	return row, p.write(ctx, func(tx *store.Tx) error { return tx.PutPause(&row) })
}

// Resume ends a job's pause; resumed is false when it was not paused. Alerts still open are
// delivered by the evaluator's next pass.
func (p *Policies) Resume(ctx context.Context, job string) (resumed bool, err error) {
	err = p.write(ctx, func(tx *store.Tx) error {
		resumed, err = tx.DeletePause(job)
		return err
	})
	return resumed, err
}

// ActivePauses lists the pauses in force at now.
func (p *Policies) ActivePauses(ctx context.Context, now time.Time) ([]models.JobPause, error) {
	rows, err := p.st.Pauses(ctx)
	out := rows[:0]
	for _, r := range rows {
		if r.UntilMs == nil || *r.UntilMs > now.UnixMilli() {
			out = append(out, r)
		}
	}
	return out, err
}

// WindowInput is a maintenance window as an admin describes it: one-off (startsAt and endsAt),
// or recurring, by a cron expression or by weekdays and a time, for durationMinutes; times are
// read in timezone (default UTC). Jobs and tags are name and tag patterns; neither means every
// job.
type WindowInput struct {
	Name            string   `json:"name" validate:"required,max=100,singleline"`
	Jobs            []string `json:"jobs" validate:"max=100,dive,required,max=200,glob"`
	Tags            []string `json:"tags" validate:"max=100,dive,required,max=64,glob"`
	StartsAt        string   `json:"startsAt" validate:"max=64"`
	EndsAt          string   `json:"endsAt" validate:"max=64"`
	Cron            string   `json:"cron" validate:"max=200"`
	Weekdays        []string `json:"weekdays" validate:"max=7,dive,oneof=mon tue wed thu fri sat sun"`
	Time            string   `json:"time" validate:"max=5"`
	DurationMinutes int64    `json:"durationMinutes" validate:"min=0,max=10080"`
	Timezone        string   `json:"timezone" validate:"max=64"`
}

// CreateWindow validates and stores a maintenance window.
func (p *Policies) CreateWindow(ctx context.Context, in WindowInput, by string, now time.Time) (Window, error) {
	if err := validateInput(p.validate, &in); err != nil {
		return Window{}, err
	}
	row, err := windowRow(in)
	if err != nil {
		return Window{}, err
	}
	// A valid expression can still name no real date (30 February): such a window would be
	// listed but never hold anything back.
	if w, err := NewWindow(row); err == nil && w.Recurring() && w.NextStart(now).IsZero() {
		return Window{}, issue("cron", "The cron expression never matches a date")
	}
	row.CreatedAt, row.CreatedBy = telemetry.ServerTime(now), by
	if err := p.write(ctx, func(tx *store.Tx) error { return tx.InsertWindow(&row) }); err != nil {
		return Window{}, err
	}
	return NewWindow(row)
}

// windowRow checks the parts of a window that depend on each other and builds its row.
func windowRow(in WindowInput) (models.MaintenanceWindow, error) {
	row := models.MaintenanceWindow{Name: strings.TrimSpace(in.Name), JobsJSON: jsonList(in.Jobs), TagsJSON: jsonList(in.Tags),
		Timezone: strings.TrimSpace(in.Timezone), DurationMinutes: in.DurationMinutes}
	if row.Name == "" { // "required" lets a name of spaces through, and the list would show nothing
		return row, issue("name", "Required")
	}
	if row.Timezone == "" {
		row.Timezone = "UTC"
	}
	loc, err := time.LoadLocation(row.Timezone)
	if err != nil {
		return row, issue("timezone", "Unknown time zone "+strconv.Quote(row.Timezone))
	}
	oneOff := in.StartsAt != "" || in.EndsAt != ""
	cron, err := recurrence(in)
	switch {
	case err != nil:
		return row, err
	case oneOff && cron != "":
		return row, issue("cron", "A window is either one-off (startsAt, endsAt) or recurring (cron or weekdays and time), not both")
	case oneOff:
		start, ok := parseInstant(in.StartsAt, loc)
		if !ok {
			return row, issue("startsAt", "Invalid date and time")
		}
		end, ok := parseInstant(in.EndsAt, loc)
		if !ok {
			return row, issue("endsAt", "Invalid date and time")
		}
		if !end.After(start) {
			return row, issue("endsAt", "Must be after startsAt")
		}
		row.StartsAt, row.EndsAt = ptr(telemetry.ServerTime(start)), ptr(telemetry.ServerTime(end))
		row.DurationMinutes = int64(end.Sub(start) / time.Minute)
		return row, nil
	case cron == "":
		return row, issue("startsAt", "Give startsAt and endsAt, a cron expression, or weekdays and a time")
	case in.DurationMinutes < 1:
		return row, issue("durationMinutes", "A recurring window needs a duration of at least one minute")
	}
	if _, err := schedule.New(schedule.Params{Kind: schedule.PureCron, Expr: cron, Location: loc}); err != nil {
		return row, issue("cron", "Invalid cron expression: "+err.Error())
	}
	row.Cron = cron
	return row, nil
}

var weekdayNumbers = map[string]string{"sun": "0", "mon": "1", "tue": "2", "wed": "3", "thu": "4", "fri": "5", "sat": "6"}

// recurrence is the window's cron expression: as given, or built from weekdays and a time.
func recurrence(in WindowInput) (string, error) {
	cron := strings.Join(strings.Fields(in.Cron), " ")
	if len(in.Weekdays) == 0 && in.Time == "" {
		return cron, nil
	}
	if cron != "" {
		return "", issue("weekdays", "Give a cron expression or weekdays and a time, not both")
	}
	t, err := time.Parse("15:04", in.Time)
	if err != nil {
		return "", issue("time", "Invalid time; use HH:MM")
	}
	if len(in.Weekdays) == 0 {
		return "", issue("weekdays", "Pick at least one day")
	}
	days := make([]string, 0, len(in.Weekdays))
	for _, d := range in.Weekdays {
		days = append(days, weekdayNumbers[d])
	}
	return fmt.Sprintf("%d %d * * %s", t.Minute(), t.Hour(), strings.Join(days, ",")), nil
}

// parseInstant reads an RFC 3339 time, or a time without an offset (a datetime-local field)
// read in loc.
func parseInstant(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	if !hasOffset(s) {
		return time.Time{}, false
	}
	return telemetry.ParseTime(s)
}

// DeleteWindow removes a maintenance window; removed is false when there was none.
func (p *Policies) DeleteWindow(ctx context.Context, id int64) (removed bool, err error) {
	err = p.write(ctx, func(tx *store.Tx) error {
		removed, err = tx.DeleteWindow(id)
		return err
	})
	return removed, err
}

// Windows lists the maintenance windows; a row that no longer parses is left out.
func (p *Policies) Windows(ctx context.Context) ([]Window, error) {
	rows, err := p.st.MaintenanceWindows(ctx)
	return usableWindows(rows), err
}
