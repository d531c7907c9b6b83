package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadFileFixtures(t *testing.T) {
	cases := []struct {
		name, file, wantErr string
	}{
		{name: "spec example", file: "full.yaml"},
		{name: "yaml 1.1 scalars accepted", file: "yaml11.yaml"},
		{name: "unknown job key", file: "unknown-key.yaml", wantErr: "unknown keys in jobs[0]: ['retry']"},
		{name: "non-py script must be executable", file: "not-executable.yaml", wantErr: "jobs[0].scripts[0].path is not executable"},
		{name: "unbalanced args quote is a config error", file: "bad-args.yaml", wantErr: "jobs[0].scripts[0].args is not a valid shell-style string: no closing quotation"},
		{name: "impossible yearly date rejected", file: "impossible-date.yaml", wantErr: "jobs[0].schedule.day_of_month 30 does not exist in february"},
		{name: "booleans are not integers", file: "bool-as-int.yaml", wantErr: "jobs[0].scripts[0].timeout must be an integer"},
		{name: "empty file needs jobs", file: "empty.yaml", wantErr: "jobs must be a non-empty list"},
		{name: "missing file", file: "nope.yaml", wantErr: "config file not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadFile(filepath.Join("testdata", tc.file))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if !filepath.IsAbs(cfg.Path) {
					t.Errorf("got path %q, want absolute", cfg.Path)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want it to contain %q", err, tc.wantErr)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %T, want an error wrapping ErrInvalid", err)
			}
		})
	}
}

func TestFullExample(t *testing.T) {
	cfg, err := LoadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j := cfg.Jobs[0]
	if got := j.Schedule.Description; got != "Runs every monday-friday at 02:15 (Europe/Berlin)" {
		t.Errorf("description: got %q", got)
	}
	if got := j.Schedule.Expr; got != "15 2 * * 1-5" {
		t.Errorf("cron: got %q", got)
	}
	if got, want := j.Scripts[1].Args, []string{"--channel", "ops alerts"}; !reflect.DeepEqual(got, want) {
		t.Errorf("args: got %q, want %q", got, want)
	}
	if j.Overlap != OverlapQueue || j.Monitor.Check.GraceSeconds != 300 || !j.Monitor.Check.AlertOnMiss {
		t.Errorf("got overlap %q check %+v", j.Overlap, j.Monitor.Check)
	}
	if want := filepath.Join(cfg.Dir, ".chief/telemetry_spool.jsonl"); cfg.Monitor.Buffer.SpoolFile != want {
		t.Errorf("spool: got %q, want %q", cfg.Monitor.Buffer.SpoolFile, want)
	}
	if cfg.Defaults.MaxParallelJobs != 1 {
		t.Errorf("max_parallel_jobs: got %d, want 1", cfg.Defaults.MaxParallelJobs)
	}
}

