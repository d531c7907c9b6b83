package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

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

// settingsForm loads the stored settings (defaults: no recipients, FAILURE and MISSED), read
// leniently as GET /v1/settings/alerts/email reads them, so both show the same.
func (h *Handler) settingsForm(c *fiber.Ctx) (views.SettingsFormProps, error) {
	s, err := h.AlertSettings().Email(c.UserContext())
	if err != nil {
		return views.SettingsFormProps{}, err
	}
	return h.formFor(c, s), nil
}

func (h *Handler) formFor(c *fiber.Ctx, s services.EmailSettings) views.SettingsFormProps {
	enabled := map[string]bool{}
	for _, t := range s.EnabledAlertTypes {
		enabled[t] = true
	}
	return views.SettingsFormProps{ProviderConfigured: h.opts.EmailConfigured, Recipients: strings.Join(s.Recipients, "\n"),
		Enabled: enabled, CSRF: h.csrfToken(c)}
}

// parseSettingsForm applies the Settings page's rules: split on commas and
// newlines, trim, lower-case, de-duplicate, at most 50, each a valid address; types in canonical order.
func parseSettingsForm(recipients string, types [][]byte) (services.EmailSettings, string) {
	s := services.EmailSettings{Recipients: []string{}, EnabledAlertTypes: []string{}}
	seen := map[string]bool{}
	for _, r := range strings.FieldsFunc(recipients, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		s.Recipients = append(s.Recipients, r)
	}
	if len(s.Recipients) > services.MaxRecipients {
		return s, "Maximum recipients exceeded (50)."
	}
	for _, r := range s.Recipients {
		// The server's check is the authority; it also covers the UI's x@y.z shape.
		if !services.ZodEmail(r) {
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
	if err := h.AlertSettings().PutEmail(c.UserContext(), s, h.now()); err != nil {
		return err
	}
	h.audit(c, "settings.email.update", services.ChannelEmail, emailSettingsDetail(s))
	if !isHTMX(c) {
		return c.Redirect("/settings?saved=1", fiber.StatusSeeOther)
	}
	form := h.formFor(c, s)
	form.Notice = "Email alert settings saved."
	return render(c, fiber.StatusOK, views.SettingsForm(form))
}
