package models

// Counter is one running total kept at ingest (the number of stored events), so the overview
// does not count a large table on every load.
type Counter struct {
	Name  string `gorm:"column:name;primaryKey"`
	Value int64  `gorm:"column:value"`
}

// TableName maps the struct to its table.
func (Counter) TableName() string { return "counters" }

// CounterEvents is the Counter of stored events.
const CounterEvents = "events_total"

// HourlyCount is the number of stored events of one level in one hour, kept at ingest for the
// overview's 24-hour chart.
type HourlyCount struct {
	// HourMs is the start of the hour, UTC epoch milliseconds.
	HourMs int64  `gorm:"column:hour_ms;primaryKey"`
	Level  string `gorm:"column:level;primaryKey"`
	Count  int64  `gorm:"column:count"`
}

// TableName maps the struct to its table.
func (HourlyCount) TableName() string { return "hourly_counts" }

// Presence is the latest heartbeat of a source (today only "chief"), kept at ingest.
type Presence struct {
	Source              string `gorm:"column:source;primaryKey" json:"-"`
	EventAt             string `gorm:"column:event_at" json:"eventAt"`
	EventAtMs           int64  `gorm:"column:event_at_ms" json:"eventAtMs"`
	PingIntervalSeconds *int64 `gorm:"column:ping_interval_seconds" json:"pingIntervalSeconds"`
	UpdatedAt           string `gorm:"column:updated_at" json:"-"`
}

// TableName maps the struct to its table.
func (Presence) TableName() string { return "presence" }

// PresenceChief is the Presence source of Chief heartbeats.
const PresenceChief = "chief"

// Lease is a named, expiring claim that makes one instance of several do a periodic job
// (evaluator, retention, notifier) at a time.
type Lease struct {
	Name      string `gorm:"column:name;primaryKey"`
	Holder    string `gorm:"column:holder"`
	ExpiresMs int64  `gorm:"column:expires_ms"`
	UpdatedAt string `gorm:"column:updated_at"`
}

// TableName maps the struct to its table.
func (Lease) TableName() string { return "leases" }
