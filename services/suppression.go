package services

import (
	"errors"
	"fmt"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// suppression says why an alert of job opened now would be held back — the job is paused, or
// a maintenance window covering it is on — or "" when it is delivered.
func (e *engine) suppression(job string) (string, error) {
	if err := e.loadHolds(); err != nil {
		return "", err
	}
	var tags []string
	if len(e.windows) > 0 {
		var err error
		if tags, err = e.tagsOf(job); err != nil {
			return "", err
		}
	}
	return Suppressed(e.pauses[job], e.windows, job, tags, e.now), nil
}

// loadHolds reads the pauses and the maintenance windows once per engine: both tables are
// small, and one transaction may ask about many alerts.
func (e *engine) loadHolds() error {
	if e.pauses != nil {
		return nil
	}
	pauses, err := e.tx.Pauses()
	if err != nil {
		return err
	}
	rows, err := e.tx.MaintenanceWindows()
	if err != nil {
		return err
	}
	e.pauses = make(map[string]*models.JobPause, len(pauses))
	for i := range pauses {
		e.pauses[pauses[i].JobName] = &pauses[i]
	}
	e.windows = usableWindows(rows)
	return nil
}

// Suppressed is the one rule of suppression: a job's alerts are held back while its pause
// lasts, or while a maintenance window that covers it is on. It returns why, or "".
func Suppressed(pause *models.JobPause, windows []Window, job string, tags []string, now time.Time) string {
	if pause != nil && (pause.UntilMs == nil || *pause.UntilMs > now.UnixMilli()) {
		return PauseReason(*pause)
	}
	for _, w := range windows {
		if on, end := w.ActiveAt(now); on && w.Covers(job, tags) {
			return fmt.Sprintf("Maintenance window %q until %s", w.Name, telemetry.ServerTime(end))
		}
	}
	return ""
}

// usableWindows prepares stored windows, leaving out a row that no longer parses.
func usableWindows(rows []models.MaintenanceWindow) []Window {
	out := make([]Window, 0, len(rows))
	for _, m := range rows {
		if w, err := NewWindow(m); err == nil {
			out = append(out, w)
		}
	}
	return out
}

// PauseReason is the suppression text of a pause.
func PauseReason(p models.JobPause) string {
	s := "Paused by " + p.PausedBy
	if p.UntilAt != nil {
		s += " until " + *p.UntilAt
	}
	if p.Reason != "" {
		s += ": " + p.Reason
	}
	return s
}

// tagsOf returns a job's tags from the check rows this engine holds, else from the store.
func (e *engine) tagsOf(job string) ([]string, error) {
	if ce, ok := e.checks[job]; ok {
		return ce.c.TagList(), nil
	}
	if c, ok := e.cache.get(job); ok {
		return c.TagList(), nil
	}
	c, err := e.tx.Check(job)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.TagList(), nil
}

// notifyPass is the evaluator's delivery step: it ends the pauses that are over, delivers the
// alerts whose pause or window has ended while they are still open, and reminds about open
// alerts at their job's realert interval. A RECOVERY is never reminded, and one opened while
// suppressed stays so: nobody heard of what it recovered from.
func (e *engine) notifyPass(now time.Time) (delivered, reminded int, err error) {
	if _, err := e.tx.DeleteEndedPauses(now.UnixMilli()); err != nil {
		return 0, 0, err
	}
	alerts, err := e.tx.OpenAlertsToNotify()
	if err != nil || len(alerts) == 0 {
		return 0, 0, err
	}
	jobs := make([]string, 0, len(alerts))
	for _, a := range alerts {
		jobs = append(jobs, a.JobName)
	}
	checks, err := e.tx.ChecksByJob(jobs)
	if err != nil {
		return 0, 0, err
	}
	if err := e.loadHolds(); err != nil {
		return 0, 0, err
	}
	for _, a := range alerts {
		tags := checks[a.JobName].TagList()
		why := Suppressed(e.pauses[a.JobName], e.windows, a.JobName, tags, now)
		switch {
		case why != "": // held back still, or a delivered one not reminded during the window
			if a.SuppressedReason != nil && *a.SuppressedReason != why {
				err = e.tx.SuppressAlert(a.ID, why)
			}
		case a.SuppressedReason != nil:
			delivered++
			err = e.notify(a, a.Reminders, tags)
		default:
			var due bool
			if due, err = e.reminderDue(a, checks[a.JobName], now); due {
				reminded++
				err = e.notify(a, a.Reminders+1, tags)
			}
		}
		if err != nil {
			return delivered, reminded, err
		}
	}
	return delivered, reminded, nil
}

// reminderDue reports whether an open alert's reminder interval has passed since it was last
// sent.
func (e *engine) reminderDue(a models.Alert, c models.CheckState, now time.Time) (bool, error) {
	p, err := e.policyOf(c)
	if err != nil || p.RealertMinutes <= 0 || a.LastNotifiedAt == nil {
		return false, err
	}
	last, ok := telemetry.ParseTime(*a.LastNotifiedAt)
	return ok && !now.Before(last.Add(time.Duration(p.RealertMinutes)*time.Minute)), nil
}

// notify queues the alert's deliveries now, as its reminders-th reminder (0: its first
// message), routed by the job's tags.
func (e *engine) notify(a models.Alert, reminders int64, tags []string) error {
	if err := e.tx.MarkNotified(a.ID, e.nowStr, reminders); err != nil {
		return err
	}
	a.Reminders, a.SuppressedReason, a.LastNotifiedAt = reminders, nil, &e.nowStr
	return e.outbox(e.tx, a, tags, e.now)
}
