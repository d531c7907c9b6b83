package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Keys of the service_config settings rows.
const (
	// KeyEmailSettings is the original's e-mail settings row.
	KeyEmailSettings = "alert_email_settings"
	// KeyWebhookSettings holds the generic webhook channels.
	KeyWebhookSettings = "alert_webhook_settings"
	// KeySlackSettings holds the Slack incoming-webhook channels.
	KeySlackSettings = "alert_slack_settings"
	// KeyChatSettings holds the chat and push channels.
	KeyChatSettings = "alert_chat_settings"
	// KeyPolicySettings holds the default alert policy of jobs that set none.
	KeyPolicySettings = "alert_policy_settings"
)

// configRow reads one settings row through db, or ErrNotFound.
func configRow(db *gorm.DB, key string) (models.ServiceConfig, error) {
	var rows []models.ServiceConfig
	if err := db.Where("key = ?", key).Limit(1).Find(&rows).Error; err != nil {
		return models.ServiceConfig{}, wrap("config "+key, err)
	}
	if len(rows) == 0 {
		return models.ServiceConfig{}, ErrNotFound
	}
	return rows[0], nil
}

// ConfigRow reads one settings row, or ErrNotFound.
func (s *Store) ConfigRow(ctx context.Context, key string) (models.ServiceConfig, error) {
	return configRow(s.db.WithContext(ctx), key)
}

// ConfigValue reads one settings value, or ErrNotFound.
func (s *Store) ConfigValue(ctx context.Context, key string) (string, error) {
	row, err := s.ConfigRow(ctx, key)
	return row.ValueJSON, err
}

// ConfigValue reads one settings value inside a write transaction; ok is false when the row
// does not exist.
func (t *Tx) ConfigValue(key string) (value string, ok bool, err error) {
	row, err := configRow(t.db, key)
	if IsNotFound(err) {
		return "", false, nil
	}
	return row.ValueJSON, err == nil, err
}

// PutConfig stores one settings value.
func (t *Tx) PutConfig(key, value, ts string) error {
	err := t.db.Clauses(clause.OnConflict{UpdateAll: true}).
		Create(&models.ServiceConfig{Key: key, ValueJSON: value, UpdatedAt: ts}).Error
	return wrap("put config "+key, err)
}
