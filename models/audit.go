package models

// AuditEntry is one row of audit_log: who changed what, and when.
type AuditEntry struct {
	ID int64 `gorm:"column:id;primaryKey"`
	// At is the server time of the change (ISO-8601 UTC, like every other timestamp).
	At string `gorm:"column:at"`
	// Actor is the signed-in e-mail, "api-key" for the MONITOR_API_KEY, or "anonymous" when
	// the dashboard is open without sign-in.
	Actor string `gorm:"column:actor"`
	// Action is a dotted verb such as "settings.email.update" or "user.create".
	Action string `gorm:"column:action"`
	// Target is what the action changed: an alert id, a user's e-mail, a channel kind.
	Target string `gorm:"column:target"`
	// Detail is a short human description. It never holds a secret: URLs are masked and
	// passwords are never written.
	Detail string `gorm:"column:detail"`
}

// TableName maps the struct to its table.
func (AuditEntry) TableName() string { return "audit_log" }
