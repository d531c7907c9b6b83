package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"gorm.io/gorm"
)

// ErrNotFound is returned when a row asked for by key does not exist.
var ErrNotFound = errors.New("store: not found")

// IsNotFound reports whether err is ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// Options configure Open.
type Options struct {
	// URL selects PostgreSQL (postgres://…); when empty, SQLite at Path is used.
	URL string
	// Path is the SQLite file. Its parent directory must exist.
	Path string
	// ReadConns bounds the reader pool (default 3 on SQLite, 8 on PostgreSQL).
	ReadConns int
}

// Store is the monitor's database: a pool of readers, and a writer through which every write
// transaction runs (one connection on SQLite, which has one writer at a time anyway).
type Store struct {
	db      *gorm.DB // readers
	wdb     *gorm.DB // the writer
	dialect Dialect
	path    string      // SQLite only: the file,
	file    os.FileInfo // and what it was when opened
}

// Tx is one write transaction. Its methods are the store's writes; Store.Write runs them.
type Tx struct {
	db      *gorm.DB
	dialect Dialect
}

// Open opens the database (creating an SQLite file if needed), applies pending migrations and
// returns the Store.
func Open(ctx context.Context, opts Options) (*Store, error) {
	s, err := openPools(opts)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close() // the migration error is the one to report
		return nil, err
	}
	// A reader connection opened before the migration (gorm pings on open) may hold the old
	// schema; readers start afresh after it.
	if err := dropIdle(s.db); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.dialect == SQLite {
		s.path = opts.Path
		s.file, _ = os.Stat(opts.Path) // nil (no check) if it cannot be read: the writes will tell
	}
	return s, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	var errs []error
	for _, db := range []*gorm.DB{s.db, s.wdb} {
		if db == nil {
			continue
		}
		if sqlDB, err := db.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
	}
	return errors.Join(errs...)
}

// DB returns the reader pool, for tests that inspect what was stored.
func (s *Store) DB() *gorm.DB { return s.db }

// WriteDB returns the writer's connection pool, for tests that inspect the database or change
// its behaviour (read-only, full) under the writer.
func (s *Store) WriteDB() *sql.DB {
	db, _ := s.wdb.DB() // a gorm handle opened by Open always has one
	return db
}

// Dialect reports the SQL flavour.
func (s *Store) Dialect() Dialect { return s.dialect }

// Write runs fn inside one write transaction and commits it. Only the services' writer calls
// it, so that writes are applied one group at a time.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	return s.wdb.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		if err := fn(&Tx{db: db, dialect: s.dialect}); err != nil {
			return err
		}
		// Committing to a deleted file would lose the data at the next start.
		return s.sameFile()
	})
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

// Savepoint runs fn inside a savepoint of the transaction: when fn fails only the writes it
// made are undone.
func (t *Tx) Savepoint(fn func() error) error {
	return t.db.Transaction(func(*gorm.DB) error { return fn() })
}

// wrap names the store operation in an error.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
