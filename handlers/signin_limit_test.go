package handlers

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/testutil"
)

func TestFailureCounterDelays(t *testing.T) {
	f := newFailureCounter(5, 15*time.Minute)
	t0 := testutil.Time(t, "2026-03-04T10:00:00Z")
	now := t0
	for range 4 {
		f.fail("a", now)
	}
	if w := f.wait("a", now); w != 0 {
		t.Fatalf("after 4 failures: refused for %v, want 0", w)
	}
	// From the 5th failure on, each failure (made once the lock is over) doubles the lock.
	for i, want := range []time.Duration{1, 2, 4, 8, 15, 15} {
		f.fail("a", now)
		if w := f.wait("a", now); w != want*time.Minute {
			t.Fatalf("after %d failures: refused for %v, want %v", 5+i, w, want*time.Minute)
		}
		now = now.Add(want * time.Minute)
		if w := f.wait("a", now); w != 0 {
			t.Fatalf("after the lock of failure %d: still refused for %v", 5+i, w)
		}
	}
	if w := f.wait("b", now); w != 0 {
		t.Fatalf("other key: refused for %v", w)
	}
	// Quiet for the memory span after the lock: forgotten, four more failures are free again.
	now = now.Add(failureMemory)
	for range 4 {
		f.fail("a", now)
	}
	if w := f.wait("a", now); w != 0 {
		t.Fatalf("after the failures were forgotten: refused for %v", w)
	}
}

