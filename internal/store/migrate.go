package store

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/migrations"
	"gorm.io/gorm"
)

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations of a dialect in order.
func Migrations(d Dialect) ([]Migration, error) {
	var fsys fs.FS
	switch d {
	case SQLite:
		sub, err := fs.Sub(migrations.SQLite, "sqlite")
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		fsys = sub
	case Postgres:
		sub, err := fs.Sub(migrations.Postgres, "postgres")
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		fsys = sub
	default:
		return nil, fmt.Errorf("store: migrations: unknown dialect %q", d)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migrations: bad file name %q", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// afterHooks run in the same transaction right after a migration's SQL: data backfills that
// need Go (timestamp parsing) rather than SQL.
var afterHooks = map[int]func(tx *gorm.DB, now time.Time) error{
	2: backfillV2,
	8: backfillOwnTables,
}

// migrate applies the pending migrations. On PostgreSQL the whole of it, the ledger's creation
// included, runs under an advisory lock, so instances started together on an empty database
// take turns instead of racing to create the same tables.
func (s *Store) migrate(ctx context.Context) error {
	return s.wdb.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		conn = conn.Session(&gorm.Session{}) // a handle that each statement below starts afresh from
		lock, unlock := s.dialect.migrationLock()
		if lock != "" {
			if err := conn.Exec(lock).Error; err != nil {
				return fmt.Errorf("store: migrate: lock: %w", err)
			}
			defer conn.Exec(unlock) // the lock also ends with the connection
		}
		if err := conn.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`).Error; err != nil {
			return fmt.Errorf("store: migrate: ledger: %w", err)
		}
		var applied []int
		if err := conn.Table("schema_migrations").Pluck("version", &applied).Error; err != nil {
			return fmt.Errorf("store: migrate: read ledger: %w", err)
		}
		list, err := Migrations(s.dialect)
		if err != nil {
			return err
		}
		for _, m := range list {
			if slices.Contains(applied, m.Version) {
				continue
			}
			if err := conn.Transaction(func(tx *gorm.DB) error { return applyMigration(tx, m) }); err != nil {
				return err
			}
		}
		return nil
	})
}

func applyMigration(tx *gorm.DB, m Migration) error {
	for _, stmt := range splitSQL(m.SQL) {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("store: migrate %s: %w (in %q)", m.Name, err, firstLine(stmt))
		}
	}
	now := time.Now().UTC()
	if hook := afterHooks[m.Version]; hook != nil {
		if err := hook(tx, now); err != nil {
			return fmt.Errorf("store: migrate %s: %w", m.Name, err)
		}
	}
	err := tx.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, telemetry.ServerTime(now)).Error
	if err != nil {
		return fmt.Errorf("store: migrate %s: ledger: %w", m.Name, err)
	}
	return nil
}

// splitSQL splits a migration into statements at semicolons that end a line, dropping
// comment-only lines. Migrations keep one statement per semicolon-terminated line group.
func splitSQL(src string) []string {
	var out []string
	var b strings.Builder
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		b.WriteString(line)
		b.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(b.String()))
			b.Reset()
		}
	}
	if rest := strings.TrimSpace(b.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
