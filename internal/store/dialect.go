package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlitedriver "github.com/glebarez/go-sqlite"
	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Everything that differs between SQLite and PostgreSQL outside the migrations lives in this
// file: how the pools are opened, how text sorts, how a driver error says "storage trouble".

// Dialect names the SQL flavour behind a Store.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// gormConfig is the gorm setup of both dialects: quiet, no implicit transactions (writes go
// through Write), statements prepared once per connection, UTC.
func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

// sqlitePragmas configure every SQLite connection. WAL lets the readers run beside the writer,
// and SQLite's own automatic checkpoint (every 1,000 pages) keeps the WAL small. Page caches
// are per connection: the writer keeps 2 MB, as appends revisit the same index pages, each
// reader 1 MB.
var sqlitePragmas = []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"}

// sqliteDSN is the driver's name for the file at path with the pragmas and extra settings.
func sqliteDSN(path string, extra ...string) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	for _, e := range extra {
		k, v, _ := strings.Cut(e, "=")
		q.Add(k, v)
	}
	return path + "?" + q.Encode()
}

// openPools opens the reader pool and the writer of opts' database.
func openPools(opts Options) (*Store, error) {
	if opts.URL != "" {
		return openPostgres(opts)
	}
	return openSQLite(opts)
}

func openSQLite(opts Options) (*Store, error) {
	if strings.TrimSpace(opts.Path) == "" {
		return nil, errors.New("store: open: empty database path")
	}
	if strings.ContainsAny(opts.Path, "?#") {
		return nil, fmt.Errorf("store: open: the database path %q may not contain ? or #", opts.Path)
	}
	if dir := filepath.Dir(opts.Path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("store: open: directory %q of the database does not exist", dir)
		}
	}
	// BEGIN IMMEDIATE takes the write lock when a transaction starts, so a write never fails
	// half-way on a lock another process holds (it waits busy_timeout instead).
	wdb, err := gorm.Open(sqlite.Open(sqliteDSN(opts.Path, "_pragma=cache_size(-2000)", "_txlock=immediate")), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", opts.Path, err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 3 // each SQLite connection holds its own page cache: keep memory small
	}
	rdb, err := gorm.Open(sqlite.Open(sqliteDSN(opts.Path, "_pragma=cache_size(-1000)")), gormConfig())
	if err != nil {
		closeGorm(wdb)
		return nil, fmt.Errorf("store: open %s: %w", opts.Path, err)
	}
	if err := pool(wdb, 1); err != nil {
		closeGorm(wdb, rdb)
		return nil, err
	}
	if err := pool(rdb, n); err != nil {
		closeGorm(wdb, rdb)
		return nil, err
	}
	return &Store{db: rdb, wdb: wdb, dialect: SQLite}, nil
}

func openPostgres(opts Options) (*Store, error) {
	wdb, err := gorm.Open(postgres.Open(opts.URL), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	rdb, err := gorm.Open(postgres.Open(opts.URL), gormConfig())
	if err != nil {
		closeGorm(wdb)
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 8
	}
	// The writer goroutine holds one connection; migrations and the advisory lock take another.
	if err := pool(wdb, 3); err != nil {
		closeGorm(wdb, rdb)
		return nil, err
	}
	if err := pool(rdb, n); err != nil {
		closeGorm(wdb, rdb)
		return nil, err
	}
	return &Store{db: rdb, wdb: wdb, dialect: Postgres}, nil
}

// pool sizes a gorm handle's connection pool; connections are kept, as each holds its
// prepared statements (and on SQLite its page cache).
func pool(db *gorm.DB, n int) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	sqlDB.SetConnMaxIdleTime(0)
	sqlDB.SetConnMaxLifetime(0)
	return nil
}

// dropIdle closes a pool's idle connections; the pool opens new ones as it needs them.
func dropIdle(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	n := sqlDB.Stats().MaxOpenConnections
	sqlDB.SetMaxIdleConns(0)
	sqlDB.SetMaxIdleConns(n)
	return nil
}

func closeGorm(dbs ...*gorm.DB) {
	for _, db := range dbs {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close() // closing after a failed open; the open error is reported
		}
	}
}

// Shared reports whether other monitor instances may write the same database (PostgreSQL),
// so that rows read in one transaction must be locked and none may be cached between them.
func (s *Store) Shared() bool { return s.dialect == Postgres }

// byteOrder is an ORDER BY term sorting col by bytes, as SQLite's BINARY collation does; on
// PostgreSQL the database's own collation (en_US.UTF-8, ICU …) would order differently.
func (d Dialect) byteOrder(col string) string {
	if d == Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

// unavailableReason classifies a driver error that means the database cannot store anything
// right now, with a short reason safe to show to clients.
func unavailableReason(err error) (string, bool) {
	var se *sqlitedriver.Error
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &se):
		switch se.Code() & 0xff {
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

// migrationLock and migrationUnlock serialise migrations among PostgreSQL instances started
// together; SQLite needs none (BEGIN IMMEDIATE on one file is the lock).
func (d Dialect) migrationLock() (lock, unlock string) {
	if d == Postgres {
		return `SELECT pg_advisory_lock(74107410)`, `SELECT pg_advisory_unlock(74107410)`
	}
	return "", ""
}
