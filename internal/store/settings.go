package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gulag/chief-monitor/models"
)

// Keys of the alert-delivery settings rows added by the Go service (issue 5).
const (
	// KeyWebhookSettings holds the generic webhook channels.
	KeyWebhookSettings = "alert_webhook_settings"
	// KeySlackSettings holds the Slack incoming-webhook channels.
	KeySlackSettings = "alert_slack_settings"
)

// ConfigValue reads one service_config value inside a write transaction; ok is false when
// the row does not exist.
func (t *Tx) ConfigValue(key string) (value string, ok bool, err error) {
	row, err := t.queryRow(`SELECT value_json FROM service_config WHERE key = ?`, key)
	if err != nil {
		return "", false, err
	}
	switch err := row.Scan(&value); {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("store: config %s: %w", key, err)
	}
	return value, true, nil
}

// ConfigRow reads one service_config row, or ErrNotFound.
func (s *Store) ConfigRow(ctx context.Context, key string) (models.ServiceConfig, error) {
	var rows []models.ServiceConfig
	if err := s.db.WithContext(ctx).Where("key = ?", key).Limit(1).Find(&rows).Error; err != nil {
		return models.ServiceConfig{}, fmt.Errorf("store: config %s: %w", key, err)
	}
	if len(rows) == 0 {
		return models.ServiceConfig{}, ErrNotFound
	}
	return rows[0], nil
}
