package views

import (
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gulag/chief-monitor/models"
)

// runURL is the page of one run.
func runURL(id string) templ.SafeURL {
	return templ.SafeURL("/runs/" + url.PathEscape(id))
}

// runTime is when a run started, or its first event.
func runTime(r *models.Run) *string {
	if r.StartedAt != nil {
		return r.StartedAt
	}
	return r.FinishedAt
}

// HealthClass maps a job's health to its colour class.
func HealthClass(h string) string {
	switch h {
	case "failing", "down":
		return "is-down"
	case "late":
		return "is-late"
	case "up":
		return "is-up"
	}
	return "is-neutral"
}

// RunStatusClass maps a run's status to its colour class.
func RunStatusClass(s models.RunStatus) string {
	switch s {
	case models.RunSucceeded:
		return "is-up"
	case models.RunRunning, models.RunSkipped:
		return "is-neutral"
	case models.RunHung:
		return "is-late"
	}
	return "is-down"
}

// runStatusText is a run's status in words.
func runStatusText(s models.RunStatus) string {
	return strings.ReplaceAll(string(s), "_", " ")
}
