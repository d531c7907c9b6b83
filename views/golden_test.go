package views

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/gulag/chief-monitor/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenPages pins the full markup of a few pages; refresh with `go test ./views -update`.
func TestGoldenPages(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 30, 0, 0, time.UTC)
	chrome := Chrome{Viewer: Viewer{Email: "admin@example.org", SignedIn: true, CSRF: "csrf-token"}, AssetVersion: "v1", Now: now}
	alert := models.Alert{ID: 7, JobName: "etl", AlertType: models.AlertFailure, Severity: models.SeverityError,
		Status: models.AlertOpen, OpenedAt: "2026-03-04T12:00:00.000Z", Title: "Job etl failed", DetailsJSON: `{"runId":"r1"}`}
	tests := []struct {
		name string
		c    templ.Component
	}{
		{"overview", OverviewPage(OverviewProps{Chrome: chrome, OpenAlerts: []models.Alert{alert}, Summary: Summary{
			Checks: []Count{{"DOWN", 1}, {"UP", 3}}, ActiveAlerts: []Count{{"FAILURE", 1}}, TotalEvents: 48211,
			LatestEventAt: ptr("2026-03-04T12:29:00.000Z"),
			Chief:         Presence{Online: true, LastHeartbeatAt: ptr("2026-03-04T12:29:50.000Z"), PingIntervalSeconds: ptr[int64](15), OfflineAfterSeconds: 30},
			EventsPerHour: []HourBucket{{Start: now.Truncate(time.Hour), Counts: map[string]int64{"INFO": 5, "ERROR": 1}}}}})},
		{"alerts", AlertsPage(AlertsProps{Chrome: chrome, Table: AlertsTableProps{Rows: []models.Alert{alert},
			Filter: AlertFilter{Status: "OPEN"}, Page: 1, HasNext: false, CSRF: "csrf-token"}})},
		{"login", LoginPage(LoginProps{Chrome: Chrome{Viewer: Viewer{CSRF: "csrf-token"}, AssetVersion: "v1", Now: now},
			Next: "/alerts?status=OPEN", Error: "Invalid email or password", SSO: []SSOButton{{ID: "oidc", Label: "Company SSO"}}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.c.Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".html")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./views -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden file; if intended, run go test ./views -update\ngot:\n%s", path, buf.String())
			}
		})
	}
}
