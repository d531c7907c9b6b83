package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// ---- alert delivery on the dashboard ----

// deliveryPageRoutes registers the settings-page forms of the webhook, Slack and chat channels, the
// test buttons, and the overview's delivery banner. Call it behind requireViewer.
func (h *Handler) deliveryPageRoutes(app fiber.Router) {
	app.Get("/partials/overview/delivery", h.deliveryHealthPartial)
	app.Post("/settings/channels/:kind", h.requireAdmin, h.channelSubmit)
	app.Post("/settings/channels/:kind/delete", h.requireAdmin, h.channelDelete)
	app.Post("/settings/test/:kind", h.requireAdmin, h.deliveryTestSubmit)
}

func toDeliveryView(d models.AlertDelivery) views.DeliveryView {
	v := views.DeliveryView{Channel: d.Channel, Status: d.Status, AttemptedAt: d.AttemptedAt, Attempt: d.Attempt,
		ResponseCode: d.ResponseCode, ErrorText: d.ErrorText}
	if d.Target != nil {
		v.Target = *d.Target
	}
	if d.Status == models.DeliveryPending && d.NextAttemptAtMs != nil {
		ts := telemetry.ServerTime(time.UnixMilli(*d.NextAttemptAtMs))
		v.NextAttemptAt = &ts
	}
	return v
}

// deliveryViews loads the deliveries of the alerts a page shows, in one query.
func (h *Handler) deliveryViews(ctx context.Context, alerts ...models.Alert) (views.Deliveries, error) {
	ids := make([]int64, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	ds, err := h.st.Deliveries(ctx, ids...)
	if err != nil {
		return nil, err
	}
	out := views.Deliveries{}
	for _, d := range ds {
		out[d.AlertID] = append(out[d.AlertID], toDeliveryView(d))
	}
	return out, nil
}

// deliveryHealth is the overview banner's state; a failure to read it shows no banner.
func (h *Handler) deliveryHealth(c *fiber.Ctx) views.DeliveryHealth {
	hl, err := h.AlertNotifier().Health(c.UserContext(), h.now())
	if err != nil {
		h.log.Warn("Reading alert delivery health failed", "error", err)
		return views.DeliveryHealth{}
	}
	return views.DeliveryHealth{Problem: hl.Stalled || hl.Failing, Message: hl.Message}
}

// deliveryHealthPartial is GET /partials/overview/delivery.
func (h *Handler) deliveryHealthPartial(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.DeliveryBanner(h.deliveryHealth(c)))
}

func channelKind(c *fiber.Ctx) (string, error) {
	switch c.Params("kind") {
	case services.ChannelWebhook:
		return services.ChannelWebhook, nil
	case services.ChannelSlack:
		return services.ChannelSlack, nil
	case services.ChannelChat:
		return services.ChannelChat, nil
	}
	return "", fiber.NewError(fiber.StatusNotFound, "Page not found")
}

// channelsCard loads one kind's card with an empty form.
func (h *Handler) channelsCard(c *fiber.Ctx, kind string) (views.ChannelsCardProps, error) {
	s := h.AlertSettings()
	cs, err := s.Channels(c.UserContext(), kind)
	if err != nil {
		return views.ChannelsCardProps{}, err
	}
	p := views.ChannelsCardProps{Kind: kind, DefaultCooldown: int(s.DefaultCooldown().Seconds()), CSRF: h.csrfToken(c),
		Form: views.ChannelForm{Types: map[string]bool{"FAILURE": true, "MISSED": true}, Severities: map[string]bool{}}}
	for _, v := range h.channelsBody(kind, cs).Channels {
		p.Channels = append(p.Channels, views.ChannelRow{Name: v.Name, Service: v.Service, URL: v.URL, HasSecret: v.HasSecret,
			Types: v.EnabledAlertTypes, Jobs: v.Jobs, Tags: v.Tags, Severities: v.Severities, Cooldown: v.CooldownSeconds})
	}
	return p, nil
}

// fillDeliverySettings adds the webhook, Slack and test cards to the settings page.
func (h *Handler) fillDeliverySettings(c *fiber.Ctx, p *views.SettingsProps) error {
	var err error
	if p.Webhooks, err = h.channelsCard(c, services.ChannelWebhook); err != nil {
		return err
	}
	if p.Slack, err = h.channelsCard(c, services.ChannelSlack); err != nil {
		return err
	}
	if p.Chat, err = h.channelsCard(c, services.ChannelChat); err != nil {
		return err
	}
	p.Test = views.DeliveryTestProps{EmailProvider: h.AlertSettings().EmailProvider(), CSRF: h.csrfToken(c)}
	return nil
}

// settingsWith renders the whole settings page (the no-JavaScript answer of the card forms)
// after edit changed one card.
func (h *Handler) settingsWith(c *fiber.Ctx, status int, edit func(p *views.SettingsProps)) error {
	form, err := h.settingsForm(c)
	if err != nil {
		return err
	}
	p := views.SettingsProps{Chrome: h.chrome(c), Form: form}
	if err := h.fillDeliverySettings(c, &p); err != nil {
		return err
	}
	edit(&p)
	return render(c, status, views.SettingsPage(p))
}

func (h *Handler) answerCard(c *fiber.Ctx, status int, card views.ChannelsCardProps) error {
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.ChannelsCard(card))
	}
	return h.settingsWith(c, status, func(p *views.SettingsProps) {
		switch card.Kind {
		case services.ChannelSlack:
			p.Slack = card
		case services.ChannelChat:
			p.Chat = card
		default:
			p.Webhooks = card
		}
	})
}

