package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gulag/chief-monitor/models"
)

func TestJobURLEscapesEveryName(t *testing.T) {
	tests := []struct{ name, page, partial string }{
		{"plain-job", "/jobs/plain-job", "/partials/jobs/plain-job/detail"},
		// Dot segments: a browser resolves /jobs/. and /jobs/%2E alike to /jobs/.
		{".", "/job?name=.", "/partials/job/detail?name=."},
		{"..", "/job?name=..", "/partials/job/detail?name=.."},
		{"...", "/jobs/...", "/partials/jobs/.../detail"},
		{"a/b", "/jobs/a%2Fb", "/partials/jobs/a%2Fb/detail"},
		{"../x", "/jobs/..%2Fx", "/partials/jobs/..%2Fx/detail"},
		{"a?b#c", "/jobs/a%3Fb%23c", "/partials/jobs/a%3Fb%23c/detail"},
		{"100%", "/jobs/100%25", "/partials/jobs/100%25/detail"},
		{"a\x01b\tc", "/jobs/a%01b%09c", "/partials/jobs/a%01b%09c/detail"},
		{`back\slash`, "/jobs/back%5Cslash", "/partials/jobs/back%5Cslash/detail"},
		{"x\u202ey", "/jobs/x%E2%80%AEy", "/partials/jobs/x%E2%80%AEy/detail"},
	}
	for _, tc := range tests {
		if got := string(jobURL(tc.name)); got != tc.page {
			t.Errorf("jobURL(%q) = %s, want %s", tc.name, got, tc.page)
		}
		if got := jobPartialURL(tc.name); got != tc.partial {
			t.Errorf("jobPartialURL(%q) = %s, want %s", tc.name, got, tc.partial)
		}
	}
}

func TestHiddenCharactersAreShown(t *testing.T) {
	tests := []struct{ name, text string }{
		{"invoice\u202egpj.exe", "invoice<U+202E>gpj.exe"},
		{"\u200bzero\u200dwidth\ufeff", "<U+200B>zero<U+200D>width<U+FEFF>"},
		{"iso\u2066late\u2069", "iso<U+2066>late<U+2069>"},
		{"tab\there\x7f\u0085", "tab<U+0009>here<U+007F><U+0085>"},
		{"plain é ü 漢字", "plain é ü 漢字"},
	}
	for _, tc := range tests {
		var b strings.Builder
		hidden := 0
		for _, p := range visibleParts(tc.name) {
			b.WriteString(p.Text)
			if p.Hidden {
				hidden++
			}
		}
		if b.String() != tc.text || hidden != strings.Count(tc.text, "<U+") {
			t.Errorf("visibleParts(%q) = %q with %d hidden, want %q", tc.name, b.String(), hidden, tc.text)
		}
	}

	// Every place a job name is displayed uses it: the jobs table, the alerts and events tables,
	// the Job Detail heading and alert titles.
	name := "pay\u202eslip"
	doc := renderDoc(t, JobsTable(JobsTableProps{Rows: []JobRow{{Check: models.CheckState{JobName: name}}, {Check: models.CheckState{JobName: "."}}}}))
	links := doc.Find("td.job a")
	if href, _ := links.Eq(0).Attr("href"); href != "/jobs/pay%E2%80%AEslip" {
		t.Errorf("link %q", href)
	}
	if href, _ := links.Eq(1).Attr("href"); href != "/job?name=." {
		t.Errorf("link of job \".\": %q", href)
	}
	mark := links.Eq(0).Find("span.hidden-char")
	if mark.Length() != 1 || mark.Text() != "<U+202E>" || links.Eq(0).Text() != "pay<U+202E>slip" {
		t.Errorf("jobs table shows %q (mark %q)", links.Eq(0).Text(), mark.Text())
	}
	if strings.Contains(doc.Text(), "\u202e") {
		t.Error("the override character itself reached the page")
	}
	alert := models.Alert{ID: 1, JobName: name, Title: "Job " + name + " failed", Status: "OPEN"}
	for what, c := range map[string]*goquery.Document{
		"alerts table": renderDoc(t, AlertsTable(AlertsTableProps{Rows: []models.Alert{alert}})),
		"events table": renderDoc(t, EventsTable(EventsTableProps{Rows: []models.TelemetryEvent{{JobName: &name, Message: "m", MetadataJSON: "{}"}}, Page: 1}, "")),
		"job page":     renderDoc(t, JobPage(JobProps{Detail: JobDetailProps{Name: name, Check: &models.CheckState{JobName: name}, OpenAlerts: []models.Alert{alert}}})),
	} {
		if strings.Contains(c.Text(), "\u202e") || c.Find("span.hidden-char").Length() == 0 {
			t.Errorf("%s: hidden character not made visible: %q", what, c.Text())
		}
		if what == "job page" && c.Find("h1 span.hidden-char").Length() != 1 {
			t.Errorf("job page heading: %q", c.Find("h1").Text())
		}
	}
}
