package config

import (
	"testing"
)

// FuzzLoad feeds arbitrary YAML to the chief.yaml loader: it must never panic, and a config it
// accepts must have at least one job with a name and a script.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("version: 1\njobs:\n  - name: a\n    schedule: {frequency: daily, time: \"09:00\"}\n    scripts: [{path: x.py}]\n"))
	f.Add([]byte("version: 1\ndefaults: {timezone: Europe/Berlin}\njobs:\n  - name: b\n    schedule: {frequency: custom, cron: \"*/5 * * * *\"}\n    scripts: [{path: y.sh, args: \"--a 'b c'\"}]\n"))
	f.Add([]byte("jobs: []\n"))
	f.Add([]byte("version: 1\nmonitor: {endpoint: ftp://x}\njobs: [{name: c}]\n"))
	f.Add([]byte(": : :\n- [\n"))
	f.Add([]byte("version: 1\njobs:\n  - name: d\n    schedule: {frequency: monthly, day: last friday, time: 14:30}\n    scripts: [{path: z.py}]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load(data, dir)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("error without a message")
			}
			return
		}
		if cfg == nil || len(cfg.Jobs) == 0 {
			t.Fatalf("accepted a config without jobs: %q", data)
		}
	})
}
