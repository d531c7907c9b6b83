package models

// JobPause is one paused job: its alerts are recorded as suppressed instead of delivered until
// it is resumed or UntilMs passes.
type JobPause struct {
	JobName  string  `gorm:"column:job_name;primaryKey"`
	PausedAt string  `gorm:"column:paused_at"`
	PausedBy string  `gorm:"column:paused_by"`
	UntilAt  *string `gorm:"column:until_at"`
	UntilMs  *int64  `gorm:"column:until_ms"`
	Reason   string  `gorm:"column:reason"`
}

// TableName maps the struct to its table.
func (JobPause) TableName() string { return "job_pauses" }

// MaintenanceWindow is planned work during which the alerts of the jobs it covers are
// suppressed. A one-off window has StartsAt and EndsAt; a recurring one has Cron (weekly days
// and a time are stored as their cron expression) and DurationMinutes, read in Timezone.
type MaintenanceWindow struct {
	ID              int64   `gorm:"column:id;primaryKey"`
	Name            string  `gorm:"column:name"`
	JobsJSON        string  `gorm:"column:jobs_json"`
	TagsJSON        string  `gorm:"column:tags_json"`
	StartsAt        *string `gorm:"column:starts_at"`
	EndsAt          *string `gorm:"column:ends_at"`
	Cron            string  `gorm:"column:cron"`
	DurationMinutes int64   `gorm:"column:duration_minutes"`
	Timezone        string  `gorm:"column:timezone"`
	CreatedAt       string  `gorm:"column:created_at"`
	CreatedBy       string  `gorm:"column:created_by"`
}

// TableName maps the struct to its table.
func (MaintenanceWindow) TableName() string { return "maintenance_windows" }
