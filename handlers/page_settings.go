package handlers

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// emailSettings is the alert_email_settings value (spec §6.5).
type emailSettings struct {
	Recipients        []string `json:"recipients"`
	EnabledAlertTypes []string `json:"enabledAlertTypes"`
}

// maxRecipients is the reference's limit (spec §10.9).
const maxRecipients = 50

// recipientShape is the UI's address check: x@y.z without spaces. The server's zod check
// (services.ZodEmail) applies as well, as the reference's PUT would.
var recipientShape = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)

// settingsPage is GET /settings (?saved=1 after a successful plain POST).
func (h *Handler) settingsPage(c *fiber.Ctx) error {
	form, err := h.settingsForm(c)
	if err != nil {
		return err
	}
	if c.Query("saved") == "1" {
		form.Notice = "Email alert settings saved."
	}
	p := views.SettingsProps{Chrome: h.chrome(c), Form: form}
	if err := h.fillDeliverySettings(c, &p); err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.SettingsPage(p))
}

// settingsForm loads the stored settings (defaults: no recipients, FAILURE and MISSED).
func (h *Handler) settingsForm(c *fiber.Ctx) (views.SettingsFormProps, error) {
	raw, err := h.st.ConfigValue(c.UserContext(), store.KeyEmailSettings)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return views.SettingsFormProps{}, err
	}
	// Read leniently, as GET /v1/settings/alerts/email does (spec §4.10), so both show the same.
	s := services.ParseEmailSettings(raw, found)
	return h.formFor(c, emailSettings{Recipients: s.Recipients, EnabledAlertTypes: s.EnabledAlertTypes}), nil
}

func (h *Handler) formFor(c *fiber.Ctx, s emailSettings) views.SettingsFormProps {
	enabled := map[string]bool{}
	for _, t := range s.EnabledAlertTypes {
		enabled[t] = true
	}
	return views.SettingsFormProps{ProviderConfigured: h.opts.EmailConfigured, Recipients: strings.Join(s.Recipients, "\n"),
		Enabled: enabled, CSRF: h.csrfToken(c)}
}

// parseSettingsForm applies the Settings page's rules (spec §10.9): split on commas and
// newlines, trim, lower-case, de-duplicate, at most 50, each shaped x@y.z; types in canonical order.
func parseSettingsForm(recipients string, types [][]byte) (emailSettings, string) {
	s := emailSettings{Recipients: []string{}, EnabledAlertTypes: []string{}}
	seen := map[string]bool{}
	for _, r := range strings.FieldsFunc(recipients, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		s.Recipients = append(s.Recipients, r)
	}
	if len(s.Recipients) > maxRecipients {
		return s, "Maximum recipients exceeded (50)."
	}
	for _, r := range s.Recipients {
		// The UI's shape check, then the server's (spec §4.11), which is the authority.
		if !recipientShape.MatchString(r) || !services.ZodEmail(r) {
			return s, "Invalid recipient email: " + r
		}
	}
	checked := map[string]bool{}
	for _, t := range types {
		checked[string(t)] = true
	}
	for _, t := range []string{"FAILURE", "MISSED", "RECOVERY"} {
		if checked[t] {
			s.EnabledAlertTypes = append(s.EnabledAlertTypes, t)
		}
	}
	return s, ""
}

// settingsSubmit is POST /settings: validate, store alert_email_settings, then answer the form
// (htmx) or 303 to /settings?saved=1. Validation errors re-render the form with the message.
func (h *Handler) settingsSubmit(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	s, problem := parseSettingsForm(c.FormValue("recipients"), c.Request().PostArgs().PeekMulti("enabledAlertTypes"))
	if problem != "" {
		form := h.formFor(c, s)
		form.Recipients, form.Error = c.FormValue("recipients"), problem
		if isHTMX(c) {
			return render(c, fiber.StatusOK, views.SettingsForm(form))
		}
		return h.settingsWith(c, fiber.StatusBadRequest, func(p *views.SettingsProps) { p.Form = form })
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := h.st.PutConfig(c.UserContext(), store.KeyEmailSettings, string(b), telemetry.ServerTime(h.now())); err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect("/settings?saved=1", fiber.StatusSeeOther)
	}
	form := h.formFor(c, s)
	form.Notice = "Email alert settings saved."
	return render(c, fiber.StatusOK, views.SettingsForm(form))
}
