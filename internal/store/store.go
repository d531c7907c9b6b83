package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/gulag/chief-monitor/internal/sqlitedrv"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a row asked for by key does not exist.
var ErrNotFound = errors.New("store: not found")

// Options configure Open.
type Options struct {
	// URL selects PostgreSQL (postgres://…); when empty, SQLite at Path is used.
	URL string
	// Path is the SQLite file. Its parent directory must exist.
	Path string
	// ReadConns bounds the reader pool (default 3 on SQLite, 8 on PostgreSQL).
	ReadConns int
}

// Store is the monitor's database: a reader pool used through gorm and a single-connection
// writer used by the ingest writer and the engine.
type Store struct {
	db      *gorm.DB
	readDB  *sql.DB
	writeDB *sql.DB
	dialect Dialect
	stmts   *stmtCache              // PostgreSQL only: sqlitedrv keeps compiled statements on its connections
	ckpt    *sqlitedrv.Checkpointer // SQLite only
	path    string                  // SQLite only: the file, and what it was at the open
	file    os.FileInfo
}

// Dialect names the SQL flavour behind a Store.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Open opens (creating if needed) the SQLite database at opts.Path, applies pending migrations
// and returns the Store.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.URL != "" {
		return openPostgresStore(ctx, opts)
	}
	if strings.TrimSpace(opts.Path) == "" {
		return nil, errors.New("store: open: empty database path")
	}
	if dir := filepath.Dir(opts.Path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("store: open: directory %q of the database does not exist", dir)
		}
	}
	// Both pools run on sqlitedrv, which keeps compiled statements per connection and returns
	// text as text (the gorm SQLite driver compiles every statement on each run and guesses
	// times from declared column types); gorm reads through it as through any database/sql pool.
	// The writer's commits also pace a background checkpointer (see sqlitedrv.Checkpointer).
	writeDB, ckpt := sqlitedrv.OpenWriter(opts.Path, append(sqlitePragmas, writerCache)...)
	// One connection carries every write transaction and keeps their compiled statements.
	writeDB.SetMaxOpenConns(1)
	writeDB.SetMaxIdleConns(1)
	writeDB.SetConnMaxIdleTime(0)
	writeDB.SetConnMaxLifetime(0)
	if err := writeDB.PingContext(ctx); err != nil {
		_ = writeDB.Close() // the open failed; the close error adds nothing
		ckpt.Close()
		return nil, fmt.Errorf("store: open %s: %w", opts.Path, err)
	}
	s := &Store{writeDB: writeDB, ckpt: ckpt, dialect: SQLite}
	if err := s.migrate(ctx); err != nil {
		_ = writeDB.Close() // reporting the migration error matters more
		ckpt.Close()
		return nil, err
	}
	if err := ckpt.Start(); err != nil {
		_ = writeDB.Close()
		ckpt.Close()
		return nil, fmt.Errorf("store: open checkpointer: %w", err)
	}
	readDB := sqlitedrv.Open(opts.Path, append(sqlitePragmas, readerCache)...)
	n := opts.ReadConns
	if n <= 0 {
		n = 3 // each SQLite connection holds its own page cache: keep memory small
	}
	readDB.SetMaxOpenConns(n)
	readDB.SetMaxIdleConns(n)
	gdb, err := gorm.Open(sqlite.Dialector{Conn: readDB}, gormConfig())
	if err != nil {
		_ = writeDB.Close()
		_ = readDB.Close()
		ckpt.Close()
		return nil, fmt.Errorf("store: open gorm: %w", err)
	}
	s.db = gdb
	s.readDB = readDB
	s.path = opts.Path
	s.file, _ = os.Stat(opts.Path) // nil (no check) if it cannot be read: the writes will tell
	return s, nil
}

// gormConfig is the gorm setup of both dialects: quiet, no implicit transactions (writes go
// through Write), prepared statements, UTC.
func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

// sqlitePragmas configure every SQLite connection, writer and readers alike. Page caches are
// per connection and cost nearly twice their size (each 4 KiB page takes an 8 KiB slot of the
// pure-Go allocator): the writer keeps 2 MB, as appends revisit the same index pages commit
// after commit; each reader 1 MB, enough for the index range scans behind the lists.
var sqlitePragmas = []string{
	"busy_timeout=10000",
	"journal_mode=WAL",
	"synchronous=NORMAL",
	"foreign_keys=1",
}

const (
	writerCache = "cache_size=-2000"
	readerCache = "cache_size=-1000"
)

// Close closes both pools. It is safe to call once.
func (s *Store) Close() error {
	s.stmts.close()
	err := errors.Join(s.readDB.Close(), s.writeDB.Close())
	s.ckpt.Close()
	return err
}

// DB returns the gorm handle for reads and small writes.
func (s *Store) DB() *gorm.DB { return s.db }

// Dialect reports the SQL flavour.
func (s *Store) Dialect() Dialect { return s.dialect }

// WriteDB returns the single writer connection pool (tests and benchmarks).
func (s *Store) WriteDB() *sql.DB { return s.writeDB }

// Write runs fn inside one write transaction on the writer connection and commits it.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, ctx: ctx, s: s}
	if err := fn(tx); err != nil {
		tx.closeStmts()
		_ = sqlTx.Rollback() // the fn error is the one to report
		return err
	}
	tx.closeStmts()
	if err := s.sameFile(); err != nil {
		_ = sqlTx.Rollback() // committing to an unlinked file would lose the data at restart
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// openPostgresStore opens PostgreSQL at opts.URL: a small writer pool for the write transactions
// and a reader pool behind gorm, both through the placeholder-rebinding driver.
func openPostgresStore(ctx context.Context, opts Options) (*Store, error) {
	writeDB, err := openPostgres(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	writeDB.SetMaxOpenConns(3)
	writeDB.SetMaxIdleConns(3)
	if err := writeDB.PingContext(ctx); err != nil {
		_ = writeDB.Close() // the open failed; the close error adds nothing
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	s := &Store{writeDB: writeDB, dialect: Postgres}
	if err := s.migrate(ctx); err != nil {
		_ = writeDB.Close()
		return nil, err
	}
	readDB, err := openPostgres(opts.URL)
	if err != nil {
		_ = writeDB.Close()
		return nil, fmt.Errorf("store: open postgres reader: %w", err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 8
	}
	readDB.SetMaxOpenConns(n)
	readDB.SetMaxIdleConns(n)
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: readDB}), gormConfig())
	if err != nil {
		_ = writeDB.Close()
		_ = readDB.Close()
		return nil, fmt.Errorf("store: open gorm: %w", err)
	}
	s.db, s.readDB, s.stmts = gdb, readDB, newStmtCache(writeDB)
	return s, nil
}
