package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/gulag/chief-monitor/models"
)

// renderDoc renders a component and parses it.
func renderDoc(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func byTestID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

func ptr[T any](v T) *T { return &v }

// A badge given UP displays UP, in its colour class.
func TestStatusBadge(t *testing.T) {
	tests := []struct {
		name, value, text, class string
	}{
		{"up", "UP", "UP", "is-up"},
		{"late", "LATE", "LATE", "is-late"},
		{"down", "DOWN", "DOWN", "is-down"},
		{"critical", "critical", "CRITICAL", "is-down"},
		{"open is amber", "OPEN", "OPEN", "is-late"},
		{"closed is grey", "CLOSED", "CLOSED", "is-neutral"},
		{"info", "INFO", "INFO", "is-neutral"},
		{"empty", "", "UNKNOWN", "is-neutral"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := byTestID(renderDoc(t, StatusBadge(tc.value)), "badge")
			if got := b.Text(); got != tc.text {
				t.Errorf("text: got %q, want %q", got, tc.text)
			}
			if !b.HasClass(tc.class) {
				t.Errorf("class: got %q, want %q", b.AttrOr("class", ""), tc.class)
			}
		})
	}
}

// The status and level badges.
func TestEmptyStateAndErrorBanner(t *testing.T) {
	doc := renderDoc(t, EmptyState("No rows", "Nothing matched."))
	if got := byTestID(doc, "empty-state").Find("strong").Text(); got != "No rows" {
		t.Errorf("empty state title: got %q, want %q", got, "No rows")
	}
	doc = renderDoc(t, ErrorBanner("Request failed", "boom"))
	b := byTestID(doc, "error-banner")
	if got := b.AttrOr("role", ""); got != "alert" {
		t.Errorf("banner role: got %q, want alert", got)
	}
	if !strings.Contains(b.Text(), "boom") {
		t.Errorf("banner text: got %q, want it to contain boom", b.Text())
	}
}

// Pagination, plus the links keeping the filters.
func TestPager(t *testing.T) {
	tests := []struct {
		name               string
		page               int
		hasNext            bool
		label              string
		prevOff, nextOff   bool
		nextHref, prevHref string
	}{
		{name: "first page, full", page: 1, hasNext: true, label: "Page 1", prevOff: true,
			nextHref: "/alerts?jobName=a+b&status=OPEN&page=2"},
		{name: "middle", page: 3, hasNext: true, label: "Page 3",
			prevHref: "/alerts?jobName=a+b&status=OPEN&page=2", nextHref: "/alerts?jobName=a+b&status=OPEN&page=4"},
		{name: "second page, short", page: 2, hasNext: false, label: "Page 2", nextOff: true,
			prevHref: "/alerts?jobName=a+b&status=OPEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := renderDoc(t, Pager(PagerProps{Path: "/alerts", Params: []Param{{"jobName", "a b"}, {"status", "OPEN"}, {"severity", ""}},
				Page: tc.page, HasNext: tc.hasNext}))
			if got := byTestID(doc, "pager-page").Text(); got != tc.label {
				t.Errorf("label: got %q, want %q", got, tc.label)
			}
			prev, next := byTestID(doc, "pager-prev"), byTestID(doc, "pager-next")
			if _, off := prev.Attr("disabled"); off != tc.prevOff {
				t.Errorf("Previous disabled: got %v, want %v", off, tc.prevOff)
			}
			if _, off := next.Attr("disabled"); off != tc.nextOff {
				t.Errorf("Next disabled: got %v, want %v", off, tc.nextOff)
			}
			if got := next.AttrOr("href", ""); got != tc.nextHref {
				t.Errorf("Next href: got %q, want %q", got, tc.nextHref)
			}
			if got := prev.AttrOr("href", ""); got != tc.prevHref {
				t.Errorf("Previous href: got %q, want %q", got, tc.prevHref)
			}
		})
	}
}

