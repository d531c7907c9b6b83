package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/migrations"
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
var afterHooks = map[int]func(ctx context.Context, tx *sql.Tx, now time.Time) error{
	2: backfillV2,
	4: backfillHourly,
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.writeDB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: ledger: %w", err)
	}
	if s.dialect == Postgres {
		// Several instances may start together: one migrates, the others wait for it.
		conn, err := s.writeDB.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(74107410)`); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer func() { _, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(74107410)`) }()
	}
	applied := map[int]bool{}
	rows, err := s.writeDB.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: migrate: read ledger: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrate: read ledger: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	list, err := Migrations(s.dialect)
	if err != nil {
		return err
	}
	for _, m := range list {
		if applied[m.Version] {
			continue
		}
		if err := s.applyMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m Migration) error {
	tx, err := s.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", m.Name, err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after commit
	for _, stmt := range splitSQL(m.SQL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: migrate %s: %w (in %q)", m.Name, err, firstLine(stmt))
		}
	}
	now := time.Now().UTC()
	if hook := afterHooks[m.Version]; hook != nil {
		if err := hook(ctx, tx, now); err != nil {
			return fmt.Errorf("store: migrate %s: %w", m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, telemetry.ServerTime(now)); err != nil {
		return fmt.Errorf("store: migrate %s: ledger: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate %s: commit: %w", m.Name, err)
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

// backfillV2 fills the columns 0002 added on rows written by the reference service.
func backfillV2(ctx context.Context, tx *sql.Tx, now time.Time) error {
	if err := backfillEventMs(ctx, tx); err != nil {
		return err
	}
	if err := backfillChecks(ctx, tx); err != nil {
		return err
	}
	ts := telemetry.ServerTime(now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_config(key, value_json, updated_at)
		SELECT ?, CAST(COUNT(*) AS TEXT), ? FROM telemetry_events`, keyEventsTotal, ts); err != nil {
		return fmt.Errorf("backfill event count: %w", err)
	}
	return backfillPresence(ctx, tx, ts)
}

func backfillEventMs(ctx context.Context, tx *sql.Tx) error {
	upd, err := tx.PrepareContext(ctx, `UPDATE telemetry_events SET event_at_ms = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("backfill events: %w", err)
	}
	defer upd.Close()
	var last int64
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, event_at, received_at FROM telemetry_events
			WHERE id > ? ORDER BY id LIMIT 5000`, last)
		if err != nil {
			return fmt.Errorf("backfill events: %w", err)
		}
		type row struct {
			id               int64
			eventAt, receivd string
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.eventAt, &r.receivd); err != nil {
				rows.Close()
				return fmt.Errorf("backfill events: %w", err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			if _, err := upd.ExecContext(ctx, EventMs(r.eventAt, r.receivd), r.id); err != nil {
				return fmt.Errorf("backfill events: %w", err)
			}
			last = r.id
		}
	}
}

func backfillChecks(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT job_name, expected_next_at, last_heartbeat_at, last_success_at, last_failure_at FROM check_states`)
	if err != nil {
		return fmt.Errorf("backfill checks: %w", err)
	}
	type row struct {
		job                 string
		exp, hb, succ, fail sql.NullString
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.job, &r.exp, &r.hb, &r.succ, &r.fail); err != nil {
			rows.Close()
			return fmt.Errorf("backfill checks: %w", err)
		}
		all = append(all, r)
	}
	rows.Close()
	for _, r := range all {
		latest := tx.QueryRowContext(ctx, `SELECT id, event_at_ms FROM telemetry_events WHERE job_name = ?
			ORDER BY event_at_ms DESC, id DESC LIMIT 1`, r.job)
		var lid, lms sql.NullInt64
		if err := latest.Scan(&lid, &lms); err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("backfill checks: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE check_states SET expected_next_ms = ?, last_heartbeat_ms = ?,
			last_success_ms = ?, last_failure_ms = ?, latest_event_id = ?, latest_event_ms = ? WHERE job_name = ?`,
			parseNullMs(r.exp), parseNullMs(r.hb), parseNullMs(r.succ), parseNullMs(r.fail), lid, lms, r.job); err != nil {
			return fmt.Errorf("backfill checks: %w", err)
		}
	}
	return nil
}

func backfillPresence(ctx context.Context, tx *sql.Tx, ts string) error {
	p, err := scanHeartbeat(tx.QueryRowContext(ctx, latestHeartbeatSQL))
	if err != nil {
		return fmt.Errorf("backfill presence: %w", err)
	}
	if p == nil {
		return nil
	}
	return putPresence(ctx, tx, *p, ts)
}

func parseNullMs(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	if t, ok := telemetry.ParseTime(strings.TrimSpace(s.String)); ok {
		return t.UnixMilli()
	}
	return nil
}

// EventMs is the epoch-ms instant stored for an event: its eventAt when that parses, else the
// time it was received (fix A3).
func EventMs(eventAt, receivedAt string) int64 {
	if t, ok := telemetry.ParseTime(eventAt); ok {
		return t.UnixMilli()
	}
	if t, ok := telemetry.ParseTime(receivedAt); ok {
		return t.UnixMilli()
	}
	return 0
}
