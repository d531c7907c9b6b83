package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

// TestFlakyJobAlertsOnTheThirdFailure: chief.yaml's failure_threshold and tags reach the
// monitor in the check metadata of real runs: a flaky job alerts on its third failure in a
// row only, and the alert and the job are found by their tag.
func TestFlakyJobAlertsOnTheThirdFailure(t *testing.T) {
	port := testutil.FreePort(t)
	mon := startMonitor(t, port, filepath.Join(t.TempDir(), "m.sqlite"))
	dir := chiefProject(t, mon.Base, map[string]string{"flaky.sh": "#!/bin/sh\necho 'upstream timed out' >&2\nexit 1\n"},
		"  - name: flaky-sync\n    tags: [sync, nightly]\n    schedule: {frequency: daily, time: \"03:00\"}\n"+
			"    scripts: [{path: flaky.sh}]\n    monitor: {check: {failure_threshold: 3, realert_minutes: 60}}\n")
	type alert struct {
		AlertType string
		Status    string
	}
	alerts := func(query string) []alert {
		var body struct{ Alerts []alert }
		if err := getJSON(mon.Base+"/v1/alerts?"+query, &body); err != nil {
			t.Fatal(err)
		}
		return body.Alerts
	}
	for n := 1; n <= 3; n++ {
		cmd := exec.Command(chiefBin, "run", "--config", "chief.yaml", "--job", "flaky-sync")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Fatalf("run %d of a failing job succeeded:\n%s", n, out)
		}
		waitFor(t, 30*time.Second, fmt.Sprintf("failure %d counted", n), func() (bool, string) {
			var body struct {
				Jobs []struct {
					JobName             string
					ConsecutiveFailures int
					Tags                []string
				}
			}
			if err := getJSON(mon.Base+"/v1/status/jobs", &body); err != nil || len(body.Jobs) != 1 {
				return false, fmt.Sprint(body, err)
			}
			j := body.Jobs[0]
			if strings.Join(j.Tags, ",") != "nightly,sync" {
				t.Fatalf("tags: %v", j.Tags)
			}
			return j.ConsecutiveFailures == n, fmt.Sprint(j)
		})
		got := alerts("jobName=flaky-sync&alertType=FAILURE")
		if want := map[bool]int{true: 1, false: 0}[n == 3]; len(got) != want {
			t.Fatalf("after failure %d: %d FAILURE alerts, want %d", n, len(got), want)
		}
	}
	if got := alerts("tag=sync&status=OPEN"); len(got) != 1 || got[0].AlertType != "FAILURE" {
		t.Fatalf("alerts by tag: %+v", got)
	}
	if got := alerts("tag=other"); len(got) != 0 {
		t.Fatalf("alerts of another tag: %+v", got)
	}
}
