package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gulag/chief-monitor/internal/delivery"
)

// Config is every MONITOR_* setting, parsed once at start.
type Config struct {
	Host               string `env:"MONITOR_HOST"`
	Port               int    `env:"MONITOR_PORT" validate:"min=1,max=65535"`
	DBPath             string `env:"MONITOR_DB_PATH" validate:"required"`
	DBURL              string `env:"MONITOR_DB_URL"`
	APIKey             string `env:"MONITOR_API_KEY"`
	IngestAPIKey       string `env:"MONITOR_INGEST_API_KEY"`
	MetricsToken       string `env:"MONITOR_METRICS_TOKEN"`
	AllowOpenIngest    bool   `env:"MONITOR_ALLOW_OPEN_INGEST"`
	AuthEnabled        bool   `env:"MONITOR_AUTH_ENABLED"`
	AuthSecret         string `env:"MONITOR_AUTH_SECRET"`
	AuthBaseURL        string `env:"MONITOR_AUTH_BASE_URL"`
	AuthTrustedOrigins []string
	AuthAdminEmail     string `env:"MONITOR_AUTH_ADMIN_EMAIL"`
	AuthAdminPassword  string `env:"MONITOR_AUTH_ADMIN_PASSWORD"`
	AuthAdminReset     bool   `env:"MONITOR_AUTH_ADMIN_RESET"`
	ResendAPIKey       string `env:"MONITOR_RESEND_API_KEY"`
	ResendFromEmail    string `env:"MONITOR_RESEND_FROM_EMAIL"`
	ResendAPIBase      string `env:"MONITOR_RESEND_API_BASE"`
	SMTPHost           string `env:"MONITOR_SMTP_HOST"`
	SMTPPort           int    `env:"MONITOR_SMTP_PORT" validate:"min=1,max=65535"`
	SMTPUsername       string `env:"MONITOR_SMTP_USERNAME"`
	SMTPPassword       string `env:"MONITOR_SMTP_PASSWORD"`
	SMTPFrom           string `env:"MONITOR_SMTP_FROM"`
	SMTPTLS            string `env:"MONITOR_SMTP_TLS" validate:"oneof=starttls tls none"`
	AlertCooldown      int    `env:"MONITOR_ALERT_COOLDOWN_SECONDS" validate:"min=0"`
	RetentionDays      int    `env:"MONITOR_RETENTION_DAYS" validate:"min=1"`
	EvaluatorInterval  int    `env:"MONITOR_EVALUATOR_INTERVAL_SECONDS" validate:"min=1"`
	RetentionInterval  int    `env:"MONITOR_RETENTION_INTERVAL_SECONDS" validate:"min=1"`
	TrustedProxies     []string
	OIDCIssuer         string `env:"MONITOR_OIDC_ISSUER"`
	OIDCClientID       string `env:"MONITOR_OIDC_CLIENT_ID"`
	OIDCClientSecret   string `env:"MONITOR_OIDC_CLIENT_SECRET"`
	OIDCName           string `env:"MONITOR_OIDC_NAME"`
	GitHubClientID     string `env:"MONITOR_GITHUB_CLIENT_ID"`
	GitHubClientSecret string `env:"MONITOR_GITHUB_CLIENT_SECRET"`
	SSOAllowedEmails   []string
	SSOAllowedDomains  []string
	// SSOAdminEmails (MONITOR_SSO_ADMIN_EMAILS): addresses or "@domain" entries whose single
	// sign-on users are admins; the others are viewers.
	SSOAdminEmails      []string
	LogFormat           string `env:"MONITOR_LOG_FORMAT" validate:"oneof=text json"`
	LogLevel            string `env:"MONITOR_LOG_LEVEL" validate:"oneof=debug info warn error"`
	BaseURL             string // derived: the public origin
	SecureCookies       bool   // derived: the base URL is https
	TrustedOriginsFinal []string
}

// lookupFunc reads one variable; ok is false when it is unset. An empty value counts as unset.
type lookupFunc func(name string) (string, bool)

func envLookup(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return "", false
	}
	return v, true
}

// ConfigError names the variable at fault.
type ConfigError struct {
	Var, Msg string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Msg }

