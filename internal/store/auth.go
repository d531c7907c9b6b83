package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
)

// The auth tables are the original's (Better Auth). Their dates are declared DATE, which the
// SQLite driver would turn into time values; they are read as the exact text stored.
var (
	userColumns = []string{`"id"`, `"name"`, `"email"`, `"emailVerified"`, `"image"`, asText("createdAt"), asText("updatedAt"),
		`"role"`, `"disabledAt"`, `"lastSignInAt"`}
	sessionColumns = []string{`"id"`, asText("expiresAt"), `"token"`, asText("createdAt"), asText("updatedAt"),
		`"ipAddress"`, `"userAgent"`, `"userId"`}
	accountColumns = []string{`"id"`, `"accountId"`, `"providerId"`, `"userId"`, `"accessToken"`, `"refreshToken"`, `"idToken"`,
		asText("accessTokenExpiresAt"), asText("refreshTokenExpiresAt"), `"scope"`, `"password"`, asText("createdAt"), asText("updatedAt")}
	verificationColumns = []string{`"id"`, `"identifier"`, `"value"`, asText("expiresAt"), asText("createdAt"), asText("updatedAt")}
)

func asText(col string) string { return `CAST("` + col + `" AS TEXT) AS "` + col + `"` }

func (s *Store) user(ctx context.Context, where string, arg any) (*models.User, error) {
	var out []models.User
	if err := s.db.WithContext(ctx).Select(userColumns).Where(where, arg).Limit(1).Find(&out).Error; err != nil {
		return nil, wrap("user", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// UserByEmail loads a user by (lower-case) e-mail, or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*models.User, error) {
	return s.user(ctx, `"email" = ?`, email)
}

// UserByID loads a user by id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*models.User, error) {
	return s.user(ctx, `"id" = ?`, id)
}

// PasswordHash returns the user's credential account hash, or ErrNotFound.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var out []string
	err := s.db.WithContext(ctx).Model(&models.Account{}).
		Where(`"userId" = ? AND "providerId" = ? AND "password" IS NOT NULL`, userID, models.ProviderCredential).
		Limit(1).Pluck("password", &out).Error
	if err != nil {
		return "", wrap("password hash", err)
	}
	if len(out) == 0 {
		return "", ErrNotFound
	}
	return out[0], nil
}

// HasAccount reports whether the user has an account of providerID with accountID.
func (s *Store) HasAccount(ctx context.Context, userID, providerID, accountID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Account{}).
		Where(`"userId" = ? AND "providerId" = ? AND "accountId" = ?`, userID, providerID, accountID).Count(&n).Error
	return n > 0, wrap("has account", err)
}

// SessionByToken loads the session whose stored token is one of tokens (tried in order), or
// ErrNotFound.
func (s *Store) SessionByToken(ctx context.Context, tokens ...string) (*models.Session, error) {
	for _, tok := range tokens {
		var out []models.Session
		if err := s.db.WithContext(ctx).Select(sessionColumns).Where(`"token" = ?`, tok).Limit(1).Find(&out).Error; err != nil {
			return nil, wrap("session", err)
		}
		if len(out) > 0 {
			return &out[0], nil
		}
	}
	return nil, ErrNotFound
}

// InsertUser inserts a user and its first account. hash is the password hash of a credential
// account, or "" for a single sign-on account.
func (t *Tx) InsertUser(u models.User, acct models.Account) error {
	if err := t.db.Create(&u).Error; err != nil {
		return wrap("insert user", err)
	}
	return t.InsertAccount(acct)
}

// InsertAccount adds an account to an existing user.
func (t *Tx) InsertAccount(a models.Account) error {
	return wrap("insert account", t.db.Create(&a).Error)
}

// SetPassword replaces the user's credential hash, creating the credential account (as acct)
// when the user has none.
func (t *Tx) SetPassword(userID, hash, now string, acct models.Account) error {
	res := t.db.Model(&models.Account{}).Where(`"userId" = ? AND "providerId" = ?`, userID, models.ProviderCredential).
		Updates(map[string]any{"password": hash, "updatedAt": now})
	if res.Error != nil || res.RowsAffected > 0 {
		return wrap("set password", res.Error)
	}
	return t.InsertAccount(acct)
}

// InsertSession stores a new session and notes the sign-in on its user.
func (t *Tx) InsertSession(se models.Session) error {
	if err := t.db.Create(&se).Error; err != nil {
		return wrap("insert session", err)
	}
	err := t.db.Model(&models.User{}).Where(`"id" = ?`, se.UserID).Update("lastSignInAt", se.CreatedAt).Error
	return wrap("note sign-in", err)
}

// ExtendSession moves a session's expiry (sliding expiry).
func (t *Tx) ExtendSession(id, expiresAt, now string) error {
	err := t.db.Model(&models.Session{}).Where(`"id" = ?`, id).Updates(map[string]any{"expiresAt": expiresAt, "updatedAt": now}).Error
	return wrap("extend session", err)
}

// DeleteSession removes a session; a missing one is not an error.
func (t *Tx) DeleteSession(id string) error {
	return wrap("delete session", t.db.Where(`"id" = ?`, id).Delete(&models.Session{}).Error)
}
