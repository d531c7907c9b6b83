package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

// badgeCacheControl lets browsers and image proxies (GitHub's camo) keep a badge a minute:
// short enough to show a failure soon, long enough that a busy README does not hammer the DB.
const badgeCacheControl = "public, max-age=60"

// badgeAPIRoutes registers the badge endpoints of the /v1 group (API key or session).
func (h *Handler) badgeAPIRoutes(v1 fiber.Router) {
	v1.Get("/badges", h.requireAdmin, h.listBadges)
	v1.Post("/badges", h.requireAdmin, h.createBadge)
	v1.Post("/badges/:badgeId/revoke", h.requireAdmin, h.revokeBadge)
}

// badgePublicRoutes registers the badge images, readable without signing in: register them
// before requireViewer.
func (h *Handler) badgePublicRoutes(app fiber.Router) {
	app.Get("/badge/:token.svg", h.badgeSVG)
	app.Get("/badge/:token.json", h.badgeJSON)
}

// badgeView is one badge as the API shows it; the token is never part of it.
type badgeView struct {
	ID         int64   `json:"id"`
	Label      string  `json:"label"`
	JobPattern string  `json:"jobPattern"`
	TagPattern string  `json:"tagPattern"`
	Scope      string  `json:"scope"`
	CreatedAt  string  `json:"createdAt"`
	CreatedBy  string  `json:"createdBy"`
	RevokedAt  *string `json:"revokedAt"`
	RevokedBy  *string `json:"revokedBy"`
}

func toBadgeView(b models.Badge) badgeView {
	scope := "jobs"
	if b.JobPattern == "" && b.TagPattern == "" {
		scope = "all"
	}
	return badgeView{ID: b.ID, Label: b.Label, JobPattern: b.JobPattern, TagPattern: b.TagPattern, Scope: scope, CreatedAt: b.CreatedAt,
		CreatedBy: b.CreatedBy, RevokedAt: b.RevokedAt, RevokedBy: b.RevokedBy}
}

// badgeURLs are a new badge's public addresses; they carry the token.
type badgeURLs struct {
	SVG     string `json:"svgUrl"`
	JSON    string `json:"jsonUrl"`
	Shields string `json:"shieldsUrl"`
	// Preview is the SVG on this origin, for the page's own <img>.
	Preview string `json:"-"`
}

// urlsFor builds the URLs of token on the public base URL (the request's origin when none is set).
func (h *Handler) urlsFor(c *fiber.Ctx, token string) badgeURLs {
	base := strings.TrimRight(h.opts.BaseURL, "/")
	if base == "" {
		base = c.BaseURL()
	}
	u := badgeURLs{SVG: base + "/badge/" + token + ".svg", JSON: base + "/badge/" + token + ".json",
		Preview: "/badge/" + token + ".svg"}
	u.Shields = "https://img.shields.io/endpoint?url=" + url.QueryEscape(u.JSON)
	return u
}

type badgeCreatedResponse struct {
	Badge badgeView `json:"badge"`
	Token string    `json:"token"`
	badgeURLs
}

// listBadges is GET /v1/badges.
func (h *Handler) listBadges(c *fiber.Ctx) error {
	list, err := h.badges.List(c.UserContext())
	if err != nil {
		return err
	}
	out := struct {
		Badges []badgeView `json:"badges"`
	}{Badges: make([]badgeView, len(list))}
	for i, b := range list {
		out.Badges[i] = toBadgeView(b)
	}
	return writeJSON(c, fiber.StatusOK, out)
}

// createBadge is POST /v1/badges: 201 with the badge, its token and URLs (shown only now).
func (h *Handler) createBadge(c *fiber.Ctx) error {
	var in services.BadgeCreateRequest
	if verr := decodeObject(JSONBody(c), &in); verr != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid badge payload", Details: *verr})
	}
	b, token, err := h.badges.Create(c.UserContext(), in, actorFrom(c), h.now())
	var be *services.InputError
	if errors.As(err, &be) {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid badge payload", Details: inputDetails(be)})
	}
	if err != nil {
		return err
	}
	h.audit(c, "badge.create", strconv.FormatInt(b.ID, 10), "jobs "+b.JobPattern+", tags "+b.TagPattern)
	return writeJSON(c, fiber.StatusCreated, badgeCreatedResponse{Badge: toBadgeView(b), Token: token, badgeURLs: h.urlsFor(c, token)})
}

