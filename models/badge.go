package models

// Badge is one row of badges: a public status badge of every job, or of the jobs whose name
// matches JobPattern, read by anyone who holds its token. Only the token's SHA-256 is stored.
type Badge struct {
	ID        int64  `gorm:"column:id;primaryKey"`
	TokenHash string `gorm:"column:token_hash"`
	// Label is the badge's left-hand text.
	Label string `gorm:"column:label"`
	// JobPattern is a path.Match glob of job names (a plain name is one job); "" is every job.
	JobPattern string `gorm:"column:job_pattern"`
	// TagPattern is a path.Match glob of tags; a job with a matching tag is in the badge too.
	TagPattern string  `gorm:"column:tag_pattern"`
	CreatedAt  string  `gorm:"column:created_at"`
	CreatedBy  string  `gorm:"column:created_by"`
	RevokedAt  *string `gorm:"column:revoked_at"`
	RevokedBy  *string `gorm:"column:revoked_by"`
}

// TableName maps the struct to its table.
func (Badge) TableName() string { return "badges" }

// Revoked reports whether the badge was revoked: its URLs answer 404 from then on.
func (b Badge) Revoked() bool { return b.RevokedAt != nil }
