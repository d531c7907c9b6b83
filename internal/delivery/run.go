package delivery

import (
	"fmt"
	"strings"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// What a failure message says of the run behind it: the failing script and its exit code, the
// first and last lines of its error output, how long the run took, and where to read the rest.

// RunFacts are the lines that explain a run, as "Label: value" pairs in reading order.
func RunFacts(r *models.Run, runURL string) [][2]string {
	if r == nil {
		return nil
	}
	var out [][2]string
	if r.FailingScript != nil {
		script := *r.FailingScript
		if r.ExitCode != nil {
			script += fmt.Sprintf(" (exit code %d)", *r.ExitCode)
		}
		out = append(out, [2]string{"Failing script", script})
	}
	first, last := stderrEnds(r)
	errLine := ""
	if r.ErrorLine != nil {
		errLine = *r.ErrorLine
		out = append(out, [2]string{"Error", errLine})
	}
	if first != "" && first != errLine {
		out = append(out, [2]string{"First error line", first})
	}
	if last != "" && last != errLine && last != first {
		out = append(out, [2]string{"Last error line", last})
	}
	if r.DurationMs != nil {
		out = append(out, [2]string{"Run duration", fmt.Sprintf("%.1f s", float64(*r.DurationMs)/1000)})
	}
	out = append(out, [2]string{"Run status", string(r.Status)})
	if runURL != "" {
		out = append(out, [2]string{"Run", runURL})
	}
	return out
}

// stderrEnds are the first and last lines with text of the failing script's error output.
func stderrEnds(r *models.Run) (first, last string) {
	if r.StderrTail == nil {
		return "", ""
	}
	return truncate(telemetry.FirstLine(*r.StderrTail), 500), truncate(telemetry.LastLine(*r.StderrTail), 500)
}

// runText is RunFacts as plain-text lines, or "" when there is no run.
func runText(m Message) string {
	facts := RunFacts(m.Run, m.RunURL)
	if len(facts) == 0 {
		return ""
	}
	lines := make([]string, len(facts))
	for i, f := range facts {
		lines[i] = f[0] + ": " + f[1]
	}
	return strings.Join(lines, "\n")
}
