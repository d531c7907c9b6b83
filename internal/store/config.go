package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/gulag/chief-monitor/models"
)

// Keys of internal service_config rows.
const (
	keyEventsTotal = "stats:events_total"
	keyPresence    = "presence:chief"
	// KeyEmailSettings is the reference's e-mail settings row.
	KeyEmailSettings = "alert_email_settings"
)

// Presence is the latest chief.heartbeat, maintained at ingest (fix E2).
type Presence struct {
	EventAt             string `json:"eventAt"`
	EventAtMs           int64  `json:"eventAtMs"`
	PingIntervalSeconds *int64 `json:"pingIntervalSeconds"`
}

// PingInterval reads metadata.ping_interval_seconds the way the reference does: a finite
// number truncated, a string's leading integer, and only a result > 0 counts.
func PingInterval(metadata []byte) *int64 {
	var m map[string]json.RawMessage
	if json.Unmarshal(metadata, &m) != nil {
		return nil
	}
	raw, ok := m["ping_interval_seconds"]
	if !ok {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var n int64
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil
		}
		n = int64(x)
	case string:
		n, _ = LeadingInt(strings.TrimSpace(x))
	default:
		return nil
	}
	if n <= 0 {
		return nil
	}
	return &n
}

// LeadingInt reads the leading base-10 integer of s (with an optional sign), as JavaScript's
// parseInt does, leading white space included; ok is false when s does not start with one.
func LeadingInt(s string) (n int64, ok bool) {
	s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil {
		if s[0] == '-' {
			return math.MinInt64, true
		}
		return math.MaxInt64, true
	}
	return n, true
}

func putPresence(ctx context.Context, tx *sql.Tx, p Presence, ts string) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO service_config(key, value_json, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
		keyPresence, string(b), ts)
	return err
}

// PutPresence records the latest chief heartbeat.
func (t *Tx) PutPresence(p Presence, ts string) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO service_config(key, value_json, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
		keyPresence, string(b), ts)
	if err != nil {
		return fmt.Errorf("store: put presence: %w", err)
	}
	return nil
}

// Presence returns the latest chief heartbeat known, or nil.
func (s *Store) Presence(ctx context.Context) (*Presence, error) {
	v, err := s.ConfigValue(ctx, keyPresence)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p Presence
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, nil
	}
	return &p, nil
}

// PresenceForUpdate returns the stored presence inside a write transaction.
func (t *Tx) PresenceForUpdate() (*Presence, error) {
	q := `SELECT value_json FROM service_config WHERE key = ?`
	if t.s.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	row, err := t.queryRow(q, keyPresence)
	if err != nil {
		return nil, err
	}
	var v string
	switch err := row.Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("store: presence: %w", err)
	}
	var p Presence
	if json.Unmarshal([]byte(v), &p) != nil {
		return nil, nil
	}
	return &p, nil
}

// latestHeartbeatSQL reads the newest chief.heartbeat event, the source of presence.
const latestHeartbeatSQL = `SELECT event_at, event_at_ms, metadata_json FROM telemetry_events
	WHERE source_type = 'chief' AND event_type = 'chief.heartbeat' ORDER BY event_at_ms DESC, id DESC LIMIT 1`

// scanHeartbeat turns the row of latestHeartbeatSQL into presence; nil when there is no heartbeat.
func scanHeartbeat(row *sql.Row) (*Presence, error) {
	var p Presence
	var meta string
	switch err := row.Scan(&p.EventAt, &p.EventAtMs, &meta); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	p.PingIntervalSeconds = PingInterval([]byte(meta))
	return &p, nil
}

