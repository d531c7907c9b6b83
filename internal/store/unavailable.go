package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"os"
	"strings"

	"github.com/gulag/chief-monitor/internal/sqlitedrv"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrDatabaseGone is returned by writes once the SQLite file was deleted or replaced while the
// service ran: SQLite would keep writing to the unlinked file and lose it all at the restart.
var ErrDatabaseGone = errors.New("store: the database file was deleted or replaced; restart the monitor")

// Unavailable reports whether err means the database cannot store anything right now (disk
// full, read-only, I/O error, file gone, PostgreSQL unreachable or shutting down), with a short
// reason safe to show to clients.
func Unavailable(err error) (reason string, ok bool) {
	var se *sqlitedrv.Error
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, ErrDatabaseGone):
		return "the database file is missing", true
	case errors.As(err, &se):
		switch se.Code & 0xff {
		case 13: // SQLITE_FULL
			return "the database disk is full", true
		case 8: // SQLITE_READONLY
			return "the database is read-only", true
		case 10, 14: // SQLITE_IOERR, SQLITE_CANTOPEN
			return "database I/O error", true
		}
	case errors.As(err, &pe):
		switch {
		case pe.Code == "53100":
			return "the database disk is full", true
		case pe.Code == "25006":
			return "the database is read-only", true
		case strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "57"):
			return "the database server is not accepting work", true
		}
	case errors.As(err, &ce), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, net.ErrClosed):
		return "cannot reach the database server", true
	}
	return "", false
}

// sameFile returns ErrDatabaseGone when the SQLite path no longer names the file opened.
func (s *Store) sameFile() error {
	if s.file == nil {
		return nil
	}
	if st, err := os.Stat(s.path); err != nil || !os.SameFile(st, s.file) {
		return ErrDatabaseGone
	}
	return nil
}