func splitList(s string) []string {
	out := []string{}
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// channelSubmit is POST /settings/channels/:kind: add a channel, or update the one with the
// same name (an empty URL or secret keeps the stored one).
func (h *Handler) channelSubmit(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	kind, err := channelKind(c)
	if err != nil {
		return err
	}
	form := views.ChannelForm{Name: strings.TrimSpace(c.FormValue("name")), URL: strings.TrimSpace(c.FormValue("url")),
		Jobs: strings.TrimSpace(c.FormValue("jobs")), Tags: strings.TrimSpace(c.FormValue("tags")),
		Cooldown: strings.TrimSpace(c.FormValue("cooldownSeconds")), Types: map[string]bool{}, Severities: map[string]bool{}}
	ch := services.ChannelConfig{Name: form.Name, URL: form.URL, Jobs: splitList(form.Jobs), Tags: splitList(form.Tags),
		EnabledAlertTypes: []string{}, Severities: []string{}}
	for _, t := range c.Request().PostArgs().PeekMulti("enabledAlertTypes") {
		form.Types[string(t)] = true
	}
	for _, t := range models.AlertTypes {
		if form.Types[string(t)] {
			ch.EnabledAlertTypes = append(ch.EnabledAlertTypes, string(t))
		}
	}
	for _, sv := range c.Request().PostArgs().PeekMulti("severities") {
		form.Severities[string(sv)] = true
	}
	for _, sv := range services.Severities {
		if form.Severities[sv] {
			ch.Severities = append(ch.Severities, sv)
		}
	}
	card, err := h.channelsCard(c, kind)
	if err != nil {
		return err
	}
	if form.Cooldown != "" {
		n, err := strconv.Atoi(form.Cooldown)
		if err != nil {
			card.Form, card.Error = form, "Cooldown seconds must be a whole number."
			return h.answerCard(c, fiber.StatusBadRequest, card)
		}
		ch.CooldownSeconds = &n
	}
	if secret := c.FormValue("secret"); c.FormValue("clearSecret") == "1" {
		ch.Secret = new(string)
	} else if secret != "" {
		ch.Secret = &secret
	}
	err = h.putChannel(c, kind, ch, false)
	var se *services.InputError
	if errors.As(err, &se) {
		card.Form, card.Error = form, se.First()
		return h.answerCard(c, fiber.StatusBadRequest, card)
	}
	if err != nil {
		return err
	}
	h.audit(c, "settings."+kind+".update", kind, "saved "+channelDetail(ch))
	if card, err = h.channelsCard(c, kind); err != nil {
		return err
	}
	card.Notice = "Saved " + ch.Name + "."
	return h.answerCard(c, fiber.StatusOK, card)
}

// putChannel replaces (or, with remove, deletes) the channel with ch's name and stores the list.
func (h *Handler) putChannel(c *fiber.Ctx, kind string, ch services.ChannelConfig, remove bool) error {
	s := h.AlertSettings()
	cs, err := s.Channels(c.UserContext(), kind)
	if err != nil {
		return err
	}
	next := services.ChannelSettings{Channels: []services.ChannelConfig{}}
	found := false
	for _, old := range cs.Channels {
		if old.Name != ch.Name {
			next.Channels = append(next.Channels, old)
			continue
		}
		found = true
		if !remove {
			next.Channels = append(next.Channels, ch)
		}
	}
	if !found && !remove {
		next.Channels = append(next.Channels, ch)
	}
	_, err = s.PutChannels(c.UserContext(), kind, next, h.now())
	return err
}

// channelDelete is POST /settings/channels/:kind/delete.
func (h *Handler) channelDelete(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	kind, err := channelKind(c)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(c.FormValue("name"))
	if err := h.putChannel(c, kind, services.ChannelConfig{Name: name}, true); err != nil {
		return err
	}
	h.audit(c, "settings."+kind+".update", kind, "removed "+strconv.Quote(name))
	card, err := h.channelsCard(c, kind)
	if err != nil {
		return err
	}
	card.Notice = "Removed " + name + "."
	return h.answerCard(c, fiber.StatusOK, card)
}

// deliveryTestSubmit is POST /settings/test/:kind (email, webhook, slack or chat): it sends a test
// and shows its outcome, the response's message as the API would answer it.
func (h *Handler) deliveryTestSubmit(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	kind := c.Params("kind")
	if kind != services.ChannelEmail {
		var err error
		if kind, err = channelKind(c); err != nil {
			return err
		}
	}
	by := "unknown"
	if v, ok := viewerFrom(c); ok && v.email != "" {
		by = strings.ToLower(strings.TrimSpace(v.email))
	}
	r, err := h.AlertNotifier().SendTest(c.UserContext(), kind, "", by, h.now())
	if err != nil {
		return err
	}
	h.auditTest(c, kind, "", r)
	title := map[string]string{services.ChannelEmail: "Test email failed", services.ChannelWebhook: "Test webhook failed",
		services.ChannelSlack: "Test Slack message failed", services.ChannelChat: "Test chat message failed"}[kind]
	p := views.DeliveryTestProps{EmailProvider: h.AlertSettings().EmailProvider(), Title: title, Message: r.Message,
		OK: r.HTTPStatus == fiber.StatusOK, CSRF: h.csrfToken(c)}
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.DeliveryTestCard(p))
	}
	status := fiber.StatusOK
	if !p.OK {
		status = r.HTTPStatus
	}
	return h.settingsWith(c, status, func(sp *views.SettingsProps) { sp.Test = p })
}
