package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// copyTables lists what CopyTo moves, parents before children, with each table's key.
var copyTables = []struct{ name, key string }{
	{"telemetry_events", "id"},
	{"check_states", "job_name"},
	{"alerts", "id"},
	{"alert_deliveries", "id"},
	{"service_config", "key"},
	{`"user"`, `"id"`},
	{`"session"`, `"id"`},
	{`"account"`, `"id"`},
	{`"verification"`, `"id"`},
}

// TableCount is one table's row count on both sides after a copy.
type TableCount struct {
	Table          string
	Source, Target int64
}

// CopyTo copies every row of s (a SQLite store) into dst (a PostgreSQL store) in batches of
// batch rows, in key order. It is resumable: rows already present in dst (by key) are skipped,
// so an interrupted copy can simply be run again. It finishes by moving dst's id sequences past
// the copied ids and returns the row counts of both sides.
func (s *Store) CopyTo(ctx context.Context, dst *Store, batch int, progress func(table string, copied int64)) ([]TableCount, error) {
	if dst.dialect != Postgres {
		return nil, fmt.Errorf("store: copy: the target must be PostgreSQL")
	}
	if batch <= 0 {
		batch = 2000
	}
	var counts []TableCount
	for _, t := range copyTables {
		boolCols, err := dst.booleanColumns(ctx, strings.Trim(t.name, `"`))
		if err != nil {
			return nil, err
		}
		if err := s.copyTable(ctx, dst, t.name, t.key, batch, boolCols, progress); err != nil {
			return nil, err
		}
		c := TableCount{Table: strings.Trim(t.name, `"`)}
		if err := s.writeDB.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&c.Source); err != nil {
			return nil, fmt.Errorf("store: copy: count %s: %w", t.name, err)
		}
		if err := dst.writeDB.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&c.Target); err != nil {
			return nil, fmt.Errorf("store: copy: count %s: %w", t.name, err)
		}
		counts = append(counts, c)
	}
	for _, t := range []string{"telemetry_events", "alerts", "alert_deliveries"} {
		if _, err := dst.writeDB.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'),
			GREATEST(COALESCE((SELECT MAX(id) FROM `+t+`), 0), 1))`); err != nil {
			return nil, fmt.Errorf("store: copy: sequence of %s: %w", t, err)
		}
	}
	if _, err := dst.writeDB.ExecContext(ctx, `UPDATE service_config SET value_json = (SELECT CAST(COUNT(*) AS TEXT) FROM telemetry_events)
		WHERE key = ?`, keyEventsTotal); err != nil {
		return nil, fmt.Errorf("store: copy: event count: %w", err)
	}
	return counts, nil
}

func (s *Store) booleanColumns(ctx context.Context, table string) (map[string]bool, error) {
	rows, err := s.writeDB.QueryContext(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? AND data_type = 'boolean'`, table)
	if err != nil {
		return nil, fmt.Errorf("store: copy: columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

func (s *Store) copyTable(ctx context.Context, dst *Store, table, key string, batch int, boolCols map[string]bool,
	progress func(string, int64)) error {
	var last any
	if key == "id" { // resume after the highest id already copied
		var max sql.NullInt64
		if err := dst.writeDB.QueryRowContext(ctx, `SELECT MAX(id) FROM `+table).Scan(&max); err != nil {
			return fmt.Errorf("store: copy %s: %w", table, err)
		}
		if max.Valid {
			last = max.Int64
		}
	}
	var copied int64
	for {
		q := `SELECT * FROM ` + table
		var args []any
		if last != nil {
			q += ` WHERE ` + key + ` > ?`
			args = append(args, last)
		}
		q += ` ORDER BY ` + key + ` LIMIT ?`
		args = append(args, batch)
		rows, err := s.writeDB.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: copy %s: %w", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return err
		}
		keyIdx := -1
		for i, c := range cols {
			if c == strings.Trim(key, `"`) {
				keyIdx = i
			}
		}
		var values [][]any
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("store: copy %s: %w", table, err)
			}
			for i, c := range cols {
				if boolCols[c] {
					if n, ok := vals[i].(int64); ok {
						vals[i] = n != 0
					}
				}
				if b, ok := vals[i].([]byte); ok {
					vals[i] = string(b)
				}
			}
			values = append(values, vals)
		}
		rows.Close()
		if len(values) == 0 {
			return nil
		}
		if err := insertCopied(ctx, dst, table, cols, values); err != nil {
			return err
		}
		last = values[len(values)-1][keyIdx]
		copied += int64(len(values))
		if progress != nil {
			progress(strings.Trim(table, `"`), copied)
		}
		if len(values) < batch {
			return nil
		}
	}
}

func insertCopied(ctx context.Context, dst *Store, table string, cols []string, values [][]any) error {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	rowPH := "(" + placeholders(len(cols)) + ")"
	per := max(1, 4000/len(cols)) // keep each statement well under the parameter limit
	for start := 0; start < len(values); start += per {
		part := values[start:min(start+per, len(values))]
		var b strings.Builder
		args := make([]any, 0, len(part)*len(cols))
		for i, v := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(rowPH)
			args = append(args, v...)
		}
		q := `INSERT INTO ` + table + ` (` + strings.Join(quoted, ",") + `) VALUES ` + b.String() + ` ON CONFLICT DO NOTHING`
		if _, err := dst.writeDB.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store: copy %s: %w", table, err)
		}
	}
	return nil
}
