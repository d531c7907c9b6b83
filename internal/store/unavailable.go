package store

import "errors"

// ErrDatabaseGone is returned by writes once the SQLite file was deleted or replaced while the
// service ran: SQLite would keep writing to the unlinked file and lose it all at the restart.
var ErrDatabaseGone = errors.New("store: the database file was deleted or replaced; restart the monitor")

// Unavailable reports whether err means the database cannot store anything right now (disk
// full, read-only, I/O error, file gone, PostgreSQL unreachable or shutting down), with a short
// reason safe to show to clients.
func Unavailable(err error) (reason string, ok bool) {
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, ErrDatabaseGone):
		return "the database file is missing", true
	}
	return unavailableReason(err)
}
