package handlers

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/delivery"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/services"
)

// alerting holds the alert-delivery services of the settings endpoints.
type alerting struct {
	once     sync.Once
	settings *services.Settings
	notifier *services.Notifier
}

// SetAlerting installs the alert-delivery settings and notifier. Without it the endpoints use
// settings with no e-mail provider and a notifier that is not running.
func (h *Handler) SetAlerting(s *services.Settings, n *services.Notifier) {
	h.alerting.settings, h.alerting.notifier = s, n
}

func (h *Handler) alertingDeps() (*services.Settings, *services.Notifier) {
	h.alerting.once.Do(func() {
		if h.alerting.settings == nil {
			h.alerting.settings = services.NewSettings(h.st, h.writer.Do, services.SettingsOptions{})
		}
		if h.alerting.notifier == nil {
			h.alerting.notifier = services.NewNotifier(h.st, h.writer.Do, h.alerting.settings, h.log, services.NotifierOptions{})
		}
	})
	return h.alerting.settings, h.alerting.notifier
}

// AlertSettings returns the alert-delivery settings service (for the settings page).
func (h *Handler) AlertSettings() *services.Settings { s, _ := h.alertingDeps(); return s }

// AlertNotifier returns the notifier (for test sends and the overview's health banner).
func (h *Handler) AlertNotifier() *services.Notifier { _, n := h.alertingDeps(); return n }

// emailSettingsResponse is the settings body, keys in the original's order.
type emailSettingsResponse struct {
	Recipients         []string `json:"recipients"`
	EnabledAlertTypes  []string `json:"enabledAlertTypes"`
	ProviderConfigured bool     `json:"providerConfigured"`
}

// getEmailSettings is GET /v1/settings/alerts/email.
func (h *Handler) getEmailSettings(c *fiber.Ctx) error {
	s := h.AlertSettings()
	es, err := s.Email(c.UserContext())
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, emailSettingsResponse{es.Recipients, es.EnabledAlertTypes, s.ProviderConfigured()})
}

const alertTypeList = "'FAILURE' | 'MISSED' | 'RECOVERY'"

// decodeEmailSettings type-checks the settings body with zod 3's messages.
func decodeEmailSettings(body json.RawMessage) (recipients, types []string, details *validationDetails) {
	d := validationDetails{FormErrors: []string{}, FieldErrors: map[string][]string{}}
	add := func(field, path, msg string) {
		d.FieldErrors[field] = append(d.FieldErrors[field], msg)
		d.Issues = append(d.Issues, issue{Path: path, Message: msg})
	}
	if t := telemetry.JSONType(body); t != "object" {
		d.FormErrors = append(d.FormErrors, "Expected object, received "+t)
		return nil, nil, &d
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m) // a valid JSON object already
	array := func(field string) []json.RawMessage {
		raw, ok := m[field]
		if !ok {
			add(field, field, "Required")
			return nil
		}
		if t := telemetry.JSONType(raw); t != "array" {
			add(field, field, "Expected array, received "+t)
			return nil
		}
		var items []json.RawMessage
		_ = json.Unmarshal(raw, &items)
		return items
	}
	for i, raw := range array("recipients") {
		p := "recipients." + strconv.Itoa(i)
		var s string
		if t := telemetry.JSONType(raw); t != "string" {
			add("recipients", p, "Expected string, received "+t)
			continue
		}
		_ = json.Unmarshal(raw, &s)
		s = strings.TrimSpace(s)
		if !services.ZodEmail(s) {
			add("recipients", p, "Invalid email")
			continue
		}
		recipients = append(recipients, s)
	}
	if raw, ok := m["recipients"]; ok && telemetry.JSONType(raw) == "array" {
		var items []json.RawMessage
		_ = json.Unmarshal(raw, &items)
		if len(items) > services.MaxRecipients {
			add("recipients", "recipients", "Array must contain at most "+strconv.Itoa(services.MaxRecipients)+" element(s)")
		}
	}
	for i, raw := range array("enabledAlertTypes") {
		p := "enabledAlertTypes." + strconv.Itoa(i)
		var s string
		if t := telemetry.JSONType(raw); t != "string" {
			add("enabledAlertTypes", p, "Expected "+alertTypeList+", received "+t)
			continue
		}
		_ = json.Unmarshal(raw, &s)
		if !services.IsAlertType(s) {
			add("enabledAlertTypes", p, "Invalid enum value. Expected "+alertTypeList+", received '"+s+"'")
			continue
		}
		types = append(types, s)
	}
	if len(d.FormErrors)+len(d.FieldErrors) > 0 {
		return nil, nil, &d
	}
	return recipients, types, nil
}

