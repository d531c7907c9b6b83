package services

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// badgeTokenBytes is the token's entropy: 256 bits, well past guessing.
const badgeTokenBytes = 32

// BadgeCreateRequest is the body of POST /v1/badges and of the badge form.
type BadgeCreateRequest struct {
	// Label is the badge's left-hand text; empty: the job pattern, or "jobs" for every job.
	Label string `json:"label" validate:"max=64,singleline"`
	// JobPattern scopes the badge to the jobs it matches (path.Match); empty is every job.
	JobPattern string `json:"jobPattern" validate:"max=200,singleline,glob"`
	// TagPattern adds the jobs that have a tag it matches (path.Match).
	TagPattern string `json:"tagPattern" validate:"max=64,singleline,glob"`
}

// BadgeStatus is what a badge shows: its label, the status text and the colour name.
type BadgeStatus struct {
	Label, Message string
	Color          BadgeColor
}

// BadgeColor is a badge's right-hand colour, by meaning.
type BadgeColor string

// Badge colours.
const (
	BadgeGreen BadgeColor = "green"
	BadgeRed   BadgeColor = "red"
	BadgeAmber BadgeColor = "amber"
	BadgeGrey  BadgeColor = "grey"
)

// Badges creates, lists and revokes status badges and computes what a badge shows.
type Badges struct {
	st       *store.Store
	write    WriteFunc
	status   *Status
	validate *validator.Validate
}

// NewBadges returns the badge service; writes go through write (the writer's Do).
func NewBadges(st *store.Store, write WriteFunc, status *Status) *Badges {
	v := newValidator()
	return &Badges{st: st, write: write, status: status, validate: v}
}

// NewBadgeToken returns a fresh URL-safe token and the hash that is stored of it.
func NewBadgeToken() (token, hash string) {
	b := make([]byte, badgeTokenBytes)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashBadgeToken(token)
}

// HashBadgeToken is the stored form of a token: hex SHA-256. A token has 256 random bits, so
// an unsalted fast hash is enough: there is nothing to brute-force from it.
func HashBadgeToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Create validates in and stores a new badge made by who; it returns the badge and its token,
// which is never stored and so can be shown only now.
func (b *Badges) Create(ctx context.Context, in BadgeCreateRequest, who string, now time.Time) (models.Badge, string, error) {
	in.Label, in.JobPattern, in.TagPattern = strings.TrimSpace(in.Label), strings.TrimSpace(in.JobPattern), strings.TrimSpace(in.TagPattern)
	if err := validateInput(b.validate, &in); err != nil {
		return models.Badge{}, "", err
	}
	token, hash := NewBadgeToken()
	row := models.Badge{TokenHash: hash, Label: in.Label, JobPattern: in.JobPattern, TagPattern: in.TagPattern,
		CreatedAt: telemetry.ServerTime(now), CreatedBy: who}
	err := b.write(ctx, func(tx *store.Tx) error { return tx.InsertBadge(&row) })
	if err != nil {
		return models.Badge{}, "", err
	}
	return row, token, nil
}

// List returns every badge, newest first.
func (b *Badges) List(ctx context.Context) ([]models.Badge, error) { return b.st.Badges(ctx) }

// Revoke revokes a badge (again is harmless) and returns it, or store.ErrNotFound.
func (b *Badges) Revoke(ctx context.Context, id int64, who string, now time.Time) (models.Badge, error) {
	var out models.Badge
	err := b.write(ctx, func(tx *store.Tx) error {
		row, err := tx.RevokeBadge(id, telemetry.ServerTime(now), who)
		if err == nil {
			out = *row
		}
		return err
	})
	return out, err
}

// Show returns what the badge of token shows now, or store.ErrNotFound for a token that is
// unknown or revoked (the two are not told apart).
func (b *Badges) Show(ctx context.Context, token string) (BadgeStatus, error) {
	badge, err := b.st.ActiveBadge(ctx, HashBadgeToken(token))
	if err != nil {
		return BadgeStatus{}, err
	}
	jobs, err := b.status.Jobs(ctx)
	if err != nil {
		return BadgeStatus{}, err
	}
	var healths []Health
	for _, j := range jobs {
		if badgeCovers(*badge, j.Check) {
			healths = append(healths, j.Health)
		}
	}
	return BadgeStatusOf(*badge, healths), nil
}

// badgeCovers reports whether a job is in a badge's scope: every job when the badge names no
// pattern, else a job whose name matches its job pattern or that has a tag matching its tag
// pattern (the patterns were validated when the badge was made).
func badgeCovers(b models.Badge, c models.CheckState) bool {
	if b.JobPattern == "" && b.TagPattern == "" {
		return true
	}
	return (b.JobPattern != "" && matchAny([]string{b.JobPattern}, c.JobName)) ||
		(b.TagPattern != "" && matchAnyTag([]string{b.TagPattern}, c.TagList()))
}

// BadgeLabel is the left-hand text of a badge: its label, else its pattern, else "jobs".
func BadgeLabel(b models.Badge) string {
	switch {
	case b.Label != "":
		return b.Label
	case b.JobPattern != "":
		return b.JobPattern
	case b.TagPattern != "":
		return b.TagPattern
	}
	return "jobs"
}

// BadgeStatusOf summarises the health of the jobs in a badge's scope. A badge of one job
// (a pattern without wildcards) shows its health word; any other shows counts, the worst news
// first: "2 failing" (failing or down, red), "1 late" (amber), "5 up" (green). Disabled and
// retired jobs are not counted; a scope with no job to count is "unknown" (grey).
func BadgeStatusOf(b models.Badge, healths []Health) BadgeStatus {
	out := BadgeStatus{Label: BadgeLabel(b), Message: "unknown", Color: BadgeGrey}
	single := b.JobPattern != "" && b.TagPattern == "" && !strings.ContainsAny(b.JobPattern, `*?[\`)
	if single && len(healths) == 1 {
		out.Message = string(healths[0])
		out.Color = healthColor(healths[0])
		return out
	}
	count := map[Health]int{}
	for _, h := range healths {
		count[h]++
	}
	failing, down := count[HealthFailing], count[HealthDown]
	switch {
	case failing+down > 0:
		var parts []string
		if failing > 0 {
			parts = append(parts, strconv.Itoa(failing)+" failing")
		}
		if down > 0 {
			parts = append(parts, strconv.Itoa(down)+" down")
		}
		out.Message, out.Color = strings.Join(parts, ", "), BadgeRed
	case count[HealthLate] > 0:
		out.Message, out.Color = strconv.Itoa(count[HealthLate])+" late", BadgeAmber
	case count[HealthUp] > 0:
		out.Message, out.Color = strconv.Itoa(count[HealthUp])+" up", BadgeGreen
	}
	return out
}

func healthColor(h Health) BadgeColor {
	switch h {
	case HealthUp:
		return BadgeGreen
	case HealthLate:
		return BadgeAmber
	case HealthFailing, HealthDown:
		return BadgeRed
	}
	return BadgeGrey
}