// badgeIDParam reads :badgeId as a positive integer.
func badgeIDParam(c *fiber.Ctx) (int64, bool) {
	id, err := strconv.ParseInt(c.Params("badgeId"), 10, 64)
	return id, err == nil && id > 0
}

// revokeBadge is POST /v1/badges/:badgeId/revoke; revoking twice keeps the first revocation.
func (h *Handler) revokeBadge(c *fiber.Ctx) error {
	id, ok := badgeIDParam(c)
	if !ok {
		return writeJSON(c, fiber.StatusBadRequest, errorBody{Error: "badgeId must be a positive integer"})
	}
	b, err := h.badges.Revoke(c.UserContext(), id, actorFrom(c), h.now())
	if errors.Is(err, store.ErrNotFound) {
		return writeJSON(c, fiber.StatusNotFound, errorBody{Error: "Badge not found"})
	}
	if err != nil {
		return err
	}
	h.audit(c, "badge.revoke", strconv.FormatInt(b.ID, 10), "")
	return writeJSON(c, fiber.StatusOK, struct {
		Badge badgeView `json:"badge"`
	}{toBadgeView(b)})
}

// ---- the public images ----

// badgeSVG is GET /badge/:token.svg.
func (h *Handler) badgeSVG(c *fiber.Ctx) error {
	s, status, err := h.badgeStatus(c)
	if err != nil {
		return err
	}
	return sendBadge(c, status, "image/svg+xml; charset=utf-8", []byte(BadgeSVG(s)))
}

// badgeJSON is GET /badge/:token.json, in the schema of shields.io's endpoint badge.
func (h *Handler) badgeJSON(c *fiber.Ctx) error {
	s, status, err := h.badgeStatus(c)
	if err != nil {
		return err
	}
	body, err := json.Marshal(shieldsEndpoint{SchemaVersion: 1, Label: s.Label, Message: s.Message,
		Color: shieldsColor(s.Color), IsError: status != fiber.StatusOK})
	if err != nil {
		return err
	}
	return sendBadge(c, status, "application/json; charset=utf-8", body)
}

// badgeNotFound is what an unknown and a revoked token both show, so neither tells which.
var badgeNotFound = services.BadgeStatus{Label: "badge", Message: "not found", Color: services.BadgeGrey}

// badgeStatus resolves the token: its status and 200, or the not-found badge and 404.
func (h *Handler) badgeStatus(c *fiber.Ctx) (services.BadgeStatus, int, error) {
	token := c.Params("token")
	if !plausibleToken(token) {
		return badgeNotFound, fiber.StatusNotFound, nil
	}
	s, err := h.badges.Show(c.UserContext(), token)
	if errors.Is(err, store.ErrNotFound) {
		return badgeNotFound, fiber.StatusNotFound, nil
	}
	return s, fiber.StatusOK, err
}

