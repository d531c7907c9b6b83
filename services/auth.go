package services

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

// Sentinel errors of the Auth service.
var (
	// ErrInvalidCredentials: unknown user, no password account, or a wrong password.
	ErrInvalidCredentials = errors.New("services: invalid email or password")
	// ErrInvalidEmail: the e-mail address is not syntactically valid.
	ErrInvalidEmail = errors.New("services: invalid email")
	// ErrNoSession: the cookie is missing, badly signed, unknown or expired.
	ErrNoSession = errors.New("services: no session")
	// ErrNotAllowed: a single sign-on identity is not on the allow-list.
	ErrNotAllowed = errors.New("services: sign-in not allowed")
)

// Session lifetimes and the absolute limit this service adds.
const (
	SessionTTL         = 7 * 24 * time.Hour
	SessionUpdateAge   = 24 * time.Hour
	SessionAbsoluteTTL = 30 * 24 * time.Hour
)

// isoMillis is how Better Auth writes dates (toISOString).
const isoMillis = "2006-01-02T15:04:05.000Z"

// Auth is browser authentication: the seeded admin, password sign-in, single sign-on users
// and server-side sessions in the Better Auth tables.
type Auth struct {
	st     *store.Store
	write  WriteFunc // the writer's Do: sign-ins and sessions are writes like any other
	secret []byte
	now    func() time.Time
	users  *Users
}

// dummyHash is verified against when the user is unknown, so timing reveals nothing. Any
// well-formed hash does; nobody knows a password for this one.
const dummyHash = "5f1a3c0e9b7d2a4c6e8f0a1b3c5d7e9f:" +
	"0b9e6c1f4a7d2e5b8c1f4a7d0e3b6c9f2a5d8e1b4c7f0a3d6e9b2c5f8a1d4e7b" +
	"0c3f6a9d2e5b8c1f4a7d0e3b6c9f2a5d8e1b4c7f0a3d6e9b2c5f8a1d4e7b0c3f"

// NewAuth returns the Auth service; secret is MONITOR_AUTH_SECRET.
func NewAuth(st *store.Store, write WriteFunc, secret string) (*Auth, error) {
	a := &Auth{st: st, write: write, secret: []byte(secret), now: utcNow}
	// The user service reads the clock through a, so SetClock reaches it too.
	a.users = NewUsers(st, write, func() time.Time { return a.now() })
	return a, nil
}

// Users returns user management over the same tables.
func (a *Auth) Users() *Users { return a.users }

// SetClock replaces the clock (tests).
func (a *Auth) SetClock(now func() time.Time) { a.now = now }

// ClientMeta is what a new session records about the browser.
type ClientMeta struct {
	IP        string
	UserAgent string
}

// Current is a resolved session with its user.
type Current struct {
	Session models.Session
	User    models.User
	// Token is the raw session token from the cookie.
	Token string
	// Extended is true when this read moved the expiry (the cookie should be re-set).
	Extended bool
}

// ---- passwords ----

const (
	scryptN, scryptR, scryptP, scryptKeyLen = 16384, 16, 1, 64
)

// HashPassword hashes pw in Better Auth's format "<saltHex>:<keyHex>": scrypt N=16384, r=16,
// p=1, 64 bytes, over the NFKC-normalised password, salted with the ASCII bytes of the hex salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("services: hash password: %w", err)
	}
	saltHex := hex.EncodeToString(salt)
	key, err := scrypt.Key([]byte(norm.NFKC.String(pw)), []byte(saltHex), scryptN, scryptR, scryptP, scryptKeyLen)
	if err != nil {
		return "", fmt.Errorf("services: hash password: %w", err)
	}
	return saltHex + ":" + hex.EncodeToString(key), nil
}

