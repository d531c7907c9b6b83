package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Hourly event counts by level are kept at ingest in service_config rows keyed
// "stats:hour:<13-digit hour start in epoch ms>", so the overview's 24-hour chart reads 24 small
// rows instead of counting a day of events.
const hourlyPrefix = "stats:hour:"

// HourlyWindow is how far back the hourly counts are kept (the chart shows 24 hours).
const HourlyWindow = 48 * time.Hour

func hourlyKey(hourMs int64) string { return fmt.Sprintf("%s%013d", hourlyPrefix, hourMs) }

// HourOf is the start of the hour of an epoch-ms instant.
func HourOf(ms int64) int64 { return ms - ms%3_600_000 }

// AddHourly adds counts (hour start → level → events) to the hourly rows.
func (t *Tx) AddHourly(counts map[int64]map[string]int64, ts string) error {
	hours := make([]int64, 0, len(counts))
	for h := range counts {
		hours = append(hours, h)
	}
	sort.Slice(hours, func(i, j int) bool { return hours[i] < hours[j] }) // a fixed lock order
	for _, h := range hours {
		key := hourlyKey(h)
		q := `SELECT value_json FROM service_config WHERE key = ?`
		if t.s.dialect == Postgres {
			q += ` FOR UPDATE`
		}
		row, err := t.queryRow(q, key)
		if err != nil {
			return err
		}
		cur := map[string]int64{}
		var v string
		switch err := row.Scan(&v); {
		case err == nil:
			_ = json.Unmarshal([]byte(v), &cur) // a corrupt row starts over
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: hourly counts: %w", err)
		}
		for level, n := range counts[h] {
			cur[level] += n
		}
		b, _ := json.Marshal(cur)
		if _, err := t.exec(`INSERT INTO service_config(key, value_json, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
			key, string(b), ts); err != nil {
			return fmt.Errorf("store: hourly counts: %w", err)
		}
	}
	return nil
}

// DeleteHourlyBefore drops the hourly rows of hours before cutoffMs.
func (t *Tx) DeleteHourlyBefore(cutoffMs int64) error {
	_, err := t.exec(`DELETE FROM service_config WHERE key >= ? AND key < ?`, hourlyPrefix, hourlyKey(HourOf(cutoffMs)))
	if err != nil {
		return fmt.Errorf("store: hourly counts: %w", err)
	}
	return nil
}

// EventsPerHour returns the event counts by hour and level for the hours at or after sinceMs,
// ordered by hour and level, from the hourly rows maintained at ingest.
func (s *Store) EventsPerHour(ctx context.Context, sinceMs int64) ([]HourLevelCount, error) {
	var rows []struct {
		Key       string
		ValueJSON string `gorm:"column:value_json"`
	}
	err := s.db.WithContext(ctx).Raw(`SELECT key, value_json FROM service_config WHERE key >= ? AND key < ? ORDER BY key`,
		hourlyKey(HourOf(sinceMs)), hourlyPrefix+"~").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: events per hour: %w", err)
	}
	var out []HourLevelCount
	for _, r := range rows {
		h, err := strconv.ParseInt(strings.TrimPrefix(r.Key, hourlyPrefix), 10, 64)
		if err != nil {
			continue
		}
		var m map[string]int64
		if json.Unmarshal([]byte(r.ValueJSON), &m) != nil {
			continue
		}
		levels := make([]string, 0, len(m))
		for l := range m {
			levels = append(levels, l)
		}
		sort.Strings(levels)
		for _, l := range levels {
			if m[l] > 0 {
				out = append(out, HourLevelCount{HourMs: h, Level: l, Count: m[l]})
			}
		}
	}
	return out, nil
}

// backfillHourly builds the hourly rows of the last HourlyWindow from the stored events, once,
// when the migration that introduces them runs.
func backfillHourly(ctx context.Context, tx *sql.Tx, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT (event_at_ms / 3600000) * 3600000 AS hour_ms, level, COUNT(*)
		FROM telemetry_events WHERE event_at_ms >= ? GROUP BY (event_at_ms / 3600000) * 3600000, level`,
		now.Add(-HourlyWindow).UnixMilli())
	if err != nil {
		return fmt.Errorf("backfill hourly counts: %w", err)
	}
	counts := map[int64]map[string]int64{}
	for rows.Next() {
		var h, n int64
		var level string
		if err := rows.Scan(&h, &level, &n); err != nil {
			rows.Close()
			return fmt.Errorf("backfill hourly counts: %w", err)
		}
		if counts[h] == nil {
			counts[h] = map[string]int64{}
		}
		counts[h][level] = n
	}
	rows.Close()
	ts := now.UTC().Format("2006-01-02T15:04:05.000Z")
	for h, m := range counts {
		b, _ := json.Marshal(m)
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_config(key, value_json, updated_at) VALUES (?, ?, ?)`,
			hourlyKey(h), string(b), ts); err != nil {
			return fmt.Errorf("backfill hourly counts: %w", err)
		}
	}
	return nil
}
