package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
)

// InsertBadge stores a new badge and sets its ID.
func (t *Tx) InsertBadge(b *models.Badge) error {
	b.ID = 0
	return wrap("insert badge", t.db.Create(b).Error)
}

// RevokeBadge marks a badge revoked at now by who, unless it already was, and returns the row
// as stored afterwards; ErrNotFound when there is no such badge.
func (t *Tx) RevokeBadge(id int64, now, by string) (*models.Badge, error) {
	err := t.db.Model(&models.Badge{}).Where("id = ? AND revoked_at IS NULL", id).
		Updates(map[string]any{"revoked_at": now, "revoked_by": by}).Error
	if err != nil {
		return nil, wrap("revoke badge", err)
	}
	var out []models.Badge
	if err := t.db.Where("id = ?", id).Limit(1).Find(&out).Error; err != nil {
		return nil, wrap("revoke badge", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// Badges lists every badge, revoked ones included, newest first.
func (s *Store) Badges(ctx context.Context) ([]models.Badge, error) {
	out := []models.Badge{}
	err := s.db.WithContext(ctx).Order("id DESC").Find(&out).Error
	return out, wrap("badges", err)
}

// ActiveBadge loads the badge whose token has the given hash and is not revoked, or
// ErrNotFound (for an unknown token and a revoked one alike).
func (s *Store) ActiveBadge(ctx context.Context, tokenHash string) (*models.Badge, error) {
	var out []models.Badge
	err := s.db.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", tokenHash).Limit(1).Find(&out).Error
	if err != nil {
		return nil, wrap("badge", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}
