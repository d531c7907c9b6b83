package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/gulag/chief-monitor/internal/delivery"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// MaxRecipients is the reference's limit on alert e-mail recipients.
const MaxRecipients = 50

// Channel kinds: the alert_deliveries.channel values.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
	ChannelSlack   = "slack"
	// ChannelChat is a chat or push service reached through shoutrrr (delivery.Chat).
	ChannelChat = "chat"
)

// Severities are the alert severities a channel can choose, lowest first.
var Severities = []string{string(models.SeverityInfo), string(models.SeverityWarn),
	string(models.SeverityError), string(models.SeverityCritical)}

// DefaultEmailTypes are the alert types e-mailed when no settings are stored.
var DefaultEmailTypes = []string{"FAILURE", "MISSED"}

// EmailSettings are the stored alert e-mail settings, in the reference's JSON.
type EmailSettings struct {
	Recipients        []string `json:"recipients"`
	EnabledAlertTypes []string `json:"enabledAlertTypes"`
}

// emailPattern is zod 3's e-mail regular expression without its two look-aheads (no leading
// dot, no ".."), which ZodEmail checks separately because RE2 has no look-around.
var emailPattern = regexp.MustCompile(`(?i)^([A-Z0-9_'+\-.]*)[A-Z0-9_+-]@([A-Z0-9][A-Z0-9\-]*\.)+[A-Z]{2,}$`)

// ZodEmail applies zod 3's e-mail check.
func ZodEmail(s string) bool {
	return !strings.HasPrefix(s, ".") && !strings.Contains(s, "..") && emailPattern.MatchString(s)
}

// IsAlertType reports whether s is exactly FAILURE, MISSED or RECOVERY.
func IsAlertType(s string) bool {
	for _, t := range models.AlertTypes {
		if string(t) == s {
			return true
		}
	}
	return false
}

// ParseEmailSettings reads a stored settings row leniently; found is false when
// there is no row.
func ParseEmailSettings(raw string, found bool) EmailSettings {
	out := EmailSettings{Recipients: []string{}, EnabledAlertTypes: append([]string(nil), DefaultEmailTypes...)}
	if !found {
		return out
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &m) != nil {
		m = nil // unparsable JSON is treated as {}
	}
	var recips []any
	_ = json.Unmarshal(m["recipients"], &recips) // not an array: no recipients
	seen := map[string]bool{}
	for _, r := range recips {
		s, ok := r.(string)
		if !ok {
			continue
		}
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || !ZodEmail(s) || seen[s] {
			continue
		}
		seen[s] = true
		if len(out.Recipients) < MaxRecipients {
			out.Recipients = append(out.Recipients, s)
		}
	}
	var types []any
	if err := json.Unmarshal(m["enabledAlertTypes"], &types); err == nil && types != nil {
		out.EnabledAlertTypes = dedupeTypes(types)
	}
	return out
}

