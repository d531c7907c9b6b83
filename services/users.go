package services

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
)

// Sentinel errors of user management.
var (
	// ErrLastAdmin: the change would leave no active admin, and nobody could manage users.
	ErrLastAdmin = errors.New("services: the last active admin cannot be demoted or disabled")
	// ErrUserExists: another user has the e-mail address.
	ErrUserExists = errors.New("services: a user with this e-mail already exists")
	// ErrUserDisabled: the password was right but an admin disabled the account.
	ErrUserDisabled = errors.New("services: user disabled")
)

// generatedPasswordLen is the length of generated passwords: 20 letters and digits are about
// 119 bits, far beyond guessing, and still short enough to copy by hand.
const generatedPasswordLen = 20

// Users is user management: list, create, change role or name, disable, reset password.
// Every write goes through the writer.
type Users struct {
	st       *store.Store
	write    WriteFunc
	now      func() time.Time
	validate *validator.Validate
}

// NewUsers returns the user management service; now is read at every change.
func NewUsers(st *store.Store, write WriteFunc, now func() time.Time) *Users {
	v := newValidator()
	return &Users{st: st, write: write, now: now, validate: v}
}

// UserCreateRequest is the body of POST /v1/users and of the invite form. An empty password
// asks for a generated one.
type UserCreateRequest struct {
	Email    string `json:"email" validate:"required,max=254,addr"`
	Name     string `json:"name" validate:"max=100"`
	Role     string `json:"role" validate:"required,oneof=admin viewer"`
	Password string `json:"password" validate:"omitempty,min=8,max=128"`
}

// UserPatchRequest is the body of PATCH /v1/users/:id; nil fields are left alone.
type UserPatchRequest struct {
	Name     *string `json:"name" validate:"omitempty,min=1,max=100"`
	Role     *string `json:"role" validate:"omitempty,oneof=admin viewer"`
	Disabled *bool   `json:"disabled"`
}

// List returns every user with how they sign in, oldest first.
func (u *Users) List(ctx context.Context) ([]models.UserSummary, error) {
	users, err := u.st.Users(ctx)
	if err != nil {
		return nil, err
	}
	providers, err := u.st.AccountProviders(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]models.UserSummary, 0, len(users))
	for _, usr := range users {
		s := models.UserSummary{User: usr}
		for _, p := range providers[usr.ID] {
			if p == models.ProviderCredential {
				s.Password = true
			} else {
				s.SSO = append(s.SSO, p)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Get returns one user, or store.ErrNotFound.
func (u *Users) Get(ctx context.Context, id string) (*models.User, error) {
	return u.st.UserByID(ctx, id)
}

// Create adds a password user. It returns the user and, when the request had no password, the
// generated one: the only time it exists in clear.
func (u *Users) Create(ctx context.Context, req UserCreateRequest) (models.User, string, error) {
	req.Email, req.Name = NormalizeEmail(req.Email), strings.TrimSpace(req.Name)
	if err := validateInput(u.validate, &req); err != nil {
		return models.User{}, "", err
	}
	generated := ""
	if req.Password == "" {
		generated = RandomID(generatedPasswordLen)
		req.Password = generated
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return models.User{}, "", err
	}
	if req.Name == "" {
		req.Name, _, _ = strings.Cut(req.Email, "@")
	}
	now := u.now().Format(isoMillis)
	id := RandomID(32)
	nu := models.User{ID: id, Name: req.Name, Email: req.Email, Role: models.Role(req.Role), CreatedAt: now, UpdatedAt: now}
	err = u.write(ctx, func(tx *store.Tx) error {
		// The unique index on e-mail is the guard against a race; this check names the problem.
		exists, err := tx.UserExists(nu.Email)
		if err != nil {
			return err
		}
		if exists {
			return ErrUserExists
		}
		return tx.InsertUser(nu, credentialAccount(id, hash, now))
	})
	if err != nil {
		return models.User{}, "", err
	}
	return nu, generated, nil
}

// Update applies a patch and returns the user before and after. Demoting or disabling the
// last active admin is ErrLastAdmin; disabling ends the user's sessions at once.
func (u *Users) Update(ctx context.Context, id string, req UserPatchRequest) (before, after models.User, err error) {
	if req.Name != nil {
		n := strings.TrimSpace(*req.Name)
		req.Name = &n
	}
	if err := validateInput(u.validate, &req); err != nil {
		return before, after, err
	}
	now := u.now().Format(isoMillis)
	err = u.write(ctx, func(tx *store.Tx) error {
		cur, err := tx.User(id)
		if err != nil {
			return err
		}
		before, after = *cur, *cur
		ch := store.UserChange{Name: req.Name, Disabled: req.Disabled, DisabledAt: now, UpdatedAt: now}
		if req.Name != nil {
			after.Name = *req.Name
		}
		if req.Role != nil {
			r := models.Role(*req.Role)
			ch.Role, after.Role = &r, r
		}
		if req.Disabled != nil {
			if !*req.Disabled {
				after.DisabledAt = nil
			} else if cur.DisabledAt == nil {
				after.DisabledAt = &now
			} else {
				ch.DisabledAt = *cur.DisabledAt // disabling twice keeps the first time
			}
		}
		if before.IsAdmin() && !after.IsAdmin() {
			if err := lastAdminGuard(tx, id); err != nil {
				return err
			}
		}
		if err := tx.UpdateUser(id, ch); err != nil {
			return err
		}
		if after.Disabled() {
			return tx.DeleteUserSessions(id, "")
		}
		return nil
	})
	return before, after, err
}

// lastAdminGuard refuses a change that takes the admin id away when no other active admin is left.
func lastAdminGuard(tx *store.Tx, id string) error {
	admins, err := tx.ActiveAdmins()
	if err != nil {
		return err
	}
	for _, a := range admins {
		if a != id {
			return nil
		}
	}
	return ErrLastAdmin
}

// ResetPassword gives the user a new generated password (creating a password account for a
// single sign-on user) and ends their sessions except keepSession, the caller's own, so that
// whoever knew the old password is signed out. The password is returned once, never stored in clear.
func (u *Users) ResetPassword(ctx context.Context, id, keepSession string) (models.User, string, error) {
	pw := RandomID(generatedPasswordLen)
	hash, err := HashPassword(pw)
	if err != nil {
		return models.User{}, "", err
	}
	now := u.now().Format(isoMillis)
	var usr models.User
	err = u.write(ctx, func(tx *store.Tx) error {
		cur, err := tx.User(id)
		if err != nil {
			return err
		}
		usr = *cur
		if err := tx.SetPassword(id, hash, now, credentialAccount(id, hash, now)); err != nil {
			return err
		}
		return tx.DeleteUserSessions(id, keepSession)
	})
	if err != nil {
		return models.User{}, "", err
	}
	return usr, pw, nil
}

// DescribeUserChange is the audit detail of a patch: "role viewer → admin, disabled".
func DescribeUserChange(before, after models.User) string {
	var parts []string
	if before.Name != after.Name {
		parts = append(parts, "name "+strconv.Quote(before.Name)+" → "+strconv.Quote(after.Name))
	}
	if before.Role != after.Role {
		parts = append(parts, "role "+before.Role.String()+" → "+after.Role.String())
	}
	if before.Disabled() != after.Disabled() {
		if after.Disabled() {
			parts = append(parts, "disabled")
		} else {
			parts = append(parts, "enabled")
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}
