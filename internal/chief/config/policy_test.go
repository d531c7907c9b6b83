package config

import (
	"encoding/json"
	"strings"
	"testing"
)

func policyConfig(job string) string {
	return "monitor: {enabled: true}\njobs:\n  - name: j\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.py}]\n" + job
}

// TestTagsAndPolicyReachTheCheckMetadata: tags and the alert policy keys of chief.yaml are
// validated and ride in every event's check metadata; unset keys are not sent.
func TestTagsAndPolicyReachTheCheckMetadata(t *testing.T) {
	cfg, err := LoadFile(writeConfig(t, policyConfig("    tags: [nightly, db, nightly]\n"+
		"    monitor: {check: {failure_threshold: 3, recovery_threshold: 2, realert_minutes: 30, max_duration_seconds: 600, slow_factor: 2.5}}\n")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(cfg.Jobs[0].CheckMeta())
	want := `{"alert_on_failure":true,"alert_on_miss":true,"check_enabled":true,"failure_threshold":3,"grace_seconds":120,` +
		`"max_duration_seconds":600,"realert_minutes":30,"recovery_threshold":2,"slow_factor":2.5,"tags":["db","nightly"]}`
	if string(b) != want {
		t.Fatalf("check metadata:\n got %s\nwant %s", b, want)
	}
	plain, err := LoadFile(writeConfig(t, policyConfig("")))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(plain.Jobs[0].CheckMeta()); string(b) != `{"alert_on_failure":true,"alert_on_miss":true,"check_enabled":true,"grace_seconds":120}` {
		t.Fatalf("a job without tags or policy sends what it always sent: %s", b)
	}
}

func TestTagsAndPolicyErrors(t *testing.T) {
	cases := []struct{ job, want string }{
		{"    tags: nightly\n", "jobs[0].tags must be a list of tags"},
		{"    tags: [\"two words\"]\n", `jobs[0].tags[0] must be a tag`},
		{"    tags: [\"\"]\n", `jobs[0].tags[0] must be a tag`},
		{"    monitor: {check: {failure_threshold: 0}}\n", "jobs[0].monitor.check.failure_threshold must be >= 1"},
		{"    monitor: {check: {realert_minutes: ten}}\n", "jobs[0].monitor.check.realert_minutes must be an integer"},
		{"    monitor: {check: {slow_factor: 1}}\n", "jobs[0].monitor.check.slow_factor must be a number above 1"},
		{"    monitor: {check: {slow_factor: fast}}\n", "jobs[0].monitor.check.slow_factor must be a number above 1"},
		{"    monitor: {check: {failure_treshold: 3}}\n", "unknown keys in jobs[0].monitor.check: ['failure_treshold']"},
	}
	for _, tc := range cases {
		_, err := LoadFile(writeConfig(t, policyConfig(tc.job)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.job, err, tc.want)
		}
	}
}
