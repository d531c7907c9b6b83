package handlers

import (
	"crypto/hmac"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/services"
)

// Sign-in throttling counts failed sign-ins only, per client address and per account. From the
// threshold-th failure on, the key is refused for a delay that starts at a minute and doubles
// with each further failure, up to a cap. Refused attempts check no password and count nothing,
// so hammering a locked key does not prolong its lock. A success clears its address and its
// account. The account limit is four times the address limit and capped at 5 minutes instead of
// 15: it only has to stop guessing spread over many addresses, and a browser that has signed in
// to the account before (known-device cookie) is exempt from it, so an attacker can slow
// strangers down but cannot lock the owner out everywhere.
const (
	lockBase       = time.Minute
	addrLockMax    = 15 * time.Minute
	accountLockMax = 5 * time.Minute
	// failureMemory is how long failures are remembered after the last one's lock has ended.
	failureMemory = 15 * time.Minute
	// accountFactor sets the account threshold from the address threshold.
	accountFactor = 4
	// limiterCapacity bounds each table: about a megabyte even when full.
	limiterCapacity = 10000
	// knownDeviceCookie marks a browser that signed in to an account (value: HMAC of the e-mail).
	knownDeviceCookie = "monitor_known_device"
	knownDeviceMaxAge = 180 * 24 * time.Hour
)

// failures is one key's record: how many failures in a row, and the time of the last.
type failures struct {
	n    int
	last time.Time
}

// failureCounter counts failed sign-ins per key and locks keys with too many.
type failureCounter struct {
	threshold int
	max       time.Duration
	capacity  int
	entries   map[string]failures
	pruned    time.Time
}

func newFailureCounter(threshold int, max time.Duration) *failureCounter {
	return &failureCounter{threshold: threshold, max: max, capacity: limiterCapacity, entries: map[string]failures{}}
}

// lock is how long e's key is refused after its last failure.
func (f *failureCounter) lock(e failures) time.Duration {
	if e.n < f.threshold {
		return 0
	}
	if shift := e.n - f.threshold; shift < 16 && lockBase<<shift < f.max {
		return lockBase << shift
	}
	return f.max
}

func (f *failureCounter) expired(e failures, now time.Time) bool {
	return !now.Before(e.last.Add(f.lock(e) + failureMemory))
}

// wait is how long key is still refused at now (0: not refused).
func (f *failureCounter) wait(key string, now time.Time) time.Duration {
	e, ok := f.entries[key]
	if !ok {
		return 0
	}
	if f.expired(e, now) {
		delete(f.entries, key)
		return 0
	}
	return max(0, e.last.Add(f.lock(e)).Sub(now))
}

// fail records a failure by key at now.
func (f *failureCounter) fail(key string, now time.Time) {
	e, ok := f.entries[key]
	if !ok || f.expired(e, now) {
		f.prune(now)
		e = failures{}
	}
	e.n++
	e.last = now
	f.entries[key] = e
}

// prune drops expired entries now and then, and makes room when the table is full by dropping
// the entry with the fewest failures (the oldest among them): a flood of one-off failures from
// many addresses, or for many made-up accounts, evicts itself rather than the locks.
func (f *failureCounter) prune(now time.Time) {
	if len(f.entries) < f.capacity && now.Sub(f.pruned) < failureMemory {
		return
	}
	f.pruned = now
	for k, e := range f.entries {
		if f.expired(e, now) {
			delete(f.entries, k)
		}
	}
	for len(f.entries) >= f.capacity {
		var victim string
		var v failures
		for k, e := range f.entries {
			if victim == "" || e.n < v.n || e.n == v.n && e.last.Before(v.last) {
				victim, v = k, e
			}
		}
		delete(f.entries, victim)
	}
}

// signInLimiter holds the address and account tables.
type signInLimiter struct {
	mu       sync.Mutex
	addrs    *failureCounter
	accounts *failureCounter
}

func newSignInLimiter(addrThreshold int) *signInLimiter {
	return &signInLimiter{addrs: newFailureCounter(addrThreshold, addrLockMax),
		accounts: newFailureCounter(accountFactor*addrThreshold, accountLockMax)}
}

// signInKeys names what one sign-in attempt is counted against.
type signInKeys struct {
	addr    string // the client address (IPv6: its /64)
	account string // the normalised e-mail; "" when unknown
	known   bool   // the browser signed in to account before: the account lock does not apply
}

// wait is how long the attempt is refused at now (0: go ahead).
func (l *signInLimiter) wait(k signInKeys, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.addrs.wait(k.addr, now)
	if k.account != "" && !k.known {
		w = max(w, l.accounts.wait(k.account, now))
	}
	return w
}

// failed records a failed attempt.
func (l *signInLimiter) failed(k signInKeys, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addrs.fail(k.addr, now)
	if k.account != "" {
		l.accounts.fail(k.account, now)
	}
}

// succeeded forgets the failures of the address and the account.
func (l *signInLimiter) succeeded(k signInKeys) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.addrs.entries, k.addr)
	delete(l.accounts.entries, k.account)
}

// signInKeys returns the keys of a sign-in to rawEmail from this request; rawEmail "" leaves
// the account out (its limit is checked once the body is read).
func (h *Handler) signInKeys(c *fiber.Ctx, rawEmail string) signInKeys {
	// The keys outlive the request: Fiber's strings share its buffers, which the next request
	// reuses, so a key kept in the tables would change under them.
	k := signInKeys{addr: strings.Clone(limitKey(h.clientIP(c)))}
	if email := services.NormalizeEmail(rawEmail); services.ValidEmail(email) {
		k.account = strings.Clone(email)
		k.known = hmac.Equal([]byte(c.Cookies(knownDeviceCookie)), []byte(h.knownDevice(email)))
	}
	return k
}

func (h *Handler) knownDevice(email string) string { return h.mac("known-device:" + email) }

// limitSignIn answers 429 with Retry-After while this client's address, or the account it signs
// in to, is locked after failed sign-ins.
func (h *Handler) limitSignIn(c *fiber.Ctx, k signInKeys) error {
	wait := h.limiter.wait(k, h.now())
	if wait <= 0 {
		return nil
	}
	secs := strconv.Itoa(int((wait + time.Second - 1) / time.Second))
	c.Set(fiber.HeaderRetryAfter, secs)
	c.Set("X-Retry-After", secs)
	return fiber.NewError(fiber.StatusTooManyRequests, "Too many sign-in attempts; try again in "+secs+" seconds")
}

// signInResult counts a finished sign-in attempt: a wrong password counts against the address
// and the account, a malformed e-mail against the address only, and a success clears both.
func (h *Handler) signInResult(k signInKeys, err error) {
	switch {
	case err == nil:
		h.limiter.succeeded(k)
	case errors.Is(err, services.ErrInvalidCredentials):
		h.limiter.failed(k, h.now())
	case errors.Is(err, services.ErrInvalidEmail):
		h.limiter.failed(signInKeys{addr: k.addr}, h.now())
	}
}

// limitKey is the rate-limit bucket of a client address: the address itself for IPv4, its /64
// for IPv6 (one host usually holds a whole /64 and could rotate through it).
func limitKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// rememberDevice marks this browser as one that signed in to the account, exempt from the
// account's lock. It comes after the session cookie, which clients may read as the first one.
func (h *Handler) rememberDevice(c *fiber.Ctx, k signInKeys) {
	c.Cookie(&fiber.Cookie{Name: knownDeviceCookie, Value: h.knownDevice(k.account), Path: "/", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: h.opts.SecureCookies, MaxAge: int(knownDeviceMaxAge / time.Second)})
}
