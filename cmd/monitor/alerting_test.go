package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestAlertingConfig(t *testing.T) {
	base := map[string]string{"MONITOR_AUTH_ENABLED": "false"}
	cases := []struct {
		name     string
		env      map[string]string
		wantVar  string // the variable a ConfigError names, "" for success
		provider string
		check    func(c *Config) error
	}{
		{name: "defaults", provider: "", check: func(c *Config) error {
			if c.SMTPPort != 587 || c.SMTPTLS != "starttls" || c.AlertCooldown != 300 {
				return fmt.Errorf("defaults: port %d tls %q cooldown %d", c.SMTPPort, c.SMTPTLS, c.AlertCooldown)
			}
			return nil
		}},
		{name: "resend", env: map[string]string{"MONITOR_RESEND_API_KEY": " re_x ", "MONITOR_RESEND_FROM_EMAIL": "a@example.org"}, provider: "resend"},
		{name: "smtp wins over resend", env: map[string]string{"MONITOR_SMTP_HOST": "smtp.example.org", "MONITOR_SMTP_FROM": "a@example.org",
			"MONITOR_RESEND_API_KEY": "re_x", "MONITOR_RESEND_FROM_EMAIL": "a@example.org"}, provider: "smtp"},
		{name: "smtp without sender", env: map[string]string{"MONITOR_SMTP_HOST": "smtp.example.org"}, wantVar: "MONITOR_SMTP_FROM"},
		{name: "bad sender", env: map[string]string{"MONITOR_SMTP_HOST": "h", "MONITOR_SMTP_FROM": "not an address"}, wantVar: "MONITOR_SMTP_FROM"},
		{name: "bad tls mode", env: map[string]string{"MONITOR_SMTP_HOST": "h", "MONITOR_SMTP_FROM": "a@example.org", "MONITOR_SMTP_TLS": "ssl"}, wantVar: "MONITOR_SMTP_TLS"},
		{name: "clear-text password to a remote host", env: map[string]string{"MONITOR_SMTP_HOST": "smtp.example.org",
			"MONITOR_SMTP_FROM": "a@example.org", "MONITOR_SMTP_TLS": "none", "MONITOR_SMTP_USERNAME": "u"}, wantVar: "MONITOR_SMTP_TLS"},
		{name: "relay on loopback", env: map[string]string{"MONITOR_SMTP_HOST": "127.0.0.1", "MONITOR_SMTP_PORT": "25",
			"MONITOR_SMTP_FROM": "a@example.org", "MONITOR_SMTP_TLS": "NONE", "MONITOR_SMTP_USERNAME": "u"}, provider: "smtp"},
		{name: "bad port", env: map[string]string{"MONITOR_SMTP_PORT": "70000"}, wantVar: "MONITOR_SMTP_PORT"},
		{name: "cooldown off", env: map[string]string{"MONITOR_ALERT_COOLDOWN_SECONDS": "0"}, check: func(c *Config) error {
			if c.AlertCooldown != 0 {
				return fmt.Errorf("cooldown %d", c.AlertCooldown)
			}
			return nil
		}},
		{name: "negative cooldown", env: map[string]string{"MONITOR_ALERT_COOLDOWN_SECONDS": "-1"}, wantVar: "MONITOR_ALERT_COOLDOWN_SECONDS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := LoadConfig(lookupMap(env))
			if tc.wantVar != "" {
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Var != tc.wantVar {
					t.Fatalf("got %v, want an error naming %s", err, tc.wantVar)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.EmailProvider(); got != tc.provider {
				t.Fatalf("provider %q, want %q", got, tc.provider)
			}
			if tc.check != nil {
				if err := tc.check(c); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestSecretsMaskedInLog(t *testing.T) {
	env := map[string]string{"MONITOR_AUTH_ENABLED": "false", "MONITOR_SMTP_HOST": "h", "MONITOR_SMTP_FROM": "a@example.org",
		"MONITOR_SMTP_PASSWORD": "hunter2-smtp", "MONITOR_RESEND_API_KEY": "re_secret_key"}
	c, err := LoadConfig(lookupMap(env))
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprint(c.LogValues()...)
	if strings.Contains(line, "hunter2-smtp") || strings.Contains(line, "re_secret_key") || !strings.Contains(line, "smtp_password") {
		t.Fatalf("log values leak a secret: %s", line)
	}
}