// Many addresses must not grow the tables without bound, and a flood of one-off failures must
// evict itself, not the lock of an address that keeps guessing.
func TestFailureCounterIsBounded(t *testing.T) {
	f := newFailureCounter(5, 15*time.Minute)
	f.capacity = 100
	now := testutil.Time(t, "2026-03-04T10:00:00Z")
	for range 5 {
		f.fail("guesser", now)
	}
	for i := range 1000 {
		f.fail(fmt.Sprint("10.0.", i/250, ".", i%250), now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(f.entries) > f.capacity {
		t.Fatalf("entries: got %d, want at most %d", len(f.entries), f.capacity)
	}
	if w := f.wait("guesser", now); w != time.Minute {
		t.Fatalf("guesser: refused for %v, want 1m (its lock was evicted)", w)
	}
	f.fail("late", now.Add(time.Hour)) // a new entry prunes the expired ones
	if len(f.entries) != 1 {
		t.Fatalf("after an hour: got %d entries, want only the fresh one", len(f.entries))
	}
}

// signInForm posts the login form as email/password from addr (behind a trusted proxy).
func (r *dashRig) signInForm(email, password, addr string) page {
	r.t.Helper()
	tok := r.csrf("/login")
	return r.do("POST", "/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}},
		"Origin", sameOrigin, "X-Forwarded-For", addr)
}

func (r *dashRig) signOut() {
	r.t.Helper()
	delete(r.jar, "better-auth.session_token")
}

func trustAll(o *Options) { o.TrustedProxies = []string{"0.0.0.0", "127.0.0.1"} }

// Only failures count: an admin signing in again and again is never refused.
func TestSuccessfulSignInsAreNotLimited(t *testing.T) {
	r := newDash(t, trustAll)
	for i := range 8 {
		r.signOut()
		if p := r.signInForm(testAdmin, testPassword, "198.51.100.7"); p.status != fiber.StatusSeeOther {
			t.Fatalf("sign-in %d within a minute: got %d, want 303", i+1, p.status)
		}
	}
}

// A success clears the address's failures: four typos, a success, four typos again is fine.
func TestSuccessClearsFailures(t *testing.T) {
	r := newDash(t, trustAll)
	for round := range 2 {
		for i := range 4 {
			if p := r.signInForm(testAdmin, "wrong", "198.51.100.7"); p.status != fiber.StatusUnauthorized {
				t.Fatalf("round %d failure %d: got %d, want 401", round, i+1, p.status)
			}
		}
		if p := r.signInForm(testAdmin, testPassword, "198.51.100.7"); p.status != fiber.StatusSeeOther {
			t.Fatalf("round %d success: got %d, want 303", round, p.status)
		}
		r.signOut()
	}
}

// Failures from one address lock it for a delay that doubles with each further failure;
// the lock is the address's: the admin elsewhere signs in.
func TestFailedSignInsLockTheAddressLonger(t *testing.T) {
	r := newDash(t, trustAll)
	attacker := "203.0.113.9"
	for range 5 {
		r.signInForm("someone@example.org", "guess", attacker)
	}
	for _, minutes := range []int{1, 2, 4} {
		p := r.signInForm(testAdmin, testPassword, attacker)
		if want := strconv.Itoa(60 * minutes); p.status != fiber.StatusTooManyRequests || p.header.Get("Retry-After") != want {
			t.Fatalf("locked address: got %d Retry-After %q, want 429 %s", p.status, p.header.Get("Retry-After"), want)
		}
		r.now = r.now.Add(time.Duration(minutes) * time.Minute)
		if p := r.signInForm("someone@example.org", "guess", attacker); p.status != fiber.StatusUnauthorized {
			t.Fatalf("after the lock: got %d, want the attempt checked (401)", p.status)
		}
	}
	if p := r.signInForm(testAdmin, testPassword, "198.51.100.7"); p.status != fiber.StatusSeeOther {
		t.Fatalf("admin from another address: got %d, want 303", p.status)
	}
}

// Guessing the admin's password from many addresses locks the account, briefly (5 minutes at
// most), for browsers that never signed in to it; the admin's own browser still signs in.
func TestAccountLockSparesKnownBrowsers(t *testing.T) {
	r := newDash(t, trustAll)
	r.signInForm(testAdmin, testPassword, "198.51.100.7") // this browser is now known
	r.signOut()
	adminJar := r.jar
	r.jar = map[string]string{} // a stranger's browser
	for i := range 4 * 5 {
		if p := r.signInForm(testAdmin, "guess", fmt.Sprint("203.0.113.", i)); p.status != fiber.StatusUnauthorized {
			t.Fatalf("guess %d: got %d, want 401", i+1, p.status)
		}
	}
	p := r.signInForm(testAdmin, testPassword, "192.0.2.1")
	if p.status != fiber.StatusTooManyRequests || p.header.Get("Retry-After") != "60" {
		t.Fatalf("locked account from a new browser: got %d Retry-After %q, want 429 60", p.status, p.header.Get("Retry-After"))
	}
	if p := r.signInForm("other@example.org", "guess", "192.0.2.1"); p.status != fiber.StatusUnauthorized {
		t.Fatalf("another account from that address: got %d, want 401", p.status)
	}
	for i := range 10 { // the account's lock stops growing at 5 minutes
		r.now = r.now.Add(5 * time.Minute)
		r.signInForm(testAdmin, "guess", fmt.Sprint("203.0.113.", 100+i))
	}
	if p := r.signInForm(testAdmin, testPassword, "192.0.2.1"); p.status != fiber.StatusTooManyRequests || p.header.Get("Retry-After") != "300" {
		t.Fatalf("capped account lock: got %d Retry-After %q, want 429 300", p.status, p.header.Get("Retry-After"))
	}
	strangerJar := r.jar
	r.jar = adminJar
	if p := r.signInForm(testAdmin, testPassword, "198.51.100.7"); p.status != fiber.StatusSeeOther {
		t.Fatalf("the admin's own browser: got %d, want 303", p.status)
	}
	r.jar = strangerJar
	if p := r.signInForm(testAdmin, "guess", "192.0.2.1"); p.status != fiber.StatusUnauthorized {
		t.Fatalf("after the admin's success cleared the account: got %d, want 401", p.status)
	}
}
