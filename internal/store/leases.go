package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm/clause"
)

// TryLease takes or renews the named lease for holder until expiresMs, unless another holder
// owns an unexpired one. It reports whether holder owns the lease now.
func (t *Tx) TryLease(name, holder string, nowMs, expiresMs int64, ts string) (bool, error) {
	mine := models.Lease{Name: name, Holder: holder, ExpiresMs: expiresMs, UpdatedAt: ts}
	if err := t.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&mine).Error; err != nil {
		return false, wrap("lease", err)
	}
	// Take it over only if it is ours already or has expired; the row lock of the UPDATE
	// decides between instances trying at the same moment.
	res := t.db.Model(&models.Lease{}).Where("name = ? AND (holder = ? OR expires_ms <= ?)", name, holder, nowMs).
		Updates(map[string]any{"holder": holder, "expires_ms": expiresMs, "updated_at": ts})
	return res.RowsAffected == 1, wrap("lease", res.Error)
}

// Lease reads the named lease, or ErrNotFound.
func (s *Store) Lease(ctx context.Context, name string) (models.Lease, error) {
	var rows []models.Lease
	if err := s.db.WithContext(ctx).Where("name = ?", name).Limit(1).Find(&rows).Error; err != nil {
		return models.Lease{}, wrap("lease", err)
	}
	if len(rows) == 0 {
		return models.Lease{}, ErrNotFound
	}
	return rows[0], nil
}
