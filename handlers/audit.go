package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

// audit records that the request's actor (the signed-in e-mail, "api-key", or "anonymous" on
// an open dashboard) did action to target. Call it after the change succeeded. detail is for
// people: never put a secret in it (mask URLs with services.MaskURL, never a password). A
// failure to record is logged and does not undo the change, which has already happened.
func (h *Handler) audit(c *fiber.Ctx, action, target, detail string) {
	// The writer may run the insert after a cancelled request returned, when Fiber has
	// reused the buffers these strings may point into: keep copies.
	actor := strings.Clone(actorFrom(c))
	action, target, detail = strings.Clone(action), strings.Clone(target), strings.Clone(detail)
	if err := h.auditLog.Record(c.UserContext(), h.now(), actor, action, target, detail); err != nil {
		h.log.Error("Writing the audit log failed", "action", action, "error", err)
	}
}

// auditAlertClose records a close that changed the alert (closing a closed alert again does not).
func (h *Handler) auditAlertClose(c *fiber.Ctx, a *models.Alert, reason string) {
	h.audit(c, "alert.close", strconv.FormatInt(a.ID, 10),
		"job "+strconv.Quote(a.JobName)+", "+string(a.AlertType)+", reason: "+reason)
}

// auditTest records a test send: it reaches people, so who asked for it is worth keeping.
func (h *Handler) auditTest(c *fiber.Ctx, kind, name string, r services.TestResult) {
	target := kind
	if name != "" {
		target += " " + name
	}
	h.audit(c, "settings."+kind+".test", target, fmt.Sprintf("sent %d, failed %d: %s", r.Sent, r.Failed, r.Message))
}

// emailSettingsDetail describes stored e-mail settings: addresses are not secrets.
func emailSettingsDetail(s services.EmailSettings) string {
	return "recipients: " + listOrNone(s.Recipients) + "; alert types: " + listOrNone(s.EnabledAlertTypes)
}

// channelsDetail describes a stored list of webhook or Slack channels, URLs masked (a Slack
// URL is its credential, and webhook URLs often carry tokens) and secrets left out.
func channelsDetail(cs services.ChannelSettings) string {
	if len(cs.Channels) == 0 {
		return "channels: none"
	}
	parts := make([]string, len(cs.Channels))
	for i, ch := range cs.Channels {
		parts[i] = channelDetail(ch)
	}
	return "channels: " + strings.Join(parts, "; ")
}

// channelDetail describes one channel without its secrets.
func channelDetail(ch services.ChannelConfig) string {
	url := "stored URL kept"
	if ch.URL != "" {
		url = services.MaskURL(ch.URL)
	}
	s := strconv.Quote(ch.Name) + " (" + url + ", types " + listOrNone(ch.EnabledAlertTypes)
	if len(ch.Jobs) > 0 {
		s += ", jobs " + strings.Join(ch.Jobs, ", ")
	}
	if len(ch.Tags) > 0 {
		s += ", tags " + strings.Join(ch.Tags, ", ")
	}
	if len(ch.Severities) > 0 {
		s += ", severities " + strings.Join(ch.Severities, ", ")
	}
	if ch.Secret != nil && *ch.Secret != "" {
		s += ", signed"
	}
	return s + ")"
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}