// Empty states.
func TestBuildQuery(t *testing.T) {
	tests := []struct {
		name   string
		params []Param
		want   string
	}{
		{"keeps order, drops blanks", []Param{{"jobName", " etl "}, {"status", "OPEN"}, {"severity", "  "}, {"page", "2"}},
			"jobName=etl&status=OPEN&page=2"},
		{"escapes", []Param{{"q", "a&b=c"}}, "q=a%26b%3Dc"},
		{"nothing survives", []Param{{"a", ""}, {"b", " "}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := BuildQuery(tc.params...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// Times, durations and the relative-time rules.
func TestFormatters(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 15, 2, 0, time.UTC)
	tests := []struct {
		name, got, want string
	}{
		{"count", FormatCount(1234), "1,234"},
		{"count large", FormatCount(48211), "48,211"},
		{"count negative", FormatCount(-1234567), "-1,234,567"},
		{"date", FormatDateTime(ptr("2026-03-04T09:15:02.000Z")), "2026-03-04 09:15:02 UTC"},
		{"date offset", FormatDateTime(ptr("2026-03-04T10:15:02+01:00")), "2026-03-04 09:15:02 UTC"},
		{"date null", FormatDateTime(nil), "-"},
		{"date unparsable", FormatDateTime(ptr("yesterday")), "yesterday"},
		{"duration ms", FormatDuration(ptr[int64](500)), "500 ms"},
		{"duration s", FormatDuration(ptr[int64](1500)), "1.50 s"},
		{"duration 10s+", FormatDuration(ptr[int64](31800)), "31.8 s"},
		{"duration null", FormatDuration(nil), "-"},
		{"relative past", RelativeTime(ptr("2026-03-04T09:12:02Z"), now), "3 minutes ago"},
		{"relative one", RelativeTime(ptr("2026-03-04T08:15:02Z"), now), "1 hour ago"},
		{"relative future", RelativeTime(ptr("2026-03-06T09:15:02Z"), now), "2 days from now"},
		{"relative now", RelativeTime(ptr("2026-03-04T09:15:02.400Z"), now), "0 seconds from now"},
		{"relative null", RelativeTime(nil, now), "-"},
		{"json pretty", PrettyJSON(`{"a":1}`), "{\n  \"a\": 1\n}"},
		{"json invalid", PrettyJSON(`nope`), "{}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestTimeTagHasMachineValue(t *testing.T) {
	doc := renderDoc(t, timeTag(ptr("2026-03-04T09:15:02Z")))
	tm := doc.Find("time")
	if got := tm.AttrOr("datetime", ""); got != "2026-03-04T09:15:02.000Z" {
		t.Errorf("datetime: got %q", got)
	}
	if got := tm.Text(); got != "2026-03-04 09:15:02 UTC" {
		t.Errorf("fallback text: got %q", got)
	}
}

// User-supplied text is escaped everywhere (job names, messages, metadata).
func TestEventsTableEscapesUserData(t *testing.T) {
	evil := `<script>alert(1)</script>`
	rows := []models.TelemetryEvent{{ID: 1, EventAt: "2026-03-04T09:15:02Z", EventType: "worker.message", Level: "INFO",
		Message: evil, JobName: ptr(evil), MetadataJSON: `{"x":"` + `<img src=x onerror=alert(1)>` + `"}`}}
	var buf bytes.Buffer
	if err := EventsTable(EventsTableProps{Rows: rows, Page: 1}, "http://127.0.0.1:7410").Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "<script>") || strings.Contains(html, "<img") {
		t.Fatalf("unescaped user data in %s", html)
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(html))
	if got := byTestID(doc, "event-message").Text(); got != evil {
		t.Errorf("message text: got %q, want %q", got, evil)
	}
}

func TestPartialsCarryTestIDAndPolling(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name, testid, hxGet string
		c                   templ.Component
	}{
		{"overview summary", "overview-summary", "/partials/overview/summary", OverviewSummary(Summary{}, now)},
		{"overview alerts", "overview-alerts", "/partials/overview/alerts", OverviewAlerts(nil)},
		{"jobs", "jobs-table", "/partials/jobs/table", JobsTable(JobsTableProps{BaseURL: "http://x"})},
		{"job", "job-detail", "/partials/jobs/a%2Fb%20c/detail", JobDetail(JobDetailProps{Name: "a/b c"})},
		{"alerts", "alerts-table", "/partials/alerts/table?status=OPEN&page=2",
			AlertsTable(AlertsTableProps{Filter: AlertFilter{Status: "OPEN"}, Page: 2})},
		{"events", "events-table", "/partials/events/table?level=ERROR", EventsTable(EventsTableProps{Filter: EventFilter{Level: "ERROR"}, Page: 1}, "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := byTestID(renderDoc(t, tc.c), tc.testid)
			if root.Length() != 1 {
				t.Fatalf("data-testid=%s: got %d nodes, want 1", tc.testid, root.Length())
			}
			if got := root.AttrOr("hx-get", ""); got != tc.hxGet {
				t.Errorf("hx-get: got %q, want %q", got, tc.hxGet)
			}
			if got := root.AttrOr("hx-trigger", ""); !strings.HasPrefix(got, "every 10s [document.visibilityState === 'visible']") {
				t.Errorf("hx-trigger: got %q", got)
			}
		})
	}
}

func TestOverviewCountsAllOpenAlerts(t *testing.T) {
	s := Summary{ActiveAlerts: []Count{{"FAILURE", 7}, {"MISSED", 5}, {"RECOVERY", 2}}, Checks: []Count{{"UP", 3}, {"DOWN", 1}}}
	doc := renderDoc(t, OverviewSummary(s, time.Now()))
	card := byTestID(doc, "card-open-alerts")
	if got := card.Find(".metric-value").Text(); got != "14" {
		t.Errorf("open alerts: got %q, want 14 (C4: the real count)", got)
	}
	if got := card.Find(".metric-detail").Text(); got != "Failure: 7 | Missed: 5 | Recovery: 2" {
		t.Errorf("detail: got %q", got)
	}
	if got := byTestID(doc, "card-chief").Find("[aria-label]").AttrOr("aria-label", ""); got != "Chief offline" {
		t.Errorf("chief: got %q, want Chief offline", got)
	}
}

func TestShellShowsUserOrAuthDisabledBanner(t *testing.T) {
	signedIn := renderDoc(t, NotFoundPage(Chrome{Viewer: Viewer{Email: "a@b.c", SignedIn: true, CSRF: "tok"}}))
	if got := byTestID(signedIn, "user-email").Text(); got != "a@b.c" {
		t.Errorf("email: got %q", got)
	}
	if byTestID(signedIn, "sign-out").Length() != 1 || byTestID(signedIn, "auth-disabled").Length() != 0 {
		t.Errorf("signed in: want Sign Out and no banner")
	}
	if got := signedIn.Find(`form[action="/logout"] input[name="_csrf"]`).AttrOr("value", ""); got != "tok" {
		t.Errorf("logout csrf: got %q", got)
	}
	open := renderDoc(t, NotFoundPage(Chrome{Viewer: Viewer{AuthDisabled: true}}))
	if byTestID(open, "sign-out").Length() != 0 || byTestID(open, "auth-disabled").Length() != 1 {
		t.Errorf("open mode: want the banner and no Sign Out")
	}
	if got := byTestID(open, "not-found").Find("a").AttrOr("href", ""); got != "/" {
		t.Errorf("Go to Overview href: got %q", got)
	}
}

func TestAlertRowCloseForm(t *testing.T) {
	open := models.Alert{ID: 12, JobName: "etl", AlertType: models.AlertFailure, Severity: models.SeverityError,
		Status: models.AlertOpen, OpenedAt: "2026-03-04T09:00:00Z", Title: "Job failed"}
	doc := renderDoc(t, AlertRow(open, "tok", "/alerts?status=OPEN", nil))
	form := byTestID(doc, "close-form")
	if got := form.AttrOr("action", ""); got != "/alerts/12/close" {
		t.Errorf("action: got %q", got)
	}
	if got := form.AttrOr("hx-target", ""); got != "closest tr" {
		t.Errorf("hx-target: got %q", got)
	}
	if got := form.Find(`input[name="back"]`).AttrOr("value", ""); got != "/alerts?status=OPEN" {
		t.Errorf("back: got %q", got)
	}
	closed := open
	closed.Status, closed.ClosedAt, closed.ClosedBy, closed.ClosedReason = models.AlertClosed, ptr("2026-03-04T09:05:00Z"), ptr("a@b.c"), ptr("manual-ui")
	doc = renderDoc(t, AlertRow(closed, "tok", "/alerts", nil))
	if byTestID(doc, "close-form").Length() != 0 {
		t.Errorf("closed row still has a close form")
	}
	if got := byTestID(doc, "closed-info").Text(); got != "closed by a@b.c (manual-ui)" {
		t.Errorf("closed info: got %q", got)
	}
}

func renderString(t *testing.T, c templ.Component) *strings.Builder {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatalf("render: %v", err)
	}
	return &b
}