// putEmailSettings is PUT /v1/settings/alerts/email.
func (h *Handler) putEmailSettings(c *fiber.Ctx) error {
	recipients, types, verr := decodeEmailSettings(JSONBody(c))
	if verr != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid email settings payload", Details: *verr})
	}
	es, err := services.NormalizeEmailSettings(recipients, types)
	if err != nil {
		return writeJSON(c, fiber.StatusBadRequest, errorBody{Error: err.Error()})
	}
	s := h.AlertSettings()
	if err := s.PutEmail(c.UserContext(), es, h.now()); err != nil {
		return err
	}
	h.audit(c, "settings.email.update", services.ChannelEmail, emailSettingsDetail(es))
	return writeJSON(c, fiber.StatusOK, emailSettingsResponse{es.Recipients, es.EnabledAlertTypes, s.ProviderConfigured()})
}

// testResponse is the body of every test endpoint; channels only for webhooks and Slack.
type testResponse struct {
	Attempted int                 `json:"attempted"`
	Sent      int                 `json:"sent"`
	Failed    int                 `json:"failed"`
	Message   string              `json:"message"`
	Channels  []channelTestResult `json:"channels,omitempty"`
}

type channelTestResult struct {
	Name         string  `json:"name"`
	OK           bool    `json:"ok"`
	ResponseCode *int64  `json:"responseCode"`
	Error        *string `json:"error"`
}

// requestedBy is the signed-in user's e-mail, or "unknown" for API-key and open callers.
func requestedBy(c *fiber.Ctx) string {
	a := actorFrom(c)
	if a == actorAPIKey || a == actorAnonymous {
		return "unknown"
	}
	return strings.ToLower(strings.TrimSpace(a))
}

func writeTestResult(c *fiber.Ctx, r services.TestResult) error {
	if r.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(r.RetryAfter.Seconds())))
	}
	body := testResponse{Attempted: r.Attempted, Sent: r.Sent, Failed: r.Failed, Message: r.Message}
	for _, ch := range r.Channels {
		body.Channels = append(body.Channels, channelTestResult(ch))
	}
	return writeJSON(c, r.HTTPStatus, body)
}

// testEmail is POST /v1/settings/alerts/email/test.
func (h *Handler) testEmail(c *fiber.Ctx) error {
	r, err := h.AlertNotifier().SendTestEmail(c.UserContext(), requestedBy(c), h.now())
	if err != nil {
		return err
	}
	h.auditTest(c, services.ChannelEmail, "", r)
	return writeTestResult(c, r)
}

// channelView is one webhook, Slack or chat channel as the API shows it: secrets never leave.
type channelView struct {
	Name string `json:"name"`
	// Service names a chat channel's service ("discord", "ntfy"); absent for other kinds.
	Service           string   `json:"service,omitempty"`
	URL               string   `json:"url"`
	HasSecret         bool     `json:"hasSecret"`
	EnabledAlertTypes []string `json:"enabledAlertTypes"`
	Jobs              []string `json:"jobs"`
	Tags              []string `json:"tags"`
	Severities        []string `json:"severities"`
	CooldownSeconds   *int     `json:"cooldownSeconds"`
}

// orEmpty shows a missing list as [] rather than null.
func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

type channelsResponse struct {
	Channels               []channelView `json:"channels"`
	DefaultCooldownSeconds int           `json:"defaultCooldownSeconds"`
}

func (h *Handler) channelsBody(kind string, cs services.ChannelSettings) channelsResponse {
	out := channelsResponse{Channels: []channelView{},
		DefaultCooldownSeconds: int(h.AlertSettings().DefaultCooldown().Seconds())}
	for _, ch := range cs.Channels {
		v := channelView{Name: ch.Name, URL: ch.URL, HasSecret: ch.Secret != nil && *ch.Secret != "",
			EnabledAlertTypes: orEmpty(ch.EnabledAlertTypes), Jobs: orEmpty(ch.Jobs), Tags: orEmpty(ch.Tags),
			Severities: orEmpty(ch.Severities), CooldownSeconds: ch.CooldownSeconds}
		if kind != services.ChannelWebhook {
			v.URL = services.MaskURL(ch.URL) // the URL is the credential
		}
		if kind == services.ChannelChat {
			v.Service = delivery.ChatService(ch.URL)
		}
		out.Channels = append(out.Channels, v)
	}
	return out
}