// LoadConfig parses and validates the configuration from lookup.
func LoadConfig(lookup lookupFunc) (*Config, error) {
	var errs []error
	str := func(name, def string) string {
		if v, ok := lookup(name); ok {
			return v
		}
		return def
	}
	integer := func(name string, def int) int {
		v, ok := lookup(name)
		if !ok {
			return def
		}
		n, err := leadingInt(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			errs = append(errs, &ConfigError{name, fmt.Sprintf("must be a positive whole number, got %q", v)})
			return def
		}
		return n
	}
	boolean := func(name string, def bool) bool {
		v, ok := lookup(name)
		if !ok {
			return def
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "on":
			return true
		case "0", "false", "no", "off":
			return false
		}
		errs = append(errs, &ConfigError{name, fmt.Sprintf("must be true or false, got %q", v)})
		return def
	}
	csv := func(name string) []string {
		v, _ := lookup(name)
		var out []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	nonNegative := func(name string, def int) int {
		v, ok := lookup(name)
		if !ok {
			return def
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			errs = append(errs, &ConfigError{name, fmt.Sprintf("must be a whole number of seconds, 0 or more, got %q", v)})
			return def
		}
		return n
	}
	defHost := "127.0.0.1"
	if _, ok := lookup("RENDER"); ok {
		defHost = "0.0.0.0"
	}
	c := &Config{
		Host:               strings.TrimSpace(str("MONITOR_HOST", defHost)),
		Port:               integer("MONITOR_PORT", integer("PORT", 7410)),
		DBPath:             str("MONITOR_DB_PATH", "./monitor.sqlite"),
		DBURL:              strings.TrimSpace(str("MONITOR_DB_URL", "")),
		APIKey:             str("MONITOR_API_KEY", ""),
		IngestAPIKey:       str("MONITOR_INGEST_API_KEY", ""),
		MetricsToken:       str("MONITOR_METRICS_TOKEN", ""),
		AllowOpenIngest:    boolean("MONITOR_ALLOW_OPEN_INGEST", false),
		AuthEnabled:        boolean("MONITOR_AUTH_ENABLED", true),
		AuthSecret:         str("MONITOR_AUTH_SECRET", ""),
		AuthBaseURL:        str("MONITOR_AUTH_BASE_URL", str("BETTER_AUTH_URL", str("RENDER_EXTERNAL_URL", ""))),
		AuthTrustedOrigins: csv("MONITOR_AUTH_TRUSTED_ORIGINS"),
		AuthAdminEmail:     str("MONITOR_AUTH_ADMIN_EMAIL", ""),
		AuthAdminPassword:  str("MONITOR_AUTH_ADMIN_PASSWORD", ""),
		AuthAdminReset:     boolean("MONITOR_AUTH_ADMIN_RESET", false),
		ResendAPIKey:       strings.TrimSpace(str("MONITOR_RESEND_API_KEY", "")),
		ResendFromEmail:    strings.TrimSpace(str("MONITOR_RESEND_FROM_EMAIL", "")),
		ResendAPIBase:      strings.TrimRight(strings.TrimSpace(str("MONITOR_RESEND_API_BASE", "https://api.resend.com")), "/"),
		SMTPHost:           strings.TrimSpace(str("MONITOR_SMTP_HOST", "")),
		SMTPPort:           integer("MONITOR_SMTP_PORT", 587),
		SMTPUsername:       str("MONITOR_SMTP_USERNAME", ""),
		SMTPPassword:       str("MONITOR_SMTP_PASSWORD", ""),
		SMTPFrom:           strings.TrimSpace(str("MONITOR_SMTP_FROM", "")),
		SMTPTLS:            strings.ToLower(strings.TrimSpace(str("MONITOR_SMTP_TLS", "starttls"))),
		AlertCooldown:      nonNegative("MONITOR_ALERT_COOLDOWN_SECONDS", 300),
		RetentionDays:      integer("MONITOR_RETENTION_DAYS", 30),
		EvaluatorInterval:  integer("MONITOR_EVALUATOR_INTERVAL_SECONDS", 15),
		RetentionInterval:  integer("MONITOR_RETENTION_INTERVAL_SECONDS", 3600),
		TrustedProxies:     csv("MONITOR_TRUSTED_PROXIES"),
		OIDCIssuer:         strings.TrimSpace(str("MONITOR_OIDC_ISSUER", "")),
		OIDCClientID:       strings.TrimSpace(str("MONITOR_OIDC_CLIENT_ID", "")),
		OIDCClientSecret:   str("MONITOR_OIDC_CLIENT_SECRET", ""),
		OIDCName:           strings.TrimSpace(str("MONITOR_OIDC_NAME", "")),
		GitHubClientID:     strings.TrimSpace(str("MONITOR_GITHUB_CLIENT_ID", "")),
		GitHubClientSecret: str("MONITOR_GITHUB_CLIENT_SECRET", ""),
		SSOAllowedEmails:   csv("MONITOR_SSO_ALLOWED_EMAILS"),
		SSOAllowedDomains:  csv("MONITOR_SSO_ALLOWED_DOMAINS"),
		SSOAdminEmails:     csv("MONITOR_SSO_ADMIN_EMAILS"),
		LogFormat:          strings.ToLower(str("MONITOR_LOG_FORMAT", "text")),
		LogLevel:           strings.ToLower(str("MONITOR_LOG_LEVEL", "info")),
	}
	if c.ResendAPIBase == "" {
		c.ResendAPIBase = "https://api.resend.com"
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := validateStruct(c); err != nil {
		return nil, err
	}
	if err := c.derive(lookup); err != nil {
		return nil, err
	}
	return c, nil
}

func leadingInt(s string) (int, error) {
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return strconv.Atoi(s[:end])
}

var configValidate = validator.New()

// validateStruct runs the validate tags and names the variable of the first failure.
func validateStruct(c *Config) error {
	err := configValidate.Struct(c)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	var out []error
	for _, fe := range verrs {
		f, _ := configFieldEnv(fe.StructField())
		out = append(out, &ConfigError{f, fmt.Sprintf("invalid value %v (rule %s %s)", fe.Value(), fe.Tag(), fe.Param())})
	}
	return errors.Join(out...)
}

func configFieldEnv(field string) (string, bool) {
	if f, ok := configType.FieldByName(field); ok {
		return f.Tag.Get("env"), true
	}
	return field, false
}

// derive computes the base URL and trusted origins and checks the cross-field
// rules: auth variables, open ingest on a public address.
func (c *Config) derive(lookup lookupFunc) error {
	if c.AuthEnabled {
		var missing []string
		if strings.TrimSpace(c.AuthSecret) == "" {
			missing = append(missing, "MONITOR_AUTH_SECRET")
		}
		if strings.TrimSpace(c.AuthAdminEmail) == "" {
			missing = append(missing, "MONITOR_AUTH_ADMIN_EMAIL")
		}
		if c.AuthAdminPassword == "" {
			missing = append(missing, "MONITOR_AUTH_ADMIN_PASSWORD")
		}
		if len(missing) > 0 {
			return &ConfigError{missing[0], "Auth is enabled but required env vars are missing: " + strings.Join(missing, ", ") +
				" (or set MONITOR_AUTH_ENABLED=false)"}
		}
	}
	if base := strings.TrimSpace(c.AuthBaseURL); base != "" {
		u, err := url.Parse(base)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return &ConfigError{"MONITOR_AUTH_BASE_URL", "must be a valid URL. Received: " + c.AuthBaseURL}
		}
		c.BaseURL = u.Scheme + "://" + u.Host
	} else {
		host := c.Host
		if host == "0.0.0.0" || host == "" || host == "::" {
			host = "127.0.0.1"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, strconv.Itoa(c.Port))
	}
	c.SecureCookies = strings.HasPrefix(c.BaseURL, "https://")
	seen := map[string]bool{}
	add := func(o string) {
		o = strings.TrimRight(o, "/")
		if o != "" && !seen[o] {
			seen[o] = true
			c.TrustedOriginsFinal = append(c.TrustedOriginsFinal, o)
		}
	}
	add(c.BaseURL)
	for _, o := range c.AuthTrustedOrigins {
		if u, err := url.Parse(o); err == nil && u.Scheme != "" && u.Host != "" {
			add(u.Scheme + "://" + u.Host)
		}
	}
	add(fmt.Sprintf("http://127.0.0.1:%d", c.Port))
	add(fmt.Sprintf("http://localhost:%d", c.Port))
	if v, ok := lookup("BETTER_AUTH_TRUSTED_ORIGINS"); ok {
		for _, o := range strings.Split(v, ",") {
			add(strings.TrimSpace(o))
		}
	}
	if c.DBURL != "" {
		u, err := url.Parse(c.DBURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return &ConfigError{"MONITOR_DB_URL", "must be a postgres:// or postgresql:// URL"}
		}
	}
	for _, p := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return &ConfigError{"MONITOR_TRUSTED_PROXIES", fmt.Sprintf("%q is neither an IP address nor a CIDR range", p)}
		}
	}
	if err := c.checkSMTP(); err != nil {
		return err
	}
	if c.APIKey == "" && c.IngestAPIKey == "" && !isLoopback(c.Host) && !c.AllowOpenIngest {
		return &ConfigError{"MONITOR_API_KEY", fmt.Sprintf("ingest would be open to anyone on %q; set MONITOR_API_KEY "+
			"(or MONITOR_INGEST_API_KEY), bind MONITOR_HOST to loopback, or set MONITOR_ALLOW_OPEN_INGEST=true", c.Host)}
	}
	return nil
}