// VerifyPassword checks pw against a Better Auth hash in constant time.
func VerifyPassword(hash, pw string) bool {
	saltHex, keyHex, ok := strings.Cut(hash, ":")
	if !ok {
		return false
	}
	want, err := hex.DecodeString(keyHex)
	if err != nil || len(want) != scryptKeyLen {
		return false
	}
	got, err := scrypt.Key([]byte(norm.NFKC.String(pw)), []byte(saltHex), scryptN, scryptR, scryptP, scryptKeyLen)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

// ---- ids, tokens and cookies ----

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomID returns n random alphanumeric characters, like Better Auth's ids and tokens.
func RandomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// hashToken is how new sessions store their token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Sign returns the standard base64 HMAC-SHA256 of msg under the auth secret.
func (a *Auth) Sign(msg string) string {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// CookieValue is the session cookie value "<token>.<signature>" (before URL-encoding).
func (a *Auth) CookieValue(token string) string {
	return token + "." + a.Sign(token)
}

// tokenFromCookie verifies a URL-decoded cookie value and returns its token.
func (a *Auth) tokenFromCookie(v string) (string, bool) {
	i := strings.LastIndexByte(v, '.')
	if i <= 0 {
		return "", false
	}
	token, sig := v[:i], v[i+1:]
	if len(sig) != 44 || !strings.HasSuffix(sig, "=") {
		return "", false
	}
	return token, hmac.Equal([]byte(sig), []byte(a.Sign(token)))
}

// ---- admin seeding ----

// NormalizeEmail trims and lower-cases an e-mail address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s is a plain addr-spec ("a@b.c").
func ValidEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && strings.Contains(s[strings.IndexByte(s, '@'):], ".")
}

// SeedAdmin creates the admin from the environment when no user has that e-mail, and makes an
// existing user with that e-mail an admin again (the way back in for someone who locked
// themselves out); with reset it also re-applies the password and enables the user. It never
// creates a session.
func (a *Auth) SeedAdmin(ctx context.Context, rawEmail, password string, reset bool) (created bool, err error) {
	email := NormalizeEmail(rawEmail)
	if !ValidEmail(email) {
		return false, fmt.Errorf("services: seed admin: %w: %q", ErrInvalidEmail, email)
	}
	if n := utf8.RuneCountInString(password); n < 8 || n > 128 {
		return false, fmt.Errorf("services: seed admin: password must be 8 to 128 characters (got %d)", n)
	}
	now := a.now().Format(isoMillis)
	u, err := a.st.UserByEmail(ctx, email)
	switch {
	case err == nil:
		admin := models.RoleAdmin
		ch := store.UserChange{Role: &admin, UpdatedAt: now}
		if !reset {
			if u.Role == models.RoleAdmin {
				return false, nil
			}
			return false, a.write(ctx, func(tx *store.Tx) error { return tx.UpdateUser(u.ID, ch) })
		}
		hash, err := HashPassword(password)
		if err != nil {
			return false, err
		}
		enabled := false
		ch.Disabled = &enabled
		return false, a.write(ctx, func(tx *store.Tx) error {
			if err := tx.UpdateUser(u.ID, ch); err != nil {
				return err
			}
			return tx.SetPassword(u.ID, hash, now, credentialAccount(u.ID, hash, now))
		})
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return false, err
	}
	name, _, _ := strings.Cut(email, "@")
	if name == "" {
		name = "admin"
	}
	id := RandomID(32)
	user := models.User{ID: id, Name: name, Email: email, Role: models.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	if err := a.write(ctx, func(tx *store.Tx) error {
		return tx.InsertUser(user, credentialAccount(id, hash, now))
	}); err != nil {
		// Several instances may start together on one database: if another one seeded the
		// admin first, that is the outcome wanted.
		if _, lookupErr := a.st.UserByEmail(ctx, email); lookupErr == nil {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// ---- sign-in and sessions ----

// SignIn checks an e-mail and password and opens a session. A disabled user with the right
// password gets ErrUserDisabled (only someone who knows the password learns it is disabled).
func (a *Auth) SignIn(ctx context.Context, rawEmail, password string, meta ClientMeta) (*Current, error) {
	email := NormalizeEmail(rawEmail)
	if !ValidEmail(email) {
		return nil, ErrInvalidEmail
	}
	u, err := a.st.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		VerifyPassword(dummyHash, password)
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	hash, err := a.st.PasswordHash(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		VerifyPassword(dummyHash, password)
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	if !VerifyPassword(hash, password) {
		return nil, ErrInvalidCredentials
	}
	if u.Disabled() {
		return nil, ErrUserDisabled
	}
	return a.openSession(ctx, *u, meta)
}

func (a *Auth) openSession(ctx context.Context, u models.User, meta ClientMeta) (*Current, error) {
	now := a.now()
	token := RandomID(32)
	se := models.Session{ID: RandomID(32), ExpiresAt: now.Add(SessionTTL).Format(isoMillis), Token: hashToken(token),
		CreatedAt: now.Format(isoMillis), UpdatedAt: now.Format(isoMillis), UserID: u.ID,
		IPAddress: &meta.IP, UserAgent: &meta.UserAgent}
	if err := a.write(ctx, func(tx *store.Tx) error { return tx.InsertSession(se) }); err != nil {
		return nil, err
	}
	u.LastSignInAt = &se.CreatedAt
	return &Current{Session: se, User: u, Token: token}, nil
}

// Resolve reads a session cookie value (URL-decoded): it checks the signature, finds the session
// by hashed token (or raw token, for sessions written by the reference), enforces the idle and
// absolute expiry, deletes an expired session, and slides the expiry when it is older than a day.
func (a *Auth) Resolve(ctx context.Context, cookie string) (*Current, error) {
	token, ok := a.tokenFromCookie(cookie)
	if !ok {
		return nil, ErrNoSession
	}
	se, err := a.st.SessionByToken(ctx, hashToken(token), token)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	now := a.now()
	expires, okE := telemetry.ParseTime(se.ExpiresAt)
	created, okC := telemetry.ParseTime(se.CreatedAt)
	if !okE || !expires.After(now) || (okC && !created.Add(SessionAbsoluteTTL).After(now)) {
		if err := a.SignOut(ctx, se.ID); err != nil {
			return nil, err
		}
		return nil, ErrNoSession
	}
	u, err := a.st.UserByID(ctx, se.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled() {
		// Disabling deletes the sessions; this catches one opened in the same instant.
		if err := a.SignOut(ctx, se.ID); err != nil {
			return nil, err
		}
		return nil, ErrNoSession
	}
	cur := &Current{Session: *se, User: *u, Token: token}
	if !expires.Add(-SessionTTL + SessionUpdateAge).After(now) {
		next := now.Add(SessionTTL)
		if okC && next.After(created.Add(SessionAbsoluteTTL)) {
			next = created.Add(SessionAbsoluteTTL)
		}
		cur.Session.ExpiresAt, cur.Session.UpdatedAt = next.Format(isoMillis), now.Format(isoMillis)
		if err := a.write(ctx, func(tx *store.Tx) error {
			return tx.ExtendSession(se.ID, cur.Session.ExpiresAt, cur.Session.UpdatedAt)
		}); err != nil {
			return nil, err
		}
		cur.Extended = true
	}
	return cur, nil
}

// MaxAge is how long the cookie of cur should live from now.
func (a *Auth) MaxAge(cur *Current) time.Duration {
	t, ok := telemetry.ParseTime(cur.Session.ExpiresAt)
	if !ok {
		return 0
	}
	return t.Sub(a.now())
}

// SignOut deletes a session.
func (a *Auth) SignOut(ctx context.Context, sessionID string) error {
	return a.write(ctx, func(tx *store.Tx) error { return tx.DeleteSession(sessionID) })
}

// ---- single sign-on ----

// SSOIdentity is a user as reported by a single sign-on provider.
type SSOIdentity struct {
	// Provider is the account providerId ("oidc", "github").
	Provider string
	// Subject is the provider's stable user id.
	Subject string
	Email   string
	Name    string
	// EmailVerified is false when the provider says the address is unverified.
	EmailVerified bool
}

// SSOPolicy is the allow-list of single sign-on identities, and the list of those who are admins.
type SSOPolicy struct {
	// Emails and Domains are lower-case; an identity passes if either matches. Both empty
	// lets nobody in.
	Emails, Domains []string
	// AdminEmails and AdminDomains (lower-case) name the identities that sign in as admins;
	// every other single sign-on user is a viewer until an admin promotes them.
	AdminEmails, AdminDomains []string
}

// Allows reports whether the (normalised) e-mail is on the allow-list.
func (p SSOPolicy) Allows(email string) bool { return matchEmail(email, p.Emails, p.Domains) }

// Admin reports whether the (normalised) e-mail is on the admin list.
func (p SSOPolicy) Admin(email string) bool { return matchEmail(email, p.AdminEmails, p.AdminDomains) }

func matchEmail(email string, emails, domains []string) bool {
	for _, e := range emails {
		if e == email {
			return true
		}
	}
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return false
	}
	for _, d := range domains {
		if d == domain {
			return true
		}
	}
	return false
}

// ParseEmailList splits "a@x.org, @y.org" into exact addresses and domains, lower-cased.
func ParseEmailList(items []string) (emails, domains []string) {
	for _, it := range items {
		it = NormalizeEmail(it)
		switch {
		case it == "":
		case strings.HasPrefix(it, "@"):
			domains = append(domains, strings.TrimPrefix(it, "@"))
		default:
			emails = append(emails, it)
		}
	}
	return emails, domains
}

// SignInSSO opens a session for an allowed single sign-on identity, creating the user on first
// sign-in and linking the provider account to an existing user with the same e-mail. A new
// user is an admin when the policy says so and a viewer otherwise; an existing viewer on the
// admin list is promoted (never demoted: an admin may have promoted them by hand). A disabled
// user is not let in.
func (a *Auth) SignInSSO(ctx context.Context, id SSOIdentity, policy SSOPolicy, meta ClientMeta) (*Current, error) {
	email := NormalizeEmail(id.Email)
	if !id.EmailVerified || !ValidEmail(email) || !policy.Allows(email) || id.Subject == "" {
		return nil, fmt.Errorf("%w: %q", ErrNotAllowed, email)
	}
	now := a.now().Format(isoMillis)
	u, err := a.st.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		name := strings.TrimSpace(id.Name)
		if name == "" {
			name, _, _ = strings.Cut(email, "@")
		}
		role := models.RoleViewer
		if policy.Admin(email) {
			role = models.RoleAdmin
		}
		nu := models.User{ID: RandomID(32), Name: name, Email: email, EmailVerified: true, Role: role, CreatedAt: now, UpdatedAt: now}
		if err := a.write(ctx, func(tx *store.Tx) error { return tx.InsertUser(nu, ssoAccount(nu.ID, id, now)) }); err != nil {
			return nil, err
		}
		u = &nu
	case err != nil:
		return nil, err
	case u.Disabled():
		return nil, fmt.Errorf("%w: %q is disabled", ErrNotAllowed, email)
	default:
		if policy.Admin(email) && u.Role != models.RoleAdmin {
			admin := models.RoleAdmin
			if err := a.write(ctx, func(tx *store.Tx) error {
				return tx.UpdateUser(u.ID, store.UserChange{Role: &admin, UpdatedAt: now})
			}); err != nil {
				return nil, err
			}
			u.Role = admin
		}
		has, err := a.st.HasAccount(ctx, u.ID, id.Provider, id.Subject)
		if err != nil {
			return nil, err
		}
		if !has {
			if err := a.write(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ssoAccount(u.ID, id, now)) }); err != nil {
				return nil, err
			}
		}
	}
	return a.openSession(ctx, *u, meta)
}

// credentialAccount is a new password account of a user.
func credentialAccount(userID, hash, now string) models.Account {
	return models.Account{ID: RandomID(32), AccountID: userID, ProviderID: models.ProviderCredential, UserID: userID,
		Password: &hash, CreatedAt: now, UpdatedAt: now}
}

// ssoAccount is a new single sign-on account of a user.
func ssoAccount(userID string, id SSOIdentity, now string) models.Account {
	return models.Account{ID: RandomID(32), AccountID: id.Subject, ProviderID: id.Provider, UserID: userID,
		CreatedAt: now, UpdatedAt: now}
}