// plausibleToken spares the database a lookup of what no token can be (tokens are 43
// URL-safe base64 characters).
func plausibleToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// sendBadge answers with body, a short public cache and an ETag (304 when it matches).
func sendBadge(c *fiber.Ctx, status int, contentType string, body []byte) error {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	c.Set(fiber.HeaderCacheControl, badgeCacheControl)
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if status == fiber.StatusOK && strings.Contains(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(body)
}

// shieldsEndpoint is shields.io's endpoint badge schema.
type shieldsEndpoint struct {
	SchemaVersion int    `json:"schemaVersion"`
	Label         string `json:"label"`
	Message       string `json:"message"`
	Color         string `json:"color"`
	IsError       bool   `json:"isError,omitempty"`
}

// shieldsColor names a colour as shields.io does.
func shieldsColor(c services.BadgeColor) string {
	switch c {
	case services.BadgeGreen:
		return "brightgreen"
	case services.BadgeRed:
		return "red"
	case services.BadgeAmber:
		return "yellow"
	}
	return "lightgrey"
}

// svgColor is the fill of a colour, shields.io's flat palette.
func svgColor(c services.BadgeColor) string {
	switch c {
	case services.BadgeGreen:
		return "#4c1"
	case services.BadgeRed:
		return "#e05d44"
	case services.BadgeAmber:
		return "#dfb317"
	}
	return "#9f9f9f"
}

// badgeSVGTemplate is shields.io's flat style. The %[n] verbs: 1 total width, 2 label width,
// 3 message width, 4 colour, 5 label x, 6 message x, 7 label, 8 message (both escaped).
const badgeSVGTemplate = `<svg xmlns="http://www.w3.org/2000/svg" width="%[1]d" height="20" role="img" aria-label="%[7]s: %[8]s">` +
	`<title>%[7]s: %[8]s</title>` +
	`<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
	`<clipPath id="r"><rect width="%[1]d" height="20" rx="3" fill="#fff"/></clipPath>` +
	`<g clip-path="url(#r)"><rect width="%[2]d" height="20" fill="#555"/><rect x="%[2]d" width="%[3]d" height="20" fill="%[4]s"/>` +
	`<rect width="%[1]d" height="20" fill="url(#s)"/></g>` +
	`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11">` +
	`<text x="%[5]s" y="15" fill="#010101" fill-opacity=".3">%[7]s</text><text x="%[5]s" y="14">%[7]s</text>` +
	`<text x="%[6]s" y="15" fill="#010101" fill-opacity=".3">%[8]s</text><text x="%[6]s" y="14">%[8]s</text></g></svg>`

// badgePadding is the space left and right of each text, as shields.io draws it.
const badgePadding = 5

// BadgeSVG draws a flat badge. Each half is as wide as its text (estimated per character in
// Verdana 11 px, as shields.io measures) plus padding; the texts are XML-escaped, since a
// label may be a job name and job names come from anyone who can post events.
func BadgeSVG(s services.BadgeStatus) string {
	label, message := xmlSafe(s.Label), xmlSafe(s.Message)
	lw := int(textWidth(label)+0.5) + 2*badgePadding
	mw := int(textWidth(message)+0.5) + 2*badgePadding
	half := func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
	return fmt.Sprintf(badgeSVGTemplate, lw+mw, lw, mw, svgColor(s.Color), half(float64(lw)/2), half(float64(lw)+float64(mw)/2),
		html.EscapeString(label), html.EscapeString(message))
}

// xmlSafe replaces the characters XML cannot hold at all, even escaped (control characters
// other than tab and newline), and invalid UTF-8.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || (unicode.IsControl(r) && r != '\t' && r != '\n') || r == 0xFFFE || r == 0xFFFF {
			return unicode.ReplacementChar
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// verdana11 holds the advance widths (px) of printable ASCII in Verdana at 11 px, from ' ' on.
var verdana11 = [95]float64{
	3.87, 4.33, 5.05, 9.0, 7.0, 11.84, 7.98, 2.96, 4.94, 4.94, 7.0, 9.0, 4.0, 4.99, 4.0, 4.99, // ' '..'/'
	7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 4.99, 4.99, 9.0, 9.0, 9.0, 6.0, 11.0, // '0'..'@'
	7.52, 7.56, 7.68, 8.48, 6.96, 6.32, 8.53, 8.26, 4.63, 5.0, 7.62, 6.12, 9.27, 8.23, 8.66, 6.63, // 'A'..'P'
	8.66, 7.6, 7.52, 6.78, 8.05, 7.52, 10.88, 7.54, 6.77, 7.53, 4.94, 4.99, 4.94, 9.0, 7.0, 7.0, // 'Q'..'`'
	6.61, 6.85, 5.73, 6.85, 6.55, 3.86, 6.85, 6.96, 3.02, 3.79, 6.51, 3.02, 10.66, 6.96, 6.68, 6.85, // 'a'..'p'
	6.85, 4.69, 5.73, 4.33, 6.96, 6.51, 8.98, 6.51, 6.51, 5.78, 6.98, 4.99, 6.98, 9.0, // 'q'..'~'
}

// textWidth estimates the width of s in Verdana 11 px: the table for ASCII, 11 px for wide
// (CJK-like) characters and 7 px for the rest.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r >= ' ' && r <= '~':
			w += verdana11[r-' ']
		case r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) ||
			unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || r >= 0x1F300):
			w += 11
		default:
			w += 7
		}
	}
	return w
}
