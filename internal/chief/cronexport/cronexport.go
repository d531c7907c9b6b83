package cronexport

import (
	"fmt"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/config"
	"github.com/gulag/chief-monitor/internal/chief/schedule"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// Render returns the crontab text for jobs. binary is the absolute path of gulag-chief,
// configPath the absolute config path, now the generation time.
func Render(jobs []*config.Job, binary, configPath string, now time.Time) string {
	var b strings.Builder
	b.WriteString("# gulag-chief cron export\n")
	fmt.Fprintf(&b, "# generated_at=%s\n", telemetry.ChiefTime(now.UTC()))
	q := config.ShellQuote
	for _, j := range jobs {
		s := j.Schedule
		fmt.Fprintf(&b, "\n# job: %s\n# mode: %s\nCRON_TZ=%s\n", j.Name, s.Kind, j.Timezone)
		switch s.Kind {
		case schedule.RuntimeOnly:
			fmt.Fprintf(&b, "# runtime-only schedule (%s); no cron equivalent.\n", s.Description)
			continue
		case schedule.Hybrid:
			b.WriteString("# NOTE: runtime guard required (monthly ordinal weekday); --respect-schedule enforces it.\n")
		}
		fmt.Fprintf(&b, "%s cd %s && %s run --config %s --job %s --respect-schedule\n",
			s.Expr, q(j.WorkingDir), q(binary), q(configPath), q(j.Name))
	}
	return b.String()
}