func TestYAML11Scalars(t *testing.T) {
	cfg, err := LoadFile("testdata/yaml11.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j := cfg.Jobs[0]
	if j.Schedule.Expr != "30 14 * * *" {
		t.Errorf("cron: got %q, want 30 14 * * *", j.Schedule.Expr)
	}
	if j.StopOnFailure {
		t.Error("stop_on_failure: got true, want false from `no`")
	}
	if got, want := j.Scripts[0].Args, []string{"--start-date", "2026-01-01", "2.50", "yes"}; !reflect.DeepEqual(got, want) {
		t.Errorf("args: got %q, want %q", got, want)
	}
	if got := len(j.Schedule.ExcludedDates()); got != 2 {
		t.Errorf("exclude: got %d dates, want 2", got)
	}
	if cfg.Jobs[1].Enabled {
		t.Error("enabled: got true, want false from `off`")
	}
}

// writeConfig writes a config into a temp dir that has scripts/ok.py and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scripts", "ok.py"), []byte("pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "chief.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// jobWith returns a one-job config whose schedule block is sched (flow mapping body).
func jobWith(sched string) string {
	return "defaults: {timezone: UTC}\njobs:\n  - name: job-1\n    schedule: {" + sched + "}\n    scripts: [{path: scripts/ok.py, timeout: 30}]\n"
}

func TestCompile(t *testing.T) {
	cases := []struct {
		name, sched, kind, cron, desc string
	}{
		{name: "daily", sched: `frequency: daily, time: "14:30"`, kind: "pure_cron", cron: "30 14 * * *", desc: "Runs daily at 14:30 (UTC)"},
		{name: "daily weekdays", sched: `frequency: daily, time: "07:05", weekdays_only: true`, kind: "pure_cron", cron: "5 7 * * 1-5", desc: "Runs every weekday at 07:05 (UTC)"},
		{name: "weekly list", sched: `frequency: weekly, day: "monday,wednesday", time: "09:00"`, kind: "pure_cron", cron: "0 9 * * 1,3", desc: "Runs every monday, wednesday at 09:00 (UTC)"},
		{name: "weekly yaml list with range", sched: `frequency: weekly, day: [monday, wednesday-friday, "7"], time: "09:00"`, kind: "pure_cron", cron: "0 9 * * 1,3-5,0", desc: "Runs every monday, wednesday-friday, sunday at 09:00 (UTC)"},
		{name: "weekly friday", sched: `frequency: weekly, day: friday, time: "17:30"`, kind: "pure_cron", cron: "30 17 * * 5", desc: "Runs every friday at 17:30 (UTC)"},
		{name: "monthly day", sched: `frequency: monthly, day_of_month: 15, time: "08:00"`, kind: "pure_cron", cron: "0 8 15 * *", desc: "Runs monthly on day 15 at 08:00 (UTC)"},
		{name: "monthly last friday", sched: `frequency: monthly, ordinal: last, day: friday, time: "18:00"`, kind: "hybrid", cron: "0 18 * * 5", desc: "Runs monthly on the last friday at 18:00 (UTC)"},
		{name: "yearly", sched: `frequency: yearly, month: january, day_of_month: 1, time: "00:00"`, kind: "pure_cron", cron: "0 0 1 1 *", desc: "Runs yearly on january 1 at 00:00 (UTC)"},
		{name: "yearly feb 29 allowed", sched: `frequency: yearly, month: "2", day_of_month: 29, time: "00:00"`, kind: "pure_cron", cron: "0 0 29 2 *", desc: "Runs yearly on february 29 at 00:00 (UTC)"},
		{name: "interval 5m", sched: `frequency: interval, every: 5m`, kind: "pure_cron", cron: "*/5 * * * *", desc: "Runs every 5 minute(s) (UTC)"},
		{name: "interval 05M", sched: `frequency: interval, every: 05M`, kind: "pure_cron", cron: "*/5 * * * *", desc: "Runs every 5 minute(s) (UTC)"},
		{name: "interval 2h", sched: `frequency: interval, every: 2h`, kind: "pure_cron", cron: "0 */2 * * *", desc: "Runs every 2 hour(s) (UTC)"},
		{name: "interval 60m is minute 0", sched: `frequency: interval, every: 60m`, kind: "pure_cron", cron: "0 * * * *", desc: "Runs every 60 minute(s) (UTC)"},
		{name: "interval 24h is hour 0", sched: `frequency: interval, every: 24h`, kind: "pure_cron", cron: "0 0 * * *", desc: "Runs every 24 hour(s) (UTC)"},
		{name: "interval 1d", sched: `frequency: interval, every: 1d`, kind: "pure_cron", cron: "0 0 * * *", desc: "Runs every day at 00:00 (UTC)"},
		{name: "interval 90m runtime", sched: `frequency: interval, every: 90m`, kind: "runtime_only", desc: "Runs every 90m using runtime scheduler (UTC)"},
		{name: "custom", sched: `frequency: custom, minute: "0", hour: 9, day_of_week: monday-friday`, kind: "pure_cron", cron: "0 9 * * 1-5", desc: "Runs on custom schedule (UTC)"},
		{name: "custom month names", sched: `frequency: custom, minute: 0, hour: 0, month: "january,july"`, kind: "pure_cron", cron: "0 0 * 1,7 *", desc: "Runs on custom schedule (UTC)"},
		{name: "schedule timezone", sched: `frequency: daily, time: "09:00", timezone: America/New_York`, kind: "pure_cron", cron: "0 9 * * *", desc: "Runs daily at 09:00 (America/New_York)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadFile(writeConfig(t, jobWith(tc.sched)))
			if err != nil {
				t.Fatal(err)
			}
			s := cfg.Jobs[0].Schedule
			if string(s.Kind) != tc.kind || s.Expr != tc.cron || s.Description != tc.desc {
				t.Fatalf("got (%s, %q, %q), want (%s, %q, %q)", s.Kind, s.Expr, s.Description, tc.kind, tc.cron, tc.desc)
			}
		})
	}
}

