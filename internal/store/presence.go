package store

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The presence row is the latest chief.heartbeat, kept at ingest so that the overview need not
// search the events for it.

// PutPresence records the latest Chief heartbeat.
func (t *Tx) PutPresence(p models.Presence, ts string) error {
	p.Source, p.UpdatedAt = models.PresenceChief, ts
	return wrap("put presence", t.db.Clauses(clause.OnConflict{UpdateAll: true}).Create(&p).Error)
}

func presence(db *gorm.DB) (*models.Presence, error) {
	var rows []models.Presence
	if err := db.Where("source = ?", models.PresenceChief).Limit(1).Find(&rows).Error; err != nil {
		return nil, wrap("presence", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// Presence returns the latest Chief heartbeat known, or nil.
func (s *Store) Presence(ctx context.Context) (*models.Presence, error) {
	return presence(s.db.WithContext(ctx))
}

// PresenceForUpdate returns the stored presence inside a write transaction, locked.
func (t *Tx) PresenceForUpdate() (*models.Presence, error) {
	return presence(t.db.Clauses(forUpdate))
}

// latestHeartbeat reads the newest chief.heartbeat event as presence; nil when there is none.
func latestHeartbeat(db *gorm.DB) (*models.Presence, error) {
	var evs []models.TelemetryEvent
	err := db.Where("source_type = ? AND event_type = ?", telemetry.SourceChief, telemetry.EventChiefHeartbeat).
		Order(eventOrder).Limit(1).Find(&evs).Error
	if err != nil || len(evs) == 0 {
		return nil, wrap("latest heartbeat", err)
	}
	e := evs[0]
	return &models.Presence{EventAt: e.EventAt, EventAtMs: e.EventAtMs, PingIntervalSeconds: PingInterval([]byte(e.MetadataJSON))}, nil
}

// RefreshPresence re-reads the latest Chief heartbeat from the events after retention deleted
// some, so that a pruned heartbeat is no longer reported (the original read presence from the
// events); with none left the presence row is removed.
func (t *Tx) RefreshPresence(ts string) error {
	cur, err := t.PresenceForUpdate()
	if err != nil || cur == nil {
		return err
	}
	p, err := latestHeartbeat(t.db)
	switch {
	case err != nil:
		return err
	case p == nil:
		return wrap("refresh presence", t.db.Where("source = ?", models.PresenceChief).Delete(&models.Presence{}).Error)
	case p.EventAt == cur.EventAt && p.EventAtMs == cur.EventAtMs:
		return nil
	}
	return t.PutPresence(*p, ts)
}

// PingInterval reads metadata.ping_interval_seconds the way the original does: a finite
// number truncated, a string's leading integer, and only a result > 0 counts.
func PingInterval(metadata []byte) *int64 {
	var m map[string]json.RawMessage
	if json.Unmarshal(metadata, &m) != nil {
		return nil
	}
	raw, ok := m[telemetry.MetaPingIntervalSeconds]
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
