package views

import (
	"time"

	"github.com/a-h/templ"
)

// Viewer is who is looking at a page and what the shell offers them.
type Viewer struct {
	// Email is the signed-in user's address ("" when unknown or signed out).
	Email string
	// SignedIn shows the e-mail and the Sign Out button.
	SignedIn bool
	// AuthDisabled shows the "Authentication is disabled" banner (MONITOR_AUTH_ENABLED=false).
	AuthDisabled bool
	// CSRF is the token every form carries in its _csrf field.
	CSRF string
}

// Chrome is what every page of the shell needs besides its own data.
type Chrome struct {
	Viewer Viewer
	// AssetVersion is the cache-busting query value of /static/ URLs.
	AssetVersion string
	// Now is the request time, used for relative times and chart windows.
	Now time.Time
	// ReconcilingSince is set while the evaluator waits for runners to replay what they
	// spooled: nothing is reported late meanwhile.
	ReconcilingSince *string
}

// Count is one group of a count by key (status, alert type).
type Count struct {
	Key   string
	Count int64
}

// Presence is Chief's liveness as shown by the Overview card.
type Presence struct {
	Online              bool
	LastHeartbeatAt     *string
	PingIntervalSeconds *int64
	OfflineAfterSeconds int64
}

// Summary is the data of the Overview cards and charts.
type Summary struct {
	Checks        []Count
	ActiveAlerts  []Count
	TotalEvents   int64
	LatestEventAt *string
	Chief         Presence
	// EventsPerHour feeds the 24-hour stacked bar chart.
	EventsPerHour []HourBucket
}

// HourBucket counts the events of one hour (its start, UTC) by level.
type HourBucket struct {
	Start  time.Time
	Counts map[string]int64
}

// pollAttrs are the htmx attributes of a region that re-renders itself from url every 10 s
// while the tab is visible, and on demand (the Refresh button fires monitor-refresh).
func pollAttrs(url string) templ.Attributes {
	return templ.Attributes{
		"hx-get":     url,
		"hx-trigger": "every 10s [document.visibilityState === 'visible'], monitor-refresh",
		"hx-swap":    "outerHTML",
		"data-poll":  "true",
	}
}

// assetURL is the versioned URL of an embedded static file.
func assetURL(c Chrome, name string) string {
	return "/static/" + name + "?v=" + c.AssetVersion
}
