package models

// ServiceConfig is one settings row of service_config: a key and its JSON value.
type ServiceConfig struct {
	Key       string `gorm:"column:key;primaryKey"`
	ValueJSON string `gorm:"column:value_json"`
	UpdatedAt string `gorm:"column:updated_at"`
}

// TableName maps the struct to the original table name.
func (ServiceConfig) TableName() string { return "service_config" }