func TestScheduleErrors(t *testing.T) {
	cases := []struct {
		name, sched, want string
	}{
		{name: "monthly needs a day", sched: `frequency: monthly, time: "08:00"`, want: `"monthly" requires either "day_of_month" or "ordinal + day"`},
		{name: "monthly mix", sched: `frequency: monthly, time: "08:00", day_of_month: 1, day: friday`, want: `cannot mix "day_of_month" with "ordinal/day"`},
		{name: "bad time", sched: `frequency: daily, time: "25:00"`, want: `jobs[0].schedule.time must be HH:MM (24-hour), got "25:00"`},
		{name: "single digit hour", sched: `frequency: daily, time: "7:00"`, want: `HH:MM`},
		{name: "missing time", sched: `frequency: daily`, want: `jobs[0].schedule.time must be HH:MM string`},
		{name: "seconds interval", sched: `frequency: interval, every: 30s`, want: "seconds intervals are unsupported"},
		{name: "zero interval", sched: `frequency: interval, every: 0m`, want: "jobs[0].schedule.every must be > 0"},
		{name: "bad interval", sched: `frequency: interval, every: 5 minutes`, want: `must be in format <number><m|h|d>, got "5 minutes"`},
		{name: "bad timezone", sched: `frequency: daily, time: "09:00", timezone: America/NotAZone`, want: `Invalid timezone "America/NotAZone" at jobs[0].schedule.timezone`},
		{name: "empty timezone", sched: `frequency: daily, time: "09:00", timezone: ""`, want: `Invalid timezone "" at jobs[0].schedule.timezone`},
		{name: "path timezone", sched: `frequency: daily, time: "09:00", timezone: ../x`, want: `Invalid timezone "../x"`},
		{name: "bad frequency", sched: `frequency: hourly`, want: `jobs[0].schedule.frequency must be one of ['custom', 'daily', 'interval', 'monthly', 'weekly', 'yearly'], got "hourly"`},
		{name: "unknown field", sched: `frequency: interval, every: 5m, time: "09:00"`, want: `unknown fields for interval schedule at jobs[0].schedule: ['time']`},
		{name: "start after end", sched: `frequency: daily, time: "09:00", start: "2026-02-01", end: "2026-01-01"`, want: "jobs[0].schedule.start must be <= jobs[0].schedule.end"},
		{name: "bad start", sched: `frequency: daily, time: "09:00", start: "soon"`, want: `jobs[0].schedule.start must be ISO datetime, got "soon"`},
		{name: "holidays", sched: `frequency: daily, time: "09:00", exclude: {holidays: us}`, want: "named holidays are disabled"},
		{name: "bad exclude date", sched: `frequency: daily, time: "09:00", exclude: ["2026-13-01"]`, want: `jobs[0].schedule.exclude[0] must be YYYY-MM-DD, got "2026-13-01"`},
		{name: "bad weekday", sched: `frequency: weekly, day: fri, time: "09:00"`, want: `Invalid weekday "fri" at jobs[0].schedule.day`},
		{name: "reversed weekday range", sched: `frequency: weekly, day: friday-sunday, time: "09:00"`, want: `Invalid weekday range "friday-sunday"`},
		{name: "null weekday in list", sched: `frequency: weekly, day: [null], time: "09:00"`, want: "jobs[0].schedule.day[] must be weekday string or list"},
		{name: "ordinal fifth", sched: `frequency: monthly, ordinal: fifth, day: friday, time: "09:00"`, want: "jobs[0].schedule.ordinal must be one of ['first', 'fourth', 'last', 'second', 'third']"},
		{name: "ordinal day list", sched: `frequency: monthly, ordinal: first, day: "monday,friday", time: "09:00"`, want: "jobs[0].schedule.day must be a single weekday"},
		{name: "day of month range", sched: `frequency: monthly, day_of_month: 32, time: "09:00"`, want: "jobs[0].schedule.day_of_month must be between 1 and 31"},
		{name: "month name", sched: `frequency: yearly, month: jan, day_of_month: 1, time: "09:00"`, want: `invalid month "jan"`},
		{name: "month bool rejected", sched: `frequency: yearly, month: true, day_of_month: 1, time: "09:00"`, want: "jobs[0].schedule.month must be month name or number"},
		{name: "april 31", sched: `frequency: yearly, month: 4, day_of_month: 31, time: "09:00"`, want: "does not exist in april"},
		{name: "custom empty", sched: `frequency: custom`, want: `"custom" requires at least one of ['minute', 'hour', 'day_of_month', 'month', 'day_of_week']`},
		{name: "custom bad token", sched: `frequency: custom, minute: "x"`, want: `Invalid cron token "x" at jobs[0].schedule.minute`},
		{name: "custom out of range", sched: `frequency: custom, hour: 24`, want: `Value "24" out of bounds 0-23 at jobs[0].schedule.hour`},
		{name: "custom abbreviation", sched: `frequency: custom, day_of_week: mon`, want: `Invalid token "mon" at jobs[0].schedule.day_of_week`},
		{name: "custom null dow", sched: `frequency: custom, day_of_week: null`, want: `Invalid token "none" at jobs[0].schedule.day_of_week`},
		{name: "weekdays_only not bool", sched: `frequency: daily, time: "09:00", weekdays_only: "x"`, want: "jobs[0].schedule.weekdays_only must be true/false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFile(writeConfig(t, jobWith(tc.sched)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	job := "jobs:\n  - name: job-1\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.py}]\n"
	cases := []struct {
		name, body, want string
	}{
		{name: "top level list", body: "- a\n", want: "top-level config must be a mapping"},
		{name: "yaml syntax", body: "jobs: [\n", want: "failed to parse YAML in"},
		{name: "two documents", body: job + "---\n" + job, want: "failed to parse YAML"},
		{name: "unknown top-level", body: "zeta: 1\nalpha: 2\n" + job, want: "unknown top-level keys: ['alpha', 'zeta']"},
		{name: "unknown defaults key", body: "defaults: {colour: red}\n" + job, want: "unknown keys in defaults: ['colour']"},
		{name: "defaults not mapping", body: "defaults: 3\n" + job, want: "defaults must be a mapping"},
		{name: "defaults timezone null", body: "defaults: {timezone: null}\n" + job, want: "defaults.timezone must be a timezone string"},
		{name: "working dir missing", body: "defaults: {working_dir: nowhere}\n" + job, want: "working directory does not exist at defaults.working_dir"},
		{name: "bad overlap", body: "defaults: {overlap: Later}\n" + job, want: `defaults.overlap must be one of ['parallel', 'queue', 'skip'], got "later"`},
		{name: "negative max parallel", body: "defaults: {max_parallel_jobs: -1}\n" + job, want: "defaults.max_parallel_jobs must be >= 0"},
		{name: "monitor false", body: "monitor: false\n" + job, want: "monitor must be a mapping"},
		{name: "monitor unknown", body: "monitor: {url: x}\n" + job, want: "unknown keys in monitor: ['url']"},
		{name: "endpoint scheme", body: "monitor: {endpoint: \"127.0.0.1:7410\"}\n" + job, want: "monitor.endpoint must be an HTTP URL"},
		{name: "endpoint null", body: "monitor: {endpoint: null}\n" + job, want: "monitor.endpoint must be a non-empty string"},
		{name: "api key null", body: "monitor: {api_key: null}\n" + job, want: "monitor.api_key must be a string"},
		{name: "heartbeat zero", body: "monitor: {heartbeat_seconds: 0}\n" + job, want: "monitor.heartbeat_seconds must be >= 1"},
		{name: "max events zero", body: "monitor: {buffer: {max_events: 0}}\n" + job, want: "monitor.buffer.max_events must be >= 1"},
		{name: "buffer unknown", body: "monitor: {buffer: {size: 1}}\n" + job, want: "unknown keys in monitor.buffer: ['size']"},
		{name: "spool empty", body: "monitor: {buffer: {spool_file: \" \"}}\n" + job, want: "monitor.buffer.spool_file must be a non-empty path string"},
		{name: "jobs mapping", body: "jobs: {a: 1}\n", want: "jobs must be a non-empty list"},
		{name: "job not mapping", body: "jobs: [3]\n", want: "jobs[0] must be a mapping"},
		{name: "blank name", body: "jobs: [{name: \" \"}]\n", want: "jobs[0].name must be a non-empty string"},
		{name: "duplicate name", body: job + "  - name: \" job-1 \"\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.py}]\n", want: `duplicate job name "job-1"`},
		{name: "scripts empty", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: []}]\n", want: "jobs[0].scripts must be a non-empty list"},
		{name: "script missing", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: nope.py}]}]\n", want: "script path does not exist for jobs[0].scripts[0].path"},
		{name: "args mapping item", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py, args: [x, {a: 1}]}]}]\n", want: "jobs[0].scripts[0].args[1] must be a string, number or boolean"},
		{name: "args mapping", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py, args: {a: 1}}]}]\n", want: "jobs[0].scripts[0].args must be a list or shell-style string"},
		{name: "timeout zero", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py, timeout: 0}]}]\n", want: "jobs[0].scripts[0].timeout must be >= 1"},
		{name: "schedule not mapping", body: "jobs: [{name: a, schedule: daily, scripts: [{path: scripts/ok.py}]}]\n", want: "jobs[0].schedule must be a mapping"},
		{name: "job monitor unknown", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {x: 1}}]\n", want: "unknown keys in jobs[0].monitor: ['x']"},
		{name: "grace negative", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {check: {grace_seconds: -1}}}]\n", want: "jobs[0].monitor.check.grace_seconds must be >= 0"},
		// Two errors each: the first in the spec's order must be the one reported.
		{name: "order endpoint scheme before timeout_ms", body: "monitor: {endpoint: \"ftp://x\", timeout_ms: x}\n" + job, want: "monitor.endpoint must be an HTTP URL"},
		{name: "order endpoint scheme before buffer", body: "monitor: {endpoint: \"ftp://x\", buffer: 5}\n" + job, want: "monitor.endpoint must be an HTTP URL"},
		{name: "order timeout_ms minimum before heartbeat type", body: "monitor: {timeout_ms: 0, heartbeat_seconds: x}\n" + job, want: "monitor.timeout_ms must be >= 1"},
		{name: "order timeout_ms minimum before buffer keys", body: "monitor: {timeout_ms: 0, buffer: {size: 1}}\n" + job, want: "monitor.timeout_ms must be >= 1"},
		{name: "order max_events minimum before flush type", body: "monitor: {buffer: {max_events: 0, flush_interval_ms: x}}\n" + job, want: "monitor.buffer.max_events must be >= 1"},
		{name: "order grace minimum before alert_on_failure", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {check: {grace_seconds: -1, alert_on_failure: x}}}]\n", want: "jobs[0].monitor.check.grace_seconds must be >= 0"},
		{name: "retries negative", body: "defaults: {retries: -1}\n" + job, want: "defaults.retries must be >= 0"},
		{name: "retry delay not an integer", body: "defaults: {retry_delay_seconds: soon}\n" + job, want: "defaults.retry_delay_seconds must be an integer"},
		{name: "job retries bool", body: "jobs: [{name: a, retries: true, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}]}]\n", want: "jobs[0].retries must be an integer"},
		{name: "job retry delay negative", body: "jobs: [{name: a, retry_delay_seconds: -5, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}]}]\n", want: "jobs[0].retry_delay_seconds must be >= 0"},
		{name: "max runtime zero", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {check: {max_runtime_seconds: 0}}}]\n", want: "jobs[0].monitor.check.max_runtime_seconds must be >= 1"},
		{name: "max runtime text", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {check: {max_runtime_seconds: 1h}}}]\n", want: "jobs[0].monitor.check.max_runtime_seconds must be an integer"},
		{name: "alert on every attempt not bool", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {check: {alert_on_every_attempt: 2}}}]\n", want: "jobs[0].monitor.check.alert_on_every_attempt must be true or false"},
		{name: "grace bool", body: "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {check: {grace_seconds: false}}}]\n", want: "jobs[0].monitor.check.grace_seconds must be an integer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFile(writeConfig(t, tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A job name reaches logs, the dashboard and e-mail subjects: characters that are invisible or
// reorder the text around them (and names the monitor would refuse) are config errors. The names
// are YAML double-quoted scalars, whose escapes let any character through the YAML parser.
func TestJobNameCharacters(t *testing.T) {
	const msg = "jobs[0].name must not contain control or invisible formatting characters, got "
	cases := []struct {
		name, yamlName, want string
	}{
		{name: "NUL", yamlName: `a\x00b`, want: msg + `"a\x00b"`},
		{name: "escape", yamlName: `a\e[31mb`, want: msg + `"a\x1b[31mb"`},
		{name: "inner newline", yamlName: `a\nb`, want: msg + `"a\nb"`},
		{name: "DEL", yamlName: `a\x7fb`, want: msg + `"a\x7fb"`},
		{name: "C1 next line", yamlName: `a\Nb`, want: msg + `"a\u0085b"`},
		{name: "C1 control at the end", yamlName: `ab\x9f`, want: msg + `"ab\u009f"`},
		{name: "zero-width space", yamlName: `a\u200bb`, want: msg + `"a\u200bb"`},
		{name: "right-to-left mark", yamlName: `a\u200fb`, want: msg + `"a\u200fb"`},
		{name: "right-to-left override", yamlName: `invoice\u202egpj.exe`, want: msg + `"invoice\u202egpj.exe"`},
		{name: "left-to-right embedding", yamlName: `a\u202ab`, want: msg + `"a\u202ab"`},
		{name: "first strong isolate", yamlName: `a\u2068b`, want: msg + `"a\u2068b"`},
		{name: "pop directional isolate", yamlName: `a\u2069b`, want: msg + `"a\u2069b"`},
		{name: "byte order mark", yamlName: `\ufeffjob`, want: msg + `"\ufeffjob"`},
		{name: "too long", yamlName: strings.Repeat("x", 513), want: "jobs[0].name must be at most 512 bytes, got 513"},
		{name: "too long in bytes", yamlName: strings.Repeat("é", 257), want: "jobs[0].name must be at most 512 bytes, got 514"},
		{name: "longest allowed", yamlName: strings.Repeat("x", 512)},
		{name: "letters of any script", yamlName: "nächtlicher-Export 夜间 عربي"},
		{name: "zero-width joiner, even in an emoji", yamlName: `ops \U0001F469\u200d\U0001F4BB`, want: msg + `"ops 👩\u200d💻"`},
		{name: "surrounding whitespace is trimmed", yamlName: `\tjob-1\n`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := "jobs:\n  - name: \"" + tc.yamlName + "\"\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: scripts/ok.py}]\n"
			_, err := LoadFile(writeConfig(t, body))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got error %v, want a config error containing %q", err, tc.want)
			}
		})
	}
}

