package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
)

// InsertAudit appends one entry to the audit log.
func (t *Tx) InsertAudit(e models.AuditEntry) error {
	e.ID = 0 // the database numbers entries; their order is the log's order
	return wrap("insert audit entry", t.db.Create(&e).Error)
}

// AuditFilter selects audit entries; empty fields match everything.
type AuditFilter struct {
	Actor, Action string
	Limit, Offset int
}

// AuditEntries returns the matching entries, newest first.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter) ([]models.AuditEntry, error) {
	q := s.db.WithContext(ctx).Model(&models.AuditEntry{})
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var out []models.AuditEntry
	return out, wrap("audit entries", q.Order("id DESC").Find(&out).Error)
}
