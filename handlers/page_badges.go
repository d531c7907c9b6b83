package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// badgePageRoutes registers the Status Badges settings page and its forms. Call it behind
// requireViewer.
func (h *Handler) badgePageRoutes(app fiber.Router) {
	app.Get("/settings/badges", h.requireAdmin, h.badgesPage)
	app.Post("/settings/badges", h.requireAdmin, h.badgeSubmit)
	app.Post("/settings/badges/:badgeId/revoke", h.requireAdmin, h.badgeRevokeSubmit)
}

// badgesCard loads the card with the stored badges and an empty form.
func (h *Handler) badgesCard(c *fiber.Ctx) (views.BadgesCardProps, error) {
	list, err := h.badges.List(c.UserContext())
	if err != nil {
		return views.BadgesCardProps{}, err
	}
	return views.BadgesCardProps{Badges: list, CSRF: h.csrfToken(c)}, nil
}

// renderBadges answers a form post: the card for htmx, else the whole page.
func (h *Handler) renderBadges(c *fiber.Ctx, status int, card views.BadgesCardProps) error {
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.BadgesCard(card))
	}
	return render(c, status, views.BadgesPage(views.BadgesProps{Chrome: h.chrome(c), Card: card}))
}

// badgesPage is GET /settings/badges (?revoked=1 after a plain revoke).
func (h *Handler) badgesPage(c *fiber.Ctx) error {
	card, err := h.badgesCard(c)
	if err != nil {
		return err
	}
	if c.Query("revoked") == "1" {
		card.Notice = "Badge revoked: its URLs now answer 404."
	}
	return render(c, fiber.StatusOK, views.BadgesPage(views.BadgesProps{Chrome: h.chrome(c), Card: card}))
}

// badgeSubmit is POST /settings/badges. The answer shows the new badge's URLs in place rather
// than redirecting: they hold the token, which is not stored, so no later page could show them,
// and a redirect would have to put the token in a URL.
func (h *Handler) badgeSubmit(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	in := services.BadgeCreateRequest{Label: strings.Clone(c.FormValue("label")), JobPattern: strings.Clone(c.FormValue("jobPattern")),
		TagPattern: strings.Clone(c.FormValue("tagPattern"))}
	b, token, err := h.badges.Create(c.UserContext(), in, actorFrom(c), h.now())
	var be *services.InputError
	if err != nil && !errors.As(err, &be) {
		return err
	}
	card, lerr := h.badgesCard(c)
	if lerr != nil {
		return lerr
	}
	if be != nil {
		card.Label, card.JobPattern, card.TagPattern = in.Label, in.JobPattern, in.TagPattern
		card.Error = badgeFormMessage(be)
		return h.renderBadges(c, fiber.StatusBadRequest, card)
	}
	h.audit(c, "badge.create", strconv.FormatInt(b.ID, 10), "jobs "+b.JobPattern+", tags "+b.TagPattern)
	u := h.urlsFor(c, token)
	card.Created = &views.CreatedBadge{Label: services.BadgeLabel(b), SVGURL: u.SVG, JSONURL: u.JSON, ShieldsURL: u.Shields,
		PreviewURL: u.Preview}
	c.Set(fiber.HeaderCacheControl, "no-store") // the page holds the token
	return h.renderBadges(c, fiber.StatusOK, card)
}

// badgeFormMessage names the form field of each issue.
func badgeFormMessage(be *services.InputError) string {
	fields := map[string]string{"label": "Label", "jobPattern": "Jobs", "tagPattern": "Tags"}
	var parts []string
	for _, is := range be.Issues {
		parts = append(parts, fields[is.Path]+": "+is.Message)
	}
	return strings.Join(parts, "; ")
}

// badgeRevokeSubmit is POST /settings/badges/:badgeId/revoke: the card (htmx) or 303 back.
func (h *Handler) badgeRevokeSubmit(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	id, ok := badgeIDParam(c)
	if !ok {
		return fiber.NewError(fiber.StatusBadRequest, "badgeId must be a positive integer")
	}
	if _, err := h.badges.Revoke(c.UserContext(), id, actorFrom(c), h.now()); errors.Is(err, store.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "Badge not found")
	} else if err != nil {
		return err
	}
	h.audit(c, "badge.revoke", strconv.FormatInt(id, 10), "")
	if !isHTMX(c) {
		return c.Redirect("/settings/badges?revoked=1", fiber.StatusSeeOther)
	}
	card, err := h.badgesCard(c)
	if err != nil {
		return err
	}
	card.Notice = "Badge revoked: its URLs now answer 404."
	return render(c, fiber.StatusOK, views.BadgesCard(card))
}