func TestMonitorSettings(t *testing.T) {
	body := "monitor: {enabled: true, heartbeat_seconds: 7}\njobs:\n" +
		"  - {name: plain, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}]}\n" +
		"  - {name: quiet, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {enabled: false}}\n" +
		"  - {name: checked, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}], monitor: {check: {enabled: false, alert_on_miss: false}}}\n"
	cfg, err := LoadFile(writeConfig(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Monitor.HeartbeatSeconds != 7 {
		t.Errorf("heartbeat: got %d, want 7", cfg.Monitor.HeartbeatSeconds)
	}
	cases := []struct {
		name string
		got  JobMonitor
		want JobMonitor
	}{
		{name: "inherits global", got: cfg.Jobs[0].Monitor, want: JobMonitor{Enabled: true, Check: Check{Enabled: true, GraceSeconds: 120, AlertOnFailure: true, AlertOnMiss: true}}},
		{name: "disabled job disables check", got: cfg.Jobs[1].Monitor, want: JobMonitor{Enabled: false, Check: Check{Enabled: false, GraceSeconds: 120, AlertOnFailure: true, AlertOnMiss: true}}},
		{name: "check override", got: cfg.Jobs[2].Monitor, want: JobMonitor{Enabled: true, Check: Check{Enabled: false, GraceSeconds: 120, AlertOnFailure: true, AlertOnMiss: false}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %+v, want %+v", tc.got, tc.want)
			}
		})
	}
}

func TestDefaultTimezoneFromTZ(t *testing.T) {
	t.Setenv("TZ", "Asia/Tokyo")
	cfg, err := LoadFile(writeConfig(t, "jobs: [{name: a, schedule: {frequency: daily, time: \"09:00\"}, scripts: [{path: scripts/ok.py}]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Jobs[0].Timezone; got != "Asia/Tokyo" {
		t.Fatalf("got %q, want Asia/Tokyo", got)
	}
}

func TestSplitShell(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{name: "quotes group", in: `--mode full --label "weekly summary"`, want: []string{"--mode", "full", "--label", "weekly summary"}},
		{name: "single quotes literal", in: `'a "b"' c\ d`, want: []string{`a "b"`, "c d"}},
		{name: "hash is ordinary", in: "#x y#", want: []string{"#x", "y#"}},
		{name: "blank", in: "   ", want: nil},
		{name: "empty quoted word", in: `a ""`, want: []string{"a", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitShell(tc.in)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{name: "safe", in: "--since=2026-01-01/x,y:z@%+", want: "--since=2026-01-01/x,y:z@%+"},
		{name: "empty", in: "", want: "''"},
		{name: "space", in: "ops alerts", want: "'ops alerts'"},
		{name: "quote", in: "it's", want: `'it'"'"'s'`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ShellQuote(tc.in); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRetriesAndCheckKeys(t *testing.T) {
	body := `defaults: {retries: 2, retry_delay_seconds: 5}
jobs:
  - name: inherits
    schedule: {frequency: daily, time: "09:00"}
    scripts: [{path: scripts/ok.py}]
  - name: own
    retries: 0
    retry_delay_seconds: 0
    monitor: {check: {max_runtime_seconds: 600, alert_on_every_attempt: yes}}
    schedule: {frequency: weekly, day: [monday, friday], time: "07:30", start: 2026-01-05}
    scripts: [{path: scripts/ok.py}]
`
	cfg, err := LoadFile(writeConfig(t, body))
	if err != nil {
		t.Fatal(err)
	}
	in, own := cfg.Jobs[0], cfg.Jobs[1]
	if in.Retries != 2 || in.RetryDelaySeconds != 5 || in.MaxAttempts() != 3 {
		t.Errorf("inherited: retries %d delay %d attempts %d, want 2 5 3", in.Retries, in.RetryDelaySeconds, in.MaxAttempts())
	}
	if own.Retries != 0 || own.RetryDelaySeconds != 0 || own.MaxAttempts() != 1 {
		t.Errorf("own: retries %d delay %d, want 0 0", own.Retries, own.RetryDelaySeconds)
	}
	if got := in.Monitor.Check.Meta(); len(got) != 4 {
		t.Errorf("check metadata without the new keys: got %v, want the four original keys only", got)
	}
	got := own.Monitor.Check.Meta()
	if got["max_runtime_seconds"] != 600 || got["alert_on_every_attempt"] != true {
		t.Errorf("check metadata: got %v", got)
	}
	want := map[string]any{"frequency": "weekly", "day": []any{"monday", "friday"}, "time": "07:30", "start": "2026-01-05"}
	if !reflect.DeepEqual(own.ScheduleSpec, want) {
		t.Errorf("schedule spec: got %#v, want %#v", own.ScheduleSpec, want)
	}
}

func TestRetryDelayDefault(t *testing.T) {
	cfg, err := LoadFile(writeConfig(t, jobWith(`frequency: daily, time: "09:00"`)))
	if err != nil {
		t.Fatal(err)
	}
	if j := cfg.Jobs[0]; j.Retries != 0 || j.RetryDelaySeconds != DefaultRetryDelaySeconds {
		t.Fatalf("got retries %d delay %d, want 0 and %d", j.Retries, j.RetryDelaySeconds, DefaultRetryDelaySeconds)
	}
}
