package main

import (
	"errors"
	"strings"
	"testing"
)

func lookupMap(m map[string]string) lookupFunc {
	return func(k string) (string, bool) {
		v, ok := m[k]
		if !ok || v == "" {
			return "", false
		}
		return v, true
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := LoadConfig(lookupMap(map[string]string{"MONITOR_AUTH_ENABLED": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "127.0.0.1" || c.Port != 7410 || c.DBPath != "./monitor.sqlite" || c.RetentionDays != 30 ||
		c.EvaluatorInterval != 15 || c.RetentionInterval != 3600 || c.ResendAPIBase != "https://api.resend.com" ||
		c.BaseURL != "http://127.0.0.1:7410" {
		t.Fatalf("defaults: %+v", c)
	}
	want := []string{"http://127.0.0.1:7410", "http://localhost:7410"}
	if strings.Join(c.TrustedOriginsFinal, " ") != strings.Join(want, " ") {
		t.Fatalf("trusted origins: got %v, want %v", c.TrustedOriginsFinal, want)
	}
}

func TestConfigRules(t *testing.T) {
	auth := map[string]string{"MONITOR_AUTH_SECRET": "s", "MONITOR_AUTH_ADMIN_EMAIL": "a@b.co", "MONITOR_AUTH_ADMIN_PASSWORD": "pw"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range auth {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		check   func(*Config) bool
	}{
		{"auth vars missing names them in order", map[string]string{"MONITOR_AUTH_ADMIN_EMAIL": "a@b.co"}, "MONITOR_AUTH_SECRET", nil},
		{"blank secret counts as missing", map[string]string{"MONITOR_AUTH_SECRET": "  ", "MONITOR_AUTH_ADMIN_EMAIL": "a@b.co", "MONITOR_AUTH_ADMIN_PASSWORD": "x"}, "MONITOR_AUTH_SECRET", nil},
		{"PORT is the fallback port", with(map[string]string{"PORT": "8080"}), "", func(c *Config) bool { return c.Port == 8080 }},
		{"leading integer is read", with(map[string]string{"MONITOR_EVALUATOR_INTERVAL_SECONDS": "15s"}), "", func(c *Config) bool { return c.EvaluatorInterval == 15 }},
		{"garbage number names the variable", with(map[string]string{"MONITOR_RETENTION_DAYS": "forever"}), "MONITOR_RETENTION_DAYS", nil},
		{"port out of range", with(map[string]string{"MONITOR_PORT": "70000"}), "MONITOR_PORT", nil},
		{"bad boolean", with(map[string]string{"MONITOR_AUTH_ENABLED": "maybe"}), "MONITOR_AUTH_ENABLED", nil},
		{"empty host means unset", with(map[string]string{"MONITOR_HOST": ""}), "", func(c *Config) bool { return c.Host == "127.0.0.1" }},
		{"bad base URL", with(map[string]string{"MONITOR_AUTH_BASE_URL": "not a url"}), "MONITOR_AUTH_BASE_URL", nil},
		{"base URL keeps only the origin", with(map[string]string{"MONITOR_AUTH_BASE_URL": "https://mon.example.org/app/"}), "",
			func(c *Config) bool { return c.BaseURL == "https://mon.example.org" && c.SecureCookies }},
		{"BETTER_AUTH_URL is a fallback", with(map[string]string{"BETTER_AUTH_URL": "https://b.example.org"}), "",
			func(c *Config) bool { return c.BaseURL == "https://b.example.org" }},
		{"open ingest on a public address is refused", with(map[string]string{"MONITOR_HOST": "0.0.0.0"}), "MONITOR_API_KEY", nil},
		{"open ingest allowed by opt-in", with(map[string]string{"MONITOR_HOST": "0.0.0.0", "MONITOR_ALLOW_OPEN_INGEST": "true"}), "", nil},
		{"a key makes a public address fine", with(map[string]string{"MONITOR_HOST": "0.0.0.0", "MONITOR_API_KEY": "k"}), "", nil},
		{"bad trusted proxy", with(map[string]string{"MONITOR_TRUSTED_PROXIES": "10.0.0.0/8, nope"}), "MONITOR_TRUSTED_PROXIES", nil},
		{"trusted origins reduced to origins", with(map[string]string{"MONITOR_AUTH_TRUSTED_ORIGINS": "https://a.example.org/x, junk"}), "",
			func(c *Config) bool {
				return strings.Contains(strings.Join(c.TrustedOriginsFinal, " "), "https://a.example.org ")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig(lookupMap(tc.env))
			if tc.wantVar != "" {
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Var != tc.wantVar {
					t.Fatalf("got error %v, want one naming %s", err, tc.wantVar)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.check != nil && !tc.check(c) {
				t.Fatalf("config: %+v", c)
			}
		})
	}
}

func TestLogValuesMaskSecrets(t *testing.T) {
	c, err := LoadConfig(lookupMap(map[string]string{"MONITOR_AUTH_SECRET": "topsecret", "MONITOR_AUTH_ADMIN_EMAIL": "a@b.co",
		"MONITOR_AUTH_ADMIN_PASSWORD": "hunter22", "MONITOR_API_KEY": "key-123"}))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, v := range c.LogValues() {
		b.WriteString(strings.TrimSpace(strings.Trim(strings.ReplaceAll(strings.ReplaceAll(toString(v), "\n", ""), "\t", ""), " ")))
		b.WriteString(" ")
	}
	for _, secret := range []string{"topsecret", "hunter22", "key-123"} {
		if strings.Contains(b.String(), secret) {
			t.Fatalf("log values leak %q: %s", secret, b.String())
		}
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []string:
		return strings.Join(x, ",")
	default:
		return ""
	}
}