// checkSMTP validates the SMTP settings when MONITOR_SMTP_HOST is set.
func (c *Config) checkSMTP() error {
	if c.SMTPHost == "" {
		return nil
	}
	if c.SMTPFrom == "" {
		return &ConfigError{"MONITOR_SMTP_FROM", "is required when MONITOR_SMTP_HOST is set"}
	}
	if _, err := mail.ParseAddress(delivery.FromHeader(c.SMTPFrom)); err != nil {
		return &ConfigError{"MONITOR_SMTP_FROM", fmt.Sprintf("is not an e-mail address: %q", c.SMTPFrom)}
	}
	if c.SMTPTLS == delivery.TLSNone && c.SMTPUsername != "" && !isLoopback(c.SMTPHost) {
		return &ConfigError{"MONITOR_SMTP_TLS", "none would send the SMTP password in clear text to " + c.SMTPHost +
			"; use starttls or tls, or a relay on loopback"}
	}
	return nil
}

// EmailProvider names the alert e-mail provider: smtp when MONITOR_SMTP_HOST is set, else
// resend when its key and sender are set, else "" (not configured).
func (c *Config) EmailProvider() string {
	switch {
	case c.SMTPHost != "":
		return "smtp"
	case c.ResendAPIKey != "" && c.ResendFromEmail != "":
		return "resend"
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadDotEnv reads KEY=VALUE lines from path into the process environment without overriding
// variables already set. A missing file is not an error.
func loadDotEnv(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		if _, set := os.LookupEnv(k); !set {
			if err := os.Setenv(k, v); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// LogValues lists the effective settings for the start-up log, secrets masked.
func (c *Config) LogValues() []any {
	mask := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "(set, " + strconv.Itoa(len(s)) + " chars)"
	}
	return []any{"host", c.Host, "port", c.Port, "db_path", c.DBPath, "db_url", redactURL(c.DBURL), "api_key", mask(c.APIKey),
		"ingest_api_key", mask(c.IngestAPIKey), "auth_enabled", c.AuthEnabled, "auth_secret", mask(c.AuthSecret),
		"base_url", c.BaseURL, "admin_email", c.AuthAdminEmail, "admin_password", mask(c.AuthAdminPassword),
		"resend_api_key", mask(c.ResendAPIKey), "resend_from", c.ResendFromEmail, "resend_api_base", c.ResendAPIBase,
		"email_provider", c.EmailProvider(), "smtp_host", c.SMTPHost, "smtp_port", c.SMTPPort,
		"smtp_username", c.SMTPUsername, "smtp_password", mask(c.SMTPPassword), "smtp_from", c.SMTPFrom,
		"smtp_tls", c.SMTPTLS, "alert_cooldown_s", c.AlertCooldown,
		"retention_days", c.RetentionDays, "evaluator_interval_s", c.EvaluatorInterval,
		"retention_interval_s", c.RetentionInterval, "trusted_proxies", c.TrustedProxies,
		"trusted_origins", c.TrustedOriginsFinal,
		"oidc_issuer", c.OIDCIssuer, "oidc_client_id", c.OIDCClientID, "oidc_client_secret", mask(c.OIDCClientSecret),
		"github_client_id", c.GitHubClientID, "github_client_secret", mask(c.GitHubClientSecret),
		"sso_allowed_emails", c.SSOAllowedEmails, "sso_allowed_domains", c.SSOAllowedDomains,
		"metrics_token", mask(c.MetricsToken), "sso_admin_emails", c.SSOAdminEmails}
}

var configType = reflect.TypeOf(Config{})

// redactURL hides the password of a database URL for logs.
func redactURL(raw string) string {
	if raw == "" {
		return "(unset: SQLite)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	// libpq and pgx also read password (and sslpassword) from the query string.
	if q := u.Query(); len(q) > 0 {
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
