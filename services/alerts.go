package services

import (
	"context"
	"time"
	"unicode/utf16"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// ReasonMaxUnits bounds a close reason, in UTF-16 code units: the original validated it with
// zod, which counts JavaScript string length.
const ReasonMaxUnits = 200

// ReasonUnits is the length of s in UTF-16 code units.
func ReasonUnits(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// ClipReason shortens s to at most ReasonMaxUnits UTF-16 code units, never cutting a character.
func ClipReason(s string) string {
	n := 0
	for i, r := range s {
		n += utf16.RuneLen(r)
		if n > ReasonMaxUnits {
			return s[:i]
		}
	}
	return s
}

// Alerts closes alerts on a person's request (API or page), through the writer like every
// other write.
type Alerts struct {
	st    *store.Store
	write WriteFunc
}

// NewAlerts returns the alerts service.
func NewAlerts(st *store.Store, write WriteFunc) *Alerts {
	return &Alerts{st: st, write: write}
}

// Close closes an OPEN alert, recording the reason (clipped to ReasonMaxUnits) and who closed
// it. updated is false when it was already closed; the returned alert is the row after the
// call, or store.ErrNotFound.
func (a *Alerts) Close(ctx context.Context, id int64, reason, by string, at time.Time) (alert *models.Alert, updated bool, err error) {
	reason = ClipReason(reason)
	now := telemetry.ServerTime(at)
	err = a.write(ctx, func(tx *store.Tx) error {
		updated, err = tx.CloseAlert(id, now, reason, by)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	alert, err = a.st.Alert(ctx, id)
	return alert, updated, err
}