// dedupeTypes keeps the known alert types, trimmed and upper-cased, first occurrence first.
func dedupeTypes(in []any) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, v := range in {
		s, ok := v.(string)
		if !ok {
			continue
		}
		s = strings.ToUpper(strings.TrimSpace(s))
		if IsAlertType(s) && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ChannelConfig is one webhook, Slack or chat channel. For Slack, URL is the incoming-webhook
// URL; for chat, the shoutrrr service URL (discord://…, ntfy://…). Secret is for webhooks only.
type ChannelConfig struct {
	// Name identifies the channel in delivery rows (alert_deliveries.target) and in the UI.
	Name string `json:"name" validate:"required,max=64,channelname"`
	// URL receives the POST. On PUT an empty URL keeps the stored one of the same name. Its
	// form depends on the kind and is checked by PutChannels.
	URL string `json:"url,omitempty" validate:"omitempty,max=2048"`
	// Secret signs webhook bodies. On PUT, omitted keeps the stored one, "" removes it.
	Secret *string `json:"secret,omitempty" validate:"omitempty,max=256"`
	// EnabledAlertTypes are the alert types sent; empty sends none.
	EnabledAlertTypes []string `json:"enabledAlertTypes" validate:"max=3,dive,oneof=FAILURE MISSED RECOVERY"`
	// Jobs are path.Match globs of job names; empty means every job.
	Jobs []string `json:"jobs" validate:"max=100,dive,required,max=200,glob"`
	// Tags are path.Match globs of job tags; empty means every job, tagged or not.
	Tags []string `json:"tags" validate:"max=100,dive,required,max=200,glob"`
	// Severities are the alert severities sent; empty means all.
	Severities []string `json:"severities" validate:"max=4,dive,oneof=INFO WARN ERROR CRITICAL"`
	// CooldownSeconds overrides MONITOR_ALERT_COOLDOWN_SECONDS for this channel; 0 disables it.
	CooldownSeconds *int `json:"cooldownSeconds,omitempty" validate:"omitempty,min=0,max=604800"`
}

// routedAs is the alert type whose setting decides where an alert goes: a RUNNER_DOWN stands
// for the MISSED alerts of its jobs that it holds, so it goes wherever MISSED does; a HUNG run
// is a failure in the making and a SLOW run a warning of one, so they go wherever FAILURE does.
func routedAs(t models.AlertType) string {
	switch t {
	case models.AlertRunnerDown:
		return string(models.AlertMissed)
	case models.AlertHung, models.AlertSlow:
		return string(models.AlertFailure)
	}
	return string(t)
}

// Matches reports whether the channel sends this alert of a job with these tags: every filter
// the channel sets must match (its alert types, severities, job patterns and tag patterns);
// one matching pattern is enough within a filter.
func (c ChannelConfig) Matches(a models.Alert, tags []string) bool {
	if !containsString(c.EnabledAlertTypes, routedAs(a.AlertType)) {
		return false
	}
	if len(c.Severities) > 0 && !containsString(c.Severities, string(a.Severity)) {
		return false
	}
	return anyGlob(c.Jobs, a.JobName) && anyGlob(c.Tags, tags...)
}

// anyGlob reports whether a pattern matches one of the values; no patterns match everything.
func anyGlob(patterns []string, values ...string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, g := range patterns {
		for _, v := range values {
			if ok, _ := path.Match(g, v); ok { // patterns are validated on PUT
				return true
			}
		}
	}
	return false
}

// ChannelSettings are the stored webhook or Slack channels.
type ChannelSettings struct {
	Channels []ChannelConfig `json:"channels" validate:"max=20,dive"`
}

// ParseChannelSettings reads a stored channel list; unparsable text gives no channels.
func ParseChannelSettings(raw string) ChannelSettings {
	var s ChannelSettings
	if json.Unmarshal([]byte(raw), &s) != nil {
		return ChannelSettings{}
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Settings reads and writes the alert-delivery settings in service_config.
type Settings struct {
	st       *store.Store
	write    WriteFunc
	validate *validator.Validate
	// EmailProvider names the configured e-mail provider: "smtp", "resend" or "".
	emailProvider string
	cooldown      time.Duration
	limiter       *TestLimiter
}

// SettingsOptions configure NewSettings.
type SettingsOptions struct {
	// EmailProvider is "smtp", "resend", or "" when no provider is configured.
	EmailProvider string
	// Cooldown is MONITOR_ALERT_COOLDOWN_SECONDS: the default per-job, per-type window.
	Cooldown time.Duration
	// TestEvery is the minimum time between two test sends of one channel kind (default 30 s).
	TestEvery time.Duration
}

var channelNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]*$`)

// NewSettings returns the settings service over st.
func NewSettings(st *store.Store, write WriteFunc, opts SettingsOptions) *Settings {
	v := newValidator()
	if opts.TestEvery <= 0 {
		opts.TestEvery = 30 * time.Second
	}
	return &Settings{st: st, write: write, validate: v, emailProvider: opts.EmailProvider, cooldown: opts.Cooldown,
		limiter: NewTestLimiter(opts.TestEvery)}
}

// ProviderConfigured reports whether an e-mail provider (SMTP or Resend) is configured.
func (s *Settings) ProviderConfigured() bool { return s.emailProvider != "" }

// EmailProvider names the configured e-mail provider: "smtp", "resend" or "".
func (s *Settings) EmailProvider() string { return s.emailProvider }

// DefaultCooldown is the cooldown of channels that set none.
func (s *Settings) DefaultCooldown() time.Duration { return s.cooldown }

// Limiter is the rate limit of the test endpoints.
func (s *Settings) Limiter() *TestLimiter { return s.limiter }

func (s *Settings) value(ctx context.Context, key string) (string, bool, error) {
	v, err := s.st.ConfigValue(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("services: settings: %w", err)
	}
	return v, true, nil
}

// Email returns the e-mail settings, defaults when none are stored.
func (s *Settings) Email(ctx context.Context) (EmailSettings, error) {
	v, ok, err := s.value(ctx, store.KeyEmailSettings)
	if err != nil {
		return EmailSettings{}, err
	}
	return ParseEmailSettings(v, ok), nil
}

// NormalizeEmailSettings normalizes validated input as the original did: recipients trimmed,
// lower-cased and de-duplicated, alert types de-duplicated in submitted order. The error
// messages are the reference's.
func NormalizeEmailSettings(recipients, types []string) (EmailSettings, error) {
	out := EmailSettings{Recipients: []string{}, EnabledAlertTypes: []string{}}
	seen := map[string]bool{}
	for _, r := range recipients {
		r = strings.ToLower(strings.TrimSpace(r))
		if !ZodEmail(r) {
			return out, errors.New("Invalid recipient email: " + r)
		}
		if !seen[r] {
			seen[r] = true
			out.Recipients = append(out.Recipients, r)
		}
	}
	if len(out.Recipients) > MaxRecipients {
		return out, fmt.Errorf("Maximum recipients exceeded (%d).", MaxRecipients)
	}
	seenT := map[string]bool{}
	for _, t := range types {
		if !IsAlertType(t) {
			return out, errors.New("Invalid alert type: " + t)
		}
		if !seenT[t] {
			seenT[t] = true
			out.EnabledAlertTypes = append(out.EnabledAlertTypes, t)
		}
	}
	return out, nil
}

// PutEmail stores normalized e-mail settings.
func (s *Settings) PutEmail(ctx context.Context, e EmailSettings, now time.Time) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("services: settings: %w", err)
	}
	return s.put(ctx, store.KeyEmailSettings, string(b), now)
}

func channelKey(kind string) string {
	switch kind {
	case ChannelSlack:
		return store.KeySlackSettings
	case ChannelChat:
		return store.KeyChatSettings
	}
	return store.KeyWebhookSettings
}

// Channels returns the stored webhook, Slack or chat channels, secrets included.
func (s *Settings) Channels(ctx context.Context, kind string) (ChannelSettings, error) {
	v, _, err := s.value(ctx, channelKey(kind))
	if err != nil {
		return ChannelSettings{}, err
	}
	return ParseChannelSettings(v), nil
}

// PutChannels validates and stores the webhook, Slack or chat channels. A channel without a URL (or,
// for webhooks, with no secret key) keeps the stored value of the channel with the same name.
func (s *Settings) PutChannels(ctx context.Context, kind string, in ChannelSettings, now time.Time) (ChannelSettings, error) {
	if err := validateInput(s.validate, &in); err != nil {
		return in, err
	}
	old, err := s.Channels(ctx, kind)
	if err != nil {
		return in, err
	}
	prev := map[string]ChannelConfig{}
	for _, c := range old.Channels {
		prev[c.Name] = c
	}
	se := &InputError{}
	names := map[string]bool{}
	for i := range in.Channels {
		c := &in.Channels[i]
		p := "channels." + strconv.Itoa(i)
		if names[c.Name] {
			se.Issues = append(se.Issues, InputIssue{Path: p + ".name", Message: "Duplicate channel name " + strconv.Quote(c.Name)})
		}
		names[c.Name] = true
		if c.EnabledAlertTypes == nil {
			c.EnabledAlertTypes = []string{}
		}
		if c.Jobs == nil {
			c.Jobs = []string{}
		}
		if c.Tags == nil {
			c.Tags = []string{} // a client that predates tags: every job
		}
		if c.Severities == nil {
			c.Severities = []string{}
		}
		if old, ok := prev[c.Name]; ok && (c.URL == "" || c.URL == MaskURL(old.URL)) {
			c.URL = old.URL // the client sent back the masked URL, or none
		}
		if c.URL == "" {
			se.Issues = append(se.Issues, InputIssue{Path: p + ".url", Message: "Required"})
		} else if msg := s.urlProblem(kind, c.URL); msg != "" {
			se.Issues = append(se.Issues, InputIssue{Path: p + ".url", Message: msg})
		}
		if kind != ChannelWebhook {
			c.Secret = nil
		} else if c.Secret == nil {
			c.Secret = prev[c.Name].Secret
		} else if *c.Secret == "" {
			c.Secret = nil
		}
	}
	if len(se.Issues) > 0 {
		return in, se
	}
	b, err := json.Marshal(in)
	if err != nil {
		return in, fmt.Errorf("services: settings: %w", err)
	}
	if err := s.put(ctx, channelKey(kind), string(b), now); err != nil {
		return in, err
	}
	return in, nil
}

// urlProblem checks a channel URL by its kind: an http(s) URL for webhooks and Slack, a
// service URL the notification library accepts for chat. It returns "" when the URL is fine.
func (s *Settings) urlProblem(kind, raw string) string {
	if kind != ChannelChat {
		if s.validate.Var(raw, "http_url") != nil {
			return "Invalid url"
		}
		return ""
	}
	var ue *delivery.ChatURLError
	if err := delivery.CheckChatURL(raw); errors.As(err, &ue) {
		return "Invalid chat service URL: " + ue.Reason + ". Supported services: " + delivery.DescribeChatSchemes()
	}
	return ""
}

// MaskURL shows a secret URL by its origin only.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "…"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// TestLimiter allows one test send per channel kind per period.
type TestLimiter struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
}

// NewTestLimiter returns a limiter allowing one call per key every period.
func NewTestLimiter(every time.Duration) *TestLimiter {
	return &TestLimiter{every: every, last: map[string]time.Time{}}
}

// Allow reports whether a call for key is allowed at now and records it; when it is not,
// retryAfter is the wait until the next allowed call.
func (l *TestLimiter) Allow(key string, now time.Time) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, seen := l.last[key]; seen && now.Sub(last) < l.every {
		return l.every - now.Sub(last), false
	}
	l.last[key] = now
	return 0, true
}

// put stores one settings row through the writer.
func (s *Settings) put(ctx context.Context, key, value string, now time.Time) error {
	return s.write(ctx, func(tx *store.Tx) error { return tx.PutConfig(key, value, telemetry.ServerTime(now)) })
}
