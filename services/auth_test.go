package services

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
)

// Vectors computed independently with Node's crypto.scryptSync and createHmac, the primitives
// Better Auth uses.
const (
	nodeSalt = "0123456789abcdef0123456789abcdef"
	nodeHash = nodeSalt + ":91ee596c77a38430ad95d8600af77ab5db1d93456ad87a0d5aa2b352226d5a24cd448d13f2996471446c969a7d3ef8a877f1b33e4c9eac0c9fd97d92cf4c7e27"
	// "ﬃ-pässword" NFKC-normalised before hashing.
	nodeHashNFKC = nodeSalt + ":6452b16ba1de4234f7e44163e42d19cef944d96ad8b36fb3f7214b20f1d57a19238df9b538080ea44feaa0483f15c154dc3afc6fc8c769535e8ccfc5c57800c5"
	nodeSecret   = "replace-with-32-char-secret-key"
	nodeToken    = "hV3kP9abcdefghijABCDEFGHIJ012345"
	nodeCookie   = "hV3kP9abcdefghijABCDEFGHIJ012345.obkwrLkVqbWHCiFK7iXlZu%2BoPq6WGUPPj%2FFOkIuhbgc%3D"
)

func TestVerifyPasswordBetterAuthVectors(t *testing.T) {
	tests := []struct {
		name, hash, pw string
		want           bool
	}{
		{"reference hash", nodeHash, "change-me-please", true},
		{"wrong password", nodeHash, "change-me-please!", false},
		{"NFKC normalised", nodeHashNFKC, "ffi-pässword", true},
		{"NFKC source form", nodeHashNFKC, "ﬃ-pässword", true},
		{"malformed", "nocolon", "x", false},
		{"short key", nodeSalt + ":abcd", "x", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyPassword(tc.hash, tc.pw); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHashPasswordFormat(t *testing.T) {
	h, err := HashPassword("s3cret-password")
	if err != nil {
		t.Fatal(err)
	}
	salt, key, ok := strings.Cut(h, ":")
	if !ok || len(salt) != 32 || len(key) != 128 || strings.ToLower(h) != h {
		t.Fatalf("hash %q: want <32 hex>:<128 hex>", h)
	}
	if !VerifyPassword(h, "s3cret-password") {
		t.Errorf("a fresh hash does not verify")
	}
}

type authRig struct {
	st   *store.Store
	auth *Auth
	now  time.Time
	ctx  context.Context
}

func newAuthRig(t *testing.T) *authRig {
	t.Helper()
	r := &authRig{st: testutil.NewStore(t), now: testutil.Time(t, "2026-03-04T09:00:00Z"), ctx: context.Background()}
	a, err := NewAuth(r.st, r.st.Write, nodeSecret)
	if err != nil {
		t.Fatal(err)
	}
	a.SetClock(func() time.Time { return r.now })
	r.auth = a
	return r
}

func (r *authRig) count(t *testing.T, table string) int64 {
	t.Helper()
	var n int64
	if err := r.st.DB().Raw(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCookieValueMatchesBetterAuth(t *testing.T) {
	r := newAuthRig(t)
	if got := url.QueryEscape(r.auth.CookieValue(nodeToken)); got != nodeCookie {
		t.Errorf("cookie: got %q, want %q", got, nodeCookie)
	}
}

func TestSeedAdmin(t *testing.T) {
	r := newAuthRig(t)
	created, err := r.auth.SeedAdmin(r.ctx, "  Admin@Example.ORG ", "first-password", false)
	if err != nil || !created {
		t.Fatalf("seed: created=%v err=%v", created, err)
	}
	if n := r.count(t, "session"); n != 0 {
		t.Errorf("sessions after seeding: got %d, want 0 (fix D6)", n)
	}
	u, err := r.st.UserByEmail(r.ctx, "admin@example.org")
	if err != nil || u.Name != "admin" || u.EmailVerified {
		t.Fatalf("user: %+v, %v", u, err)
	}
	// A changed variable is ignored without reset ...
	if created, err := r.auth.SeedAdmin(r.ctx, "admin@example.org", "second-password", false); err != nil || created {
		t.Fatalf("reseed: created=%v err=%v", created, err)
	}
	if _, err := r.auth.SignIn(r.ctx, "admin@example.org", "first-password", ClientMeta{}); err != nil {
		t.Errorf("old password after a plain restart: %v", err)
	}
	// ... and applied with MONITOR_AUTH_ADMIN_RESET=true.
	if _, err := r.auth.SeedAdmin(r.ctx, "admin@example.org", "second-password", true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.auth.SignIn(r.ctx, "admin@example.org", "first-password", ClientMeta{}); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("old password after reset: got %v, want ErrInvalidCredentials", err)
	}
	if _, err := r.auth.SignIn(r.ctx, "ADMIN@example.org", "second-password", ClientMeta{}); err != nil {
		t.Errorf("new password after reset: %v", err)
	}
	for _, tc := range []struct{ name, email, pw string }{
		{"bad email", "not-an-email", "long-enough"},
		{"short password", "x@example.org", "short"},
		{"long password", "x@example.org", strings.Repeat("p", 129)},
	} {
		if _, err := r.auth.SeedAdmin(r.ctx, tc.email, tc.pw, false); err == nil {
			t.Errorf("%s: seeding succeeded, want an error", tc.name)
		}
	}
}

func TestSignInAndSessions(t *testing.T) {
	r := newAuthRig(t)
	if _, err := r.auth.SeedAdmin(r.ctx, "admin@example.org", "right-password", false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, email, pw string
		want            error
	}{
		{"unknown user", "nobody@example.org", "right-password", ErrInvalidCredentials},
		{"wrong password", "admin@example.org", "wrong-password", ErrInvalidCredentials},
		{"invalid email", "admin", "right-password", ErrInvalidEmail},
	} {
		if _, err := r.auth.SignIn(r.ctx, tc.email, tc.pw, ClientMeta{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	cur, err := r.auth.SignIn(r.ctx, "admin@example.org", "right-password", ClientMeta{IP: "10.0.0.1", UserAgent: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if cur.Session.Token == cur.Token || len(cur.Session.Token) != 64 {
		t.Errorf("stored token %q: want the sha256 hex of the raw token (fix D9)", cur.Session.Token)
	}
	cookie := r.auth.CookieValue(cur.Token)
	got, err := r.auth.Resolve(r.ctx, cookie)
	if err != nil || got.User.Email != "admin@example.org" || got.Extended {
		t.Fatalf("resolve: %+v, %v", got, err)
	}
	if _, err := r.auth.Resolve(r.ctx, cur.Token+".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="); !errors.Is(err, ErrNoSession) {
		t.Errorf("bad signature: got %v, want ErrNoSession", err)
	}

	// Sliding expiry: more than a day after the last extension, the expiry moves.
	r.now = r.now.Add(25 * time.Hour)
	got, err = r.auth.Resolve(r.ctx, cookie)
	if err != nil || !got.Extended || got.Session.ExpiresAt != "2026-03-12T10:00:00.000Z" {
		t.Fatalf("slide: %+v, %v", got, err)
	}
	// Idle expiry: 7 days without use.
	r.now = r.now.Add(7*24*time.Hour + time.Second)
	if _, err := r.auth.Resolve(r.ctx, cookie); !errors.Is(err, ErrNoSession) {
		t.Errorf("idle-expired: got %v, want ErrNoSession", err)
	}
	if n := r.count(t, "session"); n != 0 {
		t.Errorf("expired session not deleted: %d rows", n)
	}
}

func TestAbsoluteExpiryAndSignOut(t *testing.T) {
	r := newAuthRig(t)
	if _, err := r.auth.SeedAdmin(r.ctx, "admin@example.org", "right-password", false); err != nil {
		t.Fatal(err)
	}
	cur, err := r.auth.SignIn(r.ctx, "admin@example.org", "right-password", ClientMeta{})
	if err != nil {
		t.Fatal(err)
	}
	cookie := r.auth.CookieValue(cur.Token)
	for day := 1; day < 30; day++ { // used daily, the session slides ...
		r.now = r.now.Add(24*time.Hour + time.Minute)
		if _, err := r.auth.Resolve(r.ctx, cookie); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
	}
	r.now = r.now.Add(24 * time.Hour) // ... but not past 30 days from creation.
	if _, err := r.auth.Resolve(r.ctx, cookie); !errors.Is(err, ErrNoSession) {
		t.Errorf("after 30 days: got %v, want ErrNoSession", err)
	}

	cur, _ = r.auth.SignIn(r.ctx, "admin@example.org", "right-password", ClientMeta{})
	if err := r.auth.SignOut(r.ctx, cur.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.auth.Resolve(r.ctx, r.auth.CookieValue(cur.Token)); !errors.Is(err, ErrNoSession) {
		t.Errorf("after sign-out: got %v, want ErrNoSession", err)
	}
}

// A session written by the reference stores the raw token; its cookie keeps working (Tier 3).
func TestLegacySessionRawToken(t *testing.T) {
	r := newAuthRig(t)
	if _, err := r.auth.SeedAdmin(r.ctx, "admin@example.org", "right-password", false); err != nil {
		t.Fatal(err)
	}
	u, _ := r.st.UserByEmail(r.ctx, "admin@example.org")
	err := r.st.Write(r.ctx, func(tx *store.Tx) error {
		return tx.InsertSession(models.Session{ID: "legacy", Token: nodeToken, UserID: u.ID,
			CreatedAt: "2026-03-03T09:00:00.000Z", UpdatedAt: "2026-03-03T09:00:00.000Z", ExpiresAt: "2026-03-10T09:00:00.000Z"})
	})
	if err != nil {
		t.Fatal(err)
	}
	cookie, _ := url.QueryUnescape(nodeCookie)
	cur, err := r.auth.Resolve(r.ctx, cookie)
	if err != nil || cur.Session.ID != "legacy" {
		t.Fatalf("legacy cookie: %+v, %v", cur, err)
	}
}

func TestSignInSSO(t *testing.T) {
	r := newAuthRig(t)
	policy := SSOPolicy{Emails: []string{"boss@other.org"}, Domains: []string{"example.org"}}
	tests := []struct {
		name string
		id   SSOIdentity
		ok   bool
	}{
		{"allowed domain", SSOIdentity{Provider: "oidc", Subject: "s1", Email: "Jane@Example.org", EmailVerified: true}, true},
		{"allowed e-mail", SSOIdentity{Provider: "github", Subject: "42", Email: "boss@other.org", EmailVerified: true}, true},
		{"other domain", SSOIdentity{Provider: "oidc", Subject: "s2", Email: "eve@evil.org", EmailVerified: true}, false},
		{"suffix is not a domain match", SSOIdentity{Provider: "oidc", Subject: "s3", Email: "eve@notexample.org", EmailVerified: true}, false},
		{"unverified", SSOIdentity{Provider: "oidc", Subject: "s4", Email: "joe@example.org"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur, err := r.auth.SignInSSO(r.ctx, tc.id, policy, ClientMeta{})
			if tc.ok != (err == nil) {
				t.Fatalf("got err %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok && !errors.Is(err, ErrNotAllowed) {
				t.Errorf("got %v, want ErrNotAllowed", err)
			}
			if tc.ok && cur.User.Email != NormalizeEmail(tc.id.Email) {
				t.Errorf("user: got %q", cur.User.Email)
			}
		})
	}
	// The second sign-in reuses the user; another provider links to it.
	if _, err := r.auth.SignInSSO(r.ctx, SSOIdentity{Provider: "github", Subject: "7", Email: "jane@example.org", EmailVerified: true}, policy, ClientMeta{}); err != nil {
		t.Fatal(err)
	}
	if n := r.count(t, "user"); n != 2 {
		t.Errorf("users: got %d, want 2", n)
	}
	if n := r.count(t, "account"); n != 3 {
		t.Errorf("accounts: got %d, want 3", n)
	}
}