// RefreshPresence re-reads the latest chief heartbeat from the events after retention deleted
// some, so that a pruned heartbeat is no longer reported (the reference reads presence from the
// events table); with none left the presence row is removed.
func (t *Tx) RefreshPresence(ts string) error {
	cur, err := t.PresenceForUpdate()
	if err != nil || cur == nil {
		return err
	}
	row, err := t.queryRow(latestHeartbeatSQL)
	if err != nil {
		return fmt.Errorf("store: refresh presence: %w", err)
	}
	p, err := scanHeartbeat(row)
	switch {
	case err != nil:
		return fmt.Errorf("store: refresh presence: %w", err)
	case p == nil:
		if _, err := t.exec(`DELETE FROM service_config WHERE key = ?`, keyPresence); err != nil {
			return fmt.Errorf("store: refresh presence: %w", err)
		}
		return nil
	case p.EventAt == cur.EventAt && p.EventAtMs == cur.EventAtMs:
		return nil
	}
	return t.PutPresence(*p, ts)
}

// AddEventsTotal adjusts the cached event count by delta.
func (t *Tx) AddEventsTotal(delta int64, ts string) error {
	if delta == 0 {
		return nil
	}
	res, err := t.exec(`UPDATE service_config SET value_json = CAST(CAST(value_json AS BIGINT) + ? AS TEXT), updated_at = ?
		WHERE key = ?`, delta, ts, keyEventsTotal)
	if err != nil {
		return fmt.Errorf("store: count events: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := t.exec(`INSERT INTO service_config(key, value_json, updated_at)
			SELECT ?, CAST(COUNT(*) AS TEXT), ? FROM telemetry_events`, keyEventsTotal, ts); err != nil {
			return fmt.Errorf("store: count events: %w", err)
		}
	}
	return nil
}

// EventsTotal returns the cached number of stored events.
func (s *Store) EventsTotal(ctx context.Context) (int64, error) {
	v, err := s.ConfigValue(ctx, keyEventsTotal)
	if errors.Is(err, ErrNotFound) {
		var n int64
		err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM telemetry_events`).Scan(&n).Error
		return n, err
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
}

// ConfigValue reads one service_config value.
func (s *Store) ConfigValue(ctx context.Context, key string) (string, error) {
	var rows []models.ServiceConfig
	if err := s.db.WithContext(ctx).Where("key = ?", key).Limit(1).Find(&rows).Error; err != nil {
		return "", fmt.Errorf("store: config %s: %w", key, err)
	}
	if len(rows) == 0 {
		return "", ErrNotFound
	}
	return rows[0].ValueJSON, nil
}

// PutConfig upserts one service_config value.
func (s *Store) PutConfig(ctx context.Context, key, value, ts string) error {
	return s.Write(ctx, func(t *Tx) error {
		_, err := t.exec(`INSERT INTO service_config(key, value_json, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`, key, value, ts)
		return err
	})
}

// TryLease takes or renews the named lease for holder until expiresMs, unless another holder
// owns an unexpired one. It reports whether holder owns the lease now (fix B5).
func (t *Tx) TryLease(name, holder string, nowMs, expiresMs int64, ts string) (bool, error) {
	key := "lease:" + name
	val, _ := json.Marshal(map[string]any{"holder": holder, "expiresMs": expiresMs})
	if _, err := t.exec(`INSERT INTO service_config(key, value_json, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO NOTHING`, key, string(val), ts); err != nil {
		return false, fmt.Errorf("store: lease: %w", err)
	}
	row, err := t.queryRow(`SELECT value_json FROM service_config WHERE key = ?`, key)
	if err != nil {
		return false, err
	}
	var cur string
	if err := row.Scan(&cur); err != nil {
		return false, fmt.Errorf("store: lease: %w", err)
	}
	var l struct {
		Holder    string `json:"holder"`
		ExpiresMs int64  `json:"expiresMs"`
	}
	_ = json.Unmarshal([]byte(cur), &l) // a corrupt lease row counts as expired
	if l.Holder != holder && l.ExpiresMs > nowMs {
		return false, nil
	}
	res, err := t.exec(`UPDATE service_config SET value_json = ?, updated_at = ? WHERE key = ? AND value_json = ?`,
		string(val), ts, key, cur)
	if err != nil {
		return false, fmt.Errorf("store: lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
