package store

import (
	"context"
	"errors"
	"fmt"
)

// User is one row of the Better Auth "user" table.
type User struct {
	ID            string  `gorm:"column:id"`
	Name          string  `gorm:"column:name"`
	Email         string  `gorm:"column:email"`
	EmailVerified bool    `gorm:"column:emailVerified"`
	Image         *string `gorm:"column:image"`
	CreatedAt     string  `gorm:"column:createdAt"`
	UpdatedAt     string  `gorm:"column:updatedAt"`
}

// Session is one row of the Better Auth "session" table. Token holds the raw token for rows
// written by the reference and its SHA-256 (hex) for rows written by this service (fix D9).
type Session struct {
	ID        string  `gorm:"column:id"`
	ExpiresAt string  `gorm:"column:expiresAt"`
	Token     string  `gorm:"column:token"`
	CreatedAt string  `gorm:"column:createdAt"`
	UpdatedAt string  `gorm:"column:updatedAt"`
	IPAddress *string `gorm:"column:ipAddress"`
	UserAgent *string `gorm:"column:userAgent"`
	UserID    string  `gorm:"column:userId"`
}

// ProviderCredential is the account providerId of e-mail and password sign-in.
const ProviderCredential = "credential"

const userCols = `"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"`

func (s *Store) userWhere(ctx context.Context, where string, arg any) (*User, error) {
	var out []User
	err := s.db.WithContext(ctx).Raw(`SELECT `+userCols+` FROM "user" WHERE `+where+` LIMIT 1`, arg).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: user: %w", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// UserByEmail loads a user by (lower-case) e-mail, or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	return s.userWhere(ctx, `"email" = ?`, email)
}

// UserByID loads a user by id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	return s.userWhere(ctx, `"id" = ?`, id)
}

// PasswordHash returns the user's credential account hash, or ErrNotFound.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var out []string
	err := s.db.WithContext(ctx).Raw(`SELECT "password" FROM "account" WHERE "userId" = ? AND "providerId" = ?
		AND "password" IS NOT NULL LIMIT 1`, userID, ProviderCredential).Scan(&out).Error
	if err != nil {
		return "", fmt.Errorf("store: password hash: %w", err)
	}
	if len(out) == 0 {
		return "", ErrNotFound
	}
	return out[0], nil
}

// InsertUser inserts a user and its first account in one transaction. accountID and providerID
// name the account (the user id and "credential" for a password account); hash is the password
// hash, or "" for single sign-on accounts.
func (s *Store) InsertUser(ctx context.Context, u User, accountRowID, providerID, accountID, hash string) error {
	return s.Write(ctx, func(t *Tx) error {
		if _, err := t.exec(`INSERT INTO "user" (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Name, u.Email, u.EmailVerified, u.Image, u.CreatedAt, u.UpdatedAt); err != nil {
			return fmt.Errorf("store: insert user: %w", err)
		}
		return t.insertAccount(accountRowID, accountID, providerID, u.ID, hash, u.CreatedAt)
	})
}

func (t *Tx) insertAccount(id, accountID, providerID, userID, hash, now string) error {
	var pw any
	if hash != "" {
		pw = hash
	}
	_, err := t.exec(`INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, accountID, providerID, userID, pw, now, now)
	if err != nil {
		return fmt.Errorf("store: insert account: %w", err)
	}
	return nil
}

// SetPassword replaces the user's credential hash, creating the credential account (with row id
// newAccountID) when the user has none.
func (s *Store) SetPassword(ctx context.Context, userID, hash, newAccountID, now string) error {
	return s.Write(ctx, func(t *Tx) error {
		res, err := t.exec(`UPDATE "account" SET "password" = ?, "updatedAt" = ? WHERE "userId" = ? AND "providerId" = ?`,
			hash, now, userID, ProviderCredential)
		if err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		return t.insertAccount(newAccountID, userID, ProviderCredential, userID, hash, now)
	})
}

// HasAccount reports whether the user has an account of providerID with accountID.
func (s *Store) HasAccount(ctx context.Context, userID, providerID, accountID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM "account" WHERE "userId" = ? AND "providerId" = ? AND "accountId" = ?`,
		userID, providerID, accountID).Scan(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: has account: %w", err)
	}
	return n > 0, nil
}

// LinkAccount adds a single sign-on account to an existing user.
func (s *Store) LinkAccount(ctx context.Context, rowID, userID, providerID, accountID, now string) error {
	return s.Write(ctx, func(t *Tx) error {
		return t.insertAccount(rowID, accountID, providerID, userID, "", now)
	})
}

// InsertSession stores a new session.
func (s *Store) InsertSession(ctx context.Context, se Session) error {
	return s.Write(ctx, func(t *Tx) error {
		_, err := t.exec(`INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, se.ID, se.ExpiresAt, se.Token, se.CreatedAt, se.UpdatedAt, se.IPAddress, se.UserAgent, se.UserID)
		if err != nil {
			return fmt.Errorf("store: insert session: %w", err)
		}
		return nil
	})
}

// SessionByToken loads the session whose stored token is one of tokens (tried in order), or
// ErrNotFound.
func (s *Store) SessionByToken(ctx context.Context, tokens ...string) (*Session, error) {
	for _, tok := range tokens {
		var out []Session
		err := s.db.WithContext(ctx).Raw(`SELECT "id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId"
			FROM "session" WHERE "token" = ? LIMIT 1`, tok).Scan(&out).Error
		if err != nil {
			return nil, fmt.Errorf("store: session: %w", err)
		}
		if len(out) > 0 {
			return &out[0], nil
		}
	}
	return nil, ErrNotFound
}

// ExtendSession moves a session's expiry (sliding expiry, spec §9.3).
func (s *Store) ExtendSession(ctx context.Context, id, expiresAt, now string) error {
	return s.Write(ctx, func(t *Tx) error {
		_, err := t.exec(`UPDATE "session" SET "expiresAt" = ?, "updatedAt" = ? WHERE "id" = ?`, expiresAt, now, id)
		if err != nil {
			return fmt.Errorf("store: extend session: %w", err)
		}
		return nil
	})
}

// DeleteSession removes a session; a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.Write(ctx, func(t *Tx) error {
		_, err := t.exec(`DELETE FROM "session" WHERE "id" = ?`, id)
		if err != nil {
			return fmt.Errorf("store: delete session: %w", err)
		}
		return nil
	})
}

// IsNotFound reports whether err is ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