func (h *Handler) getChannels(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cs, err := h.AlertSettings().Channels(c.UserContext(), kind)
		if err != nil {
			return err
		}
		return writeJSON(c, fiber.StatusOK, h.channelsBody(kind, cs))
	}
}

// decodeChannels reads {"channels": [...]}; JSON type errors name their path.
func decodeChannels(body json.RawMessage) (services.ChannelSettings, *validationDetails) {
	d := validationDetails{FormErrors: []string{}, FieldErrors: map[string][]string{}}
	var in services.ChannelSettings
	if t := telemetry.JSONType(body); t != "object" {
		d.FormErrors = append(d.FormErrors, "Expected object, received "+t)
		return in, &d
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m) // a valid JSON object already
	if _, ok := m["channels"]; !ok {
		d.FieldErrors["channels"] = []string{"Required"}
		d.Issues = []issue{{Path: "channels", Message: "Required"}}
		return in, &d
	}
	if err := json.Unmarshal(body, &in); err != nil {
		var te *json.UnmarshalTypeError
		msg, p := "Invalid input", "channels"
		if errors.As(err, &te) {
			msg = "Expected " + te.Type.String() + ", received " + te.Value
			if te.Field != "" {
				p = te.Field
			}
		}
		d.FieldErrors["channels"] = []string{msg}
		d.Issues = []issue{{Path: p, Message: msg}}
		return in, &d
	}
	return in, nil
}

func (h *Handler) putChannels(kind, label string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		in, verr := decodeChannels(JSONBody(c))
		if verr != nil {
			return writeJSON(c, fiber.StatusBadRequest, validationError{Error: label, Details: *verr})
		}
		out, err := h.AlertSettings().PutChannels(c.UserContext(), kind, in, h.now())
		var se *services.InputError
		if errors.As(err, &se) {
			return writeJSON(c, fiber.StatusBadRequest, validationError{Error: label, Details: inputDetails(se)})
		}
		if err != nil {
			return err
		}
		h.audit(c, "settings."+kind+".update", kind, channelsDetail(out))
		return writeJSON(c, fiber.StatusOK, h.channelsBody(kind, out))
	}
}

func (h *Handler) testChannels(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(JSONBody(c), &in) // the body is optional; anything else tests every channel
		r, err := h.AlertNotifier().SendTestChannels(c.UserContext(), kind, strings.TrimSpace(in.Name), requestedBy(c), h.now())
		if err != nil {
			return err
		}
		h.auditTest(c, kind, strings.TrimSpace(in.Name), r)
		return writeTestResult(c, r)
	}
}

// settingsRoutes registers the alert-delivery settings endpoints on the /v1 group.
func (h *Handler) settingsRoutes(v1 fiber.Router) {
	v1.Get("/settings/alerts/email", h.getEmailSettings)
	v1.Put("/settings/alerts/email", h.requireAdmin, h.putEmailSettings)
	v1.Post("/settings/alerts/email/test", h.requireAdmin, h.testEmail)
	v1.Get("/settings/alerts/webhooks", h.getChannels(services.ChannelWebhook))
	v1.Put("/settings/alerts/webhooks", h.requireAdmin, h.putChannels(services.ChannelWebhook, "Invalid webhook settings payload"))
	v1.Post("/settings/alerts/webhooks/test", h.requireAdmin, h.testChannels(services.ChannelWebhook))
	v1.Get("/settings/alerts/slack", h.getChannels(services.ChannelSlack))
	v1.Put("/settings/alerts/slack", h.requireAdmin, h.putChannels(services.ChannelSlack, "Invalid Slack settings payload"))
	v1.Post("/settings/alerts/slack/test", h.requireAdmin, h.testChannels(services.ChannelSlack))
	v1.Get("/settings/chat-channels", h.getChannels(services.ChannelChat))
	v1.Put("/settings/chat-channels", h.requireAdmin, h.putChannels(services.ChannelChat, "Invalid chat channel settings payload"))
	v1.Post("/settings/chat-channels/test", h.requireAdmin, h.testChannels(services.ChannelChat))
}
