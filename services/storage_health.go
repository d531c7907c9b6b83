package services

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
)

// StorageSettle is how long storage must have gone without an unavailable error before a
// success counts as recovery. Requests that do not need to grow the database (a sign-in, an
// empty notifier pass) can succeed in the middle of a full-disk outage; without the pause each
// of them would log a recovery and the next failed request a new outage.
const StorageSettle = 5 * time.Second

// StorageHealth reports storage outages once per change of state instead of once per failed
// request or pass: ERROR "Database unavailable: <reason>" when the database becomes unavailable
// (and once for each further reason during the same outage), INFO "Database available again"
// when it works again. One value is shared by the HTTP handlers and the background loops, so
// the whole process reports an outage once.
type StorageHealth struct {
	log  *slog.Logger
	down atomic.Bool // lets OK skip the lock while all is well

	mu       sync.Mutex
	reasons  map[string]bool // reasons logged during this outage
	since    time.Time       // first failure of this outage
	last     time.Time       // latest failure
	failures int64
}

// NewStorageHealth returns a tracker logging to log (nil: discard).
func NewStorageHealth(log *slog.Logger) *StorageHealth {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &StorageHealth{log: log}
}

// Failed reports whether err means storage is unavailable (store.Unavailable). Such an error is
// counted, and logged with attrs when it starts an outage or brings a new reason; the caller
// logs nothing more. Other errors are the caller's to log.
func (s *StorageHealth) Failed(err error, now time.Time, attrs ...any) bool {
	reason, ok := store.Unavailable(err)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures++
	s.last = now
	if !s.down.Load() {
		s.down.Store(true)
		s.since, s.reasons = now, map[string]bool{}
	}
	if !s.reasons[reason] {
		s.reasons[reason] = true
		s.log.Error("Database unavailable: "+reason, append(attrs, "error", err)...)
	}
	return true
}

// OK records a successful storage operation at now. The first one at least StorageSettle after
// the latest failure ends the outage and logs the recovery.
func (s *StorageHealth) OK(now time.Time) {
	if !s.down.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down.Load() || now.Sub(s.last) < StorageSettle {
		return
	}
	s.log.Info("Database available again", "unavailable_for", now.Sub(s.since).Round(time.Second).String(),
		"failed_operations", s.failures)
	s.down.Store(false)
	s.reasons, s.failures = nil, 0
}
