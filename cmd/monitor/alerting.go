package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gulag/chief-monitor/internal/delivery"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

// wireAlerting builds alert delivery: the e-mail provider chosen by the
// configuration (SMTP when MONITOR_SMTP_HOST is set, else Resend), the settings service and
// the notifier, installed as the writer's transactional outbox and woken by new alerts.
// Call it before the writer runs.
func wireAlerting(cfg *Config, log *slog.Logger, st *store.Store, writer *services.Writer) (*services.Settings, *services.Notifier) {
	// Each send carries its own 10 s deadline. Redirects are not followed: a webhook endpoint
	// must not steer the monitor to another (internal) address and have its answer recorded.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var email delivery.Sender
	switch cfg.EmailProvider() {
	case "smtp":
		email = &delivery.SMTP{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword, From: cfg.SMTPFrom, TLS: cfg.SMTPTLS}
	case "resend":
		email = &delivery.Resend{APIKey: cfg.ResendAPIKey, From: cfg.ResendFromEmail, APIBase: cfg.ResendAPIBase, Client: client}
	}
	settings := services.NewSettings(st, writer.Do, services.SettingsOptions{EmailProvider: cfg.EmailProvider(),
		Cooldown: time.Duration(cfg.AlertCooldown) * time.Second})
	notifier := services.NewNotifier(st, writer.Do, settings, log.With("component", "notifier"), services.NotifierOptions{
		Email: email, BaseURL: cfg.BaseURL, Holder: instanceID(), HTTPClient: client})
	writer.SetOutbox(notifier.Outbox)
	writer.OnAlerts(func([]models.Alert) { notifier.Wake() })
	return settings, notifier
}
