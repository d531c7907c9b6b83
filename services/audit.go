package services

import (
	"context"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// Audit keeps the audit log: who changed which setting, user or alert, and when.
type Audit struct {
	st    *store.Store
	write WriteFunc
}

// NewAudit returns the audit log over st; entries are written through write.
func NewAudit(st *store.Store, write WriteFunc) *Audit {
	return &Audit{st: st, write: write}
}

// Audit text is cut to these sizes so that one request cannot grow the log without bound.
const (
	maxAuditField  = 200
	maxAuditDetail = 1000
)

// Record appends an entry stamped at now. Callers pass no secrets in detail.
func (a *Audit) Record(ctx context.Context, now time.Time, actor, action, target, detail string) error {
	e := models.AuditEntry{At: telemetry.ServerTime(now), Actor: telemetry.CutUTF8(actor, maxAuditField),
		Action: telemetry.CutUTF8(action, maxAuditField), Target: telemetry.CutUTF8(target, maxAuditField),
		Detail: telemetry.CutUTF8(detail, maxAuditDetail)}
	return a.write(ctx, func(tx *store.Tx) error { return tx.InsertAudit(e) })
}

// AuditQuery selects a page of the log; empty Actor and Action match everything.
type AuditQuery struct {
	Actor, Action string
	// Page is numbered from 1; PerPage defaults to 50.
	Page, PerPage int
}

// Entries returns one page of the log, newest first, and whether a next page exists.
func (a *Audit) Entries(ctx context.Context, q AuditQuery) ([]models.AuditEntry, bool, error) {
	if q.PerPage <= 0 {
		q.PerPage = 50
	}
	if q.Page < 1 {
		q.Page = 1
	}
	rows, err := a.st.AuditEntries(ctx, store.AuditFilter{Actor: q.Actor, Action: q.Action,
		Limit: q.PerPage + 1, Offset: (q.Page - 1) * q.PerPage})
	if err != nil {
		return nil, false, err
	}
	more := len(rows) > q.PerPage
	if more {
		rows = rows[:q.PerPage]
	}
	return rows, more, nil
}
