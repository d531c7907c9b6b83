package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
)

// Users lists every user, oldest first (the seeded admin leads).
func (s *Store) Users(ctx context.Context) ([]models.User, error) {
	var out []models.User
	err := s.db.WithContext(ctx).Select(userColumns).Order(`"createdAt", "id"`).Find(&out).Error
	return out, wrap("users", err)
}

// AccountProviders maps each user id to the providerIds of its accounts ("credential" for a
// password, "oidc" or "github" for single sign-on), in one query.
func (s *Store) AccountProviders(ctx context.Context) (map[string][]string, error) {
	var rows []struct {
		UserID     string `gorm:"column:userId"`
		ProviderID string `gorm:"column:providerId"`
	}
	err := s.db.WithContext(ctx).Model(&models.Account{}).Select(`"userId"`, `"providerId"`).
		Order(`"userId", "providerId"`).Find(&rows).Error
	if err != nil {
		return nil, wrap("account providers", err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], r.ProviderID)
	}
	return out, nil
}

// User loads a user inside a write transaction, locked until it ends, or ErrNotFound.
func (t *Tx) User(id string) (*models.User, error) {
	var out []models.User
	if err := t.db.Clauses(forUpdate).Select(userColumns).Where(`"id" = ?`, id).Limit(1).Find(&out).Error; err != nil {
		return nil, wrap("load user", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// UserExists reports whether a user has the (lower-case) e-mail.
func (t *Tx) UserExists(email string) (bool, error) {
	var n int64
	err := t.db.Model(&models.User{}).Where(`"email" = ?`, email).Count(&n).Error
	return n > 0, wrap("user exists", err)
}

// ActiveAdmins locks and returns the ids of the admins who are not disabled. Locking them
// makes two concurrent demotions on PostgreSQL take turns, so they cannot both see "another
// admin is left" and leave none.
func (t *Tx) ActiveAdmins() ([]string, error) {
	var out []models.User
	err := t.db.Clauses(forUpdate).Select(`"id"`).Where(`"role" = ? AND "disabledAt" IS NULL`, models.RoleAdmin).
		Order(`"id"`).Find(&out).Error
	if err != nil {
		return nil, wrap("active admins", err)
	}
	ids := make([]string, len(out))
	for i, u := range out {
		ids[i] = u.ID
	}
	return ids, nil
}

// UserChange is a patch of the user row; nil fields are left alone.
type UserChange struct {
	Name *string
	Role *models.Role
	// Disabled sets disabledAt to DisabledAt (true) or clears it (false).
	Disabled   *bool
	DisabledAt string
	UpdatedAt  string
}

// UpdateUser applies a patch to one user.
func (t *Tx) UpdateUser(id string, ch UserChange) error {
	set := map[string]any{"updatedAt": ch.UpdatedAt}
	if ch.Name != nil {
		set["name"] = *ch.Name
	}
	if ch.Role != nil {
		set["role"] = string(*ch.Role)
	}
	if ch.Disabled != nil {
		if *ch.Disabled {
			set["disabledAt"] = ch.DisabledAt
		} else {
			set["disabledAt"] = nil
		}
	}
	res := t.db.Model(&models.User{}).Where(`"id" = ?`, id).Updates(set)
	if res.Error != nil {
		return wrap("update user", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteUserSessions ends every session of a user except keepID (the caller's own, or "").
func (t *Tx) DeleteUserSessions(userID, keepID string) error {
	q := t.db.Where(`"userId" = ?`, userID)
	if keepID != "" {
		q = q.Where(`"id" <> ?`, keepID)
	}
	return wrap("delete user sessions", q.Delete(&models.Session{}).Error)
}
