package views

import (
	"context"
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// Chart colours. Levels and run outcomes keep their badge meaning; the donut cycles the
// reference's palette.
var (
	levelOrder  = []string{"DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"}
	levelColors = map[string]string{"DEBUG": "#9aa5b1", "INFO": "#178f9f", "WARN": "#f2a33b", "ERROR": "#c44536", "CRITICAL": "#7a1f2b"}
	statusColor = map[string]string{"UP": "#2a7f62", "LATE": "#f2a33b", "DOWN": "#c44536"}
	donutColors = []string{"#178f9f", "#f28f3b", "#c44536", "#2a7f62", "#8f5e4f"}
	alertColor  = map[string]string{"FAILURE": "#c44536", "MISSED": "#f28f3b", "RECOVERY": "#2a7f62"}
	runColor    = map[string]string{"ok": "#2a7f62", "failed": "#c44536", "running": "#6c8ebf"}
)

const (
	colorOK     = "#2a7f62"
	colorFailed = "#c44536"
	colorGrey   = "#cfd6de"
)

// svg accumulates the markup of one chart; every text goes through esc.
type svg struct {
	b strings.Builder
}

func esc(s string) string { return html.EscapeString(s) }

func (s *svg) printf(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

// open starts an <svg> with an accessible name (title) and description.
func (s *svg) open(id string, w, h int, title, desc string) {
	s.printf(`<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc" data-testid="%s-svg">`, w, h, id, id, id)
	s.printf(`<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(desc))
}

func (s *svg) rect(x, y, w, h float64, fill, tip string) {
	s.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x, y, w, h, fill, esc(tip))
}

func (s *svg) text(x, y float64, anchor, t string) {
	s.printf(`<text x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, x, y, anchor, esc(t))
}

func (s *svg) line(x1, y1, x2, y2 float64) {
	s.printf(`<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#dde3ea"/>`, x1, y1, x2, y2)
}

// legend is an HTML legend below a chart; classes carry the colours (no inline styles, CSP).
func (s *svg) legend(items [][2]string) {
	s.b.WriteString(`<div class="chart-legend">`)
	for _, it := range items {
		s.printf(`<span><span class="swatch sw-%s"></span>%s</span>`, esc(it[0]), esc(it[1]))
	}
	s.b.WriteString(`</div>`)
}

func (s *svg) component() templ.Component {
	out := s.b.String()
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, out)
		return err
	})
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten (at least 1), so integer ticks read well.
func niceMax(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// tickCount splits a niceMax value into steps that are whole numbers: 5 → 5 steps of 1,
// 10 → 5 of 2, 20 → 4 of 5, 50 → 5 of 10.
func tickCount(max float64) int {
	if max <= 5 {
		return int(max)
	}
	p := math.Pow(10, math.Floor(math.Log10(max)))
	if math.Round(max/p) == 2 {
		return 4
	}
	return 5
}

// yAxis draws horizontal grid lines with integer labels from 0 to max.
func (s *svg) yAxis(left, top, width, height, max float64, label func(float64) string) {
	ticks := tickCount(max)
	for i := 0; i <= ticks; i++ {
		v := max * float64(i) / float64(ticks)
		y := top + height - height*float64(i)/float64(ticks)
		s.line(left, y, left+width, y)
		s.text(left-6, y+4, "end", label(v))
	}
}

func countLabel(v float64) string { return FormatCount(int64(math.Round(v))) }

// EventsPerHourChart is a stacked bar chart of the events of the last 24 hours by level.
func EventsPerHourChart(buckets []HourBucket, now time.Time) templ.Component {
	const w, h, left, top, bottom = 720, 230, 44, 10, 30
	end := now.UTC().Truncate(time.Hour)
	start := end.Add(-23 * time.Hour)
	byHour := map[int64]map[string]int64{}
	for _, b := range buckets {
		byHour[b.Start.UTC().Unix()] = b.Counts
	}
	var maxTotal, total, busiest int64
	var busiestAt time.Time
	for i := 0; i < 24; i++ {
		t := start.Add(time.Duration(i) * time.Hour)
		var sum int64
		for _, n := range byHour[t.Unix()] {
			sum += n
		}
		total += sum
		if sum > maxTotal {
			maxTotal = sum
		}
		if sum > busiest {
			busiest, busiestAt = sum, t
		}
	}
	desc := fmt.Sprintf("%s events in the last 24 hours.", FormatCount(total))
	if busiest > 0 {
		desc += fmt.Sprintf(" Busiest hour %s UTC with %s events.", busiestAt.Format("15:04"), FormatCount(busiest))
	}
	var s svg
	s.open("events-per-hour", w, h, "Events per hour by level, last 24 hours (UTC)", desc)
	plotW, plotH := float64(w-left-10), float64(h-top-bottom)
	ymax := niceMax(float64(maxTotal))
	s.yAxis(left, top, plotW, plotH, ymax, countLabel)
	slot := plotW / 24
	for i := 0; i < 24; i++ {
		t := start.Add(time.Duration(i) * time.Hour)
		x := left + float64(i)*slot + slot*0.15
		y := float64(top) + plotH
		counts := byHour[t.Unix()]
		for _, lvl := range orderedLevels(counts) {
			n := counts[lvl]
			bh := plotH * float64(n) / ymax
			y -= bh
			s.rect(x, y, slot*0.7, bh, levelColor(lvl), fmt.Sprintf("%s UTC: %s %s", t.Format("Jan 02 15:04"), lvl, FormatCount(n)))
		}
		if i%3 == 0 {
			s.text(x+slot*0.35, float64(h-10), "middle", t.Format("15:04"))
		}
	}
	s.line(left, float64(top)+plotH, left+plotW, float64(top)+plotH)
	s.b.WriteString(`</svg>`)
	var items [][2]string
	for _, l := range levelOrder {
		items = append(items, [2]string{l, l})
	}
	s.legend(items)
	return s.component()
}

// orderedLevels lists the levels present in counts: known levels first, in severity order.
func orderedLevels(counts map[string]int64) []string {
	var out []string
	for _, l := range levelOrder {
		if counts[l] > 0 {
			out = append(out, l)
		}
	}
	var other []string
	for l, n := range counts {
		if _, known := levelColors[l]; !known && n > 0 {
			other = append(other, l)
		}
	}
	sort.Strings(other)
	return append(out, other...)
}

func levelColor(l string) string {
	if c, ok := levelColors[l]; ok {
		return c
	}
	return colorGrey
}

// BarDatum is one bar of a simple bar chart.
type BarDatum struct {
	Label string
	Value int64
	Color string
}

// ChecksByStatusChart is the "Checks by Status" bar chart: x = status, y = count.
func ChecksByStatusChart(counts []Count) templ.Component {
	bars := []BarDatum{}
	for _, st := range []string{"UP", "LATE", "DOWN"} {
		bars = append(bars, BarDatum{Label: st, Value: countOf(counts, st), Color: statusColor[st]})
	}
	for _, c := range counts {
		if _, known := statusColor[c.Key]; !known {
			bars = append(bars, BarDatum{Label: c.Key, Value: c.Count, Color: colorGrey})
		}
	}
	return barChart("checks-by-status", "Checks by status", bars)
}

func barChart(id, title string, bars []BarDatum) templ.Component {
	const w, h, left, top, bottom = 360, 240, 40, 10, 28
	var maxV int64
	var parts []string
	for _, b := range bars {
		maxV = max(maxV, b.Value)
		parts = append(parts, fmt.Sprintf("%s %d", b.Label, b.Value))
	}
	var s svg
	s.open(id, w, h, title, strings.Join(parts, ", ")+".")
	plotW, plotH := float64(w-left-10), float64(h-top-bottom)
	ymax := niceMax(float64(maxV))
	s.yAxis(left, top, plotW, plotH, ymax, countLabel)
	slot := plotW / float64(max(len(bars), 1))
	for i, b := range bars {
		bh := plotH * float64(b.Value) / ymax
		x := left + float64(i)*slot + slot*0.2
		s.rect(x, float64(top)+plotH-bh, slot*0.6, bh, b.Color, fmt.Sprintf("%s: %s", b.Label, FormatCount(b.Value)))
		s.text(x+slot*0.3, float64(h-8), "middle", b.Label)
	}
	s.b.WriteString(`</svg>`)
	return s.component()
}

// AlertsByTypeChart is the "Open Alerts by Type" donut.
func AlertsByTypeChart(counts []Count) templ.Component {
	const size, r, inner = 240, 100.0, 62.0
	cx, cy := float64(size)/2, float64(size)/2
	tot := total(counts)
	var parts []string
	for _, c := range counts {
		parts = append(parts, fmt.Sprintf("%s %d", c.Key, c.Count))
	}
	desc := "No open alerts."
	if tot > 0 {
		desc = strings.Join(parts, ", ") + "."
	}
	var s svg
	s.open("alerts-by-type", size, size, "Open alerts by type", desc)
	if tot == 0 {
		s.printf(`<circle cx="%.1f" cy="%.1f" r="%.1f" fill="none" stroke="%s" stroke-width="%.1f"/>`, cx, cy, (r+inner)/2, colorGrey, r-inner)
	}
	angle := -math.Pi / 2
	var items [][2]string
	for i, c := range counts {
		if c.Count <= 0 {
			continue
		}
		frac := float64(c.Count) / float64(tot)
		slot := donutSlot(c.Key, i)
		color := donutColors[slot]
		items = append(items, [2]string{fmt.Sprint(slot), fmt.Sprintf("%s (%d)", c.Key, c.Count)})
		tip := fmt.Sprintf("%s: %s", c.Key, FormatCount(c.Count))
		if frac >= 0.9999 {
			s.printf(`<circle cx="%.1f" cy="%.1f" r="%.1f" fill="none" stroke="%s" stroke-width="%.1f"><title>%s</title></circle>`,
				cx, cy, (r+inner)/2, color, r-inner, esc(tip))
			continue
		}
		next := angle + frac*2*math.Pi
		large := 0
		if frac > 0.5 {
			large = 1
		}
		s.printf(`<path d="M %.2f %.2f A %.1f %.1f 0 %d 1 %.2f %.2f L %.2f %.2f A %.1f %.1f 0 %d 0 %.2f %.2f Z" fill="%s"><title>%s</title></path>`,
			cx+r*math.Cos(angle), cy+r*math.Sin(angle), r, r, large, cx+r*math.Cos(next), cy+r*math.Sin(next),
			cx+inner*math.Cos(next), cy+inner*math.Sin(next), inner, inner, large, cx+inner*math.Cos(angle), cy+inner*math.Sin(angle),
			color, esc(tip))
		angle = next
	}
	s.printf(`<text x="%.1f" y="%.1f" text-anchor="middle" class="donut-total">%s open</text>`, cx, cy+4, esc(FormatCount(tot)))
	s.b.WriteString(`</svg>`)
	s.legend(items)
	return s.component()
}

// donutSlot is the palette entry of the i-th slice: the alert types keep the colours they have
// everywhere else (FAILURE red, MISSED orange, RECOVERY green); anything else cycles the palette
// as the reference did.
func donutSlot(key string, i int) int {
	for slot, c := range donutColors {
		if alertColor[key] == c {
			return slot
		}
	}
	return i % len(donutColors)
}

// RunPoint is one finished run of a job (a job.completed or job.failed event).
type RunPoint struct {
	At         time.Time
	DurationMs *int64
	Failed     bool
}

// RunDurationsChart draws one bar per recent run, oldest on the left, failed runs in red.
func RunDurationsChart(runs []RunPoint) templ.Component {
	const w, h, left, top, bottom = 520, 220, 62, 10, 30
	ordered := append([]RunPoint(nil), runs...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].At.Before(ordered[j].At) })
	var maxMs int64
	failed := 0
	for _, r := range ordered {
		if r.DurationMs != nil {
			maxMs = max(maxMs, *r.DurationMs)
		}
		if r.Failed {
			failed++
		}
	}
	desc := fmt.Sprintf("%d recent runs, %d failed.", len(ordered), failed)
	if len(ordered) == 0 {
		desc = "No finished runs yet."
	}
	var s svg
	s.open("run-durations", w, h, "Durations of the recent runs", desc)
	plotW, plotH := float64(w-left-10), float64(h-top-bottom)
	ymax := niceMax(float64(maxMs))
	s.yAxis(left, top, plotW, plotH, ymax, func(v float64) string {
		ms := int64(math.Round(v))
		return FormatDuration(&ms)
	})
	if len(ordered) == 0 {
		s.text(left+plotW/2, float64(top)+plotH/2, "middle", "No finished runs yet")
	}
	slot := plotW / float64(max(len(ordered), 10))
	for i, r := range ordered {
		var bh float64
		if r.DurationMs != nil {
			bh = max(plotH*float64(*r.DurationMs)/ymax, 2)
		}
		color, outcome := colorOK, "succeeded"
		if r.Failed {
			color, outcome = colorFailed, "failed"
		}
		x := left + float64(i)*slot + slot*0.15
		s.rect(x, float64(top)+plotH-bh, slot*0.7, bh, color,
			fmt.Sprintf("%s UTC: %s, %s", r.At.UTC().Format("Jan 02 15:04:05"), outcome, FormatDuration(r.DurationMs)))
	}
	if n := len(ordered); n > 0 {
		s.text(left, float64(h-10), "start", ordered[0].At.UTC().Format("Jan 02 15:04"))
		s.text(left+plotW, float64(h-10), "end", ordered[n-1].At.UTC().Format("Jan 02 15:04"))
	}
	s.b.WriteString(`</svg>`)
	s.legend([][2]string{{"ok", "succeeded"}, {"failed", "failed"}})
	return s.component()
}

// TimelineEvent is one heartbeat or outcome of a job: Kind is started, completed or failed.
type TimelineEvent struct {
	At   time.Time
	Kind string
}

// TimelineAlert is one alert's open interval; Closed is zero while it is open.
type TimelineAlert struct {
	Type           string
	Opened, Closed time.Time
	Title          string
}

// TimelineProps is the input of the state history strip.
type TimelineProps struct {
	From, To time.Time
	Events   []TimelineEvent
	Alerts   []TimelineAlert
}

// timelineState maps an event kind to the run state it starts.
func timelineState(kind string) string {
	switch kind {
	case "job.started", "started":
		return "running"
	case "job.failed", "failed":
		return "failed"
	default:
		return "ok"
	}
}

// StateTimelineChart is a two-row strip over [From, To]: the run state after each heartbeat or
// outcome (running, ok, failed) and the open intervals of the job's alerts.
func StateTimelineChart(p TimelineProps) templ.Component {
	const w, h, left, rowH = 720, 110, 70, 26.0
	span := p.To.Sub(p.From)
	if span <= 0 {
		span = time.Hour
	}
	plotW := float64(w - left - 10)
	xOf := func(t time.Time) float64 {
		if t.Before(p.From) {
			t = p.From
		}
		if t.After(p.To) {
			t = p.To
		}
		return left + plotW*float64(t.Sub(p.From))/float64(span)
	}
	evs := append([]TimelineEvent(nil), p.Events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	failed := 0
	for _, e := range evs {
		if timelineState(e.Kind) == "failed" {
			failed++
		}
	}
	desc := fmt.Sprintf("%d heartbeats and outcomes, %d failed runs, %d alerts between %s and %s UTC.", len(evs), failed,
		len(p.Alerts), p.From.UTC().Format("Jan 02 15:04"), p.To.UTC().Format("Jan 02 15:04"))
	var s svg
	s.open("state-timeline", w, h, "State history of the job", desc)
	y1, y2 := 8.0, 8.0+rowH+10
	s.text(left-8, y1+rowH/2+4, "end", "Runs")
	s.text(left-8, y2+rowH/2+4, "end", "Alerts")
	s.rect(left, y1, plotW, rowH, "#eef1f4", "No data")
	s.rect(left, y2, plotW, rowH, "#eef1f4", "No alerts")
	for i, e := range evs {
		end := p.To
		if i+1 < len(evs) {
			end = evs[i+1].At
		}
		if end.Before(p.From) {
			continue
		}
		st := timelineState(e.Kind)
		x0, x1 := xOf(e.At), xOf(end)
		s.rect(x0, y1, max(x1-x0, 1.5), rowH, runColor[st], fmt.Sprintf("%s from %s UTC", st, e.At.UTC().Format("Jan 02 15:04:05")))
	}
	for _, a := range p.Alerts {
		end := a.Closed
		state := "closed " + a.Closed.UTC().Format("Jan 02 15:04")
		if end.IsZero() {
			end, state = p.To, "still open"
		}
		if end.Before(p.From) {
			continue
		}
		color, ok := alertColor[a.Type]
		if !ok {
			color = colorGrey
		}
		x0, x1 := xOf(a.Opened), xOf(end)
		s.rect(x0, y2, max(x1-x0, 2), rowH, color, fmt.Sprintf("%s alert opened %s UTC, %s: %s", a.Type,
			a.Opened.UTC().Format("Jan 02 15:04"), state, a.Title))
	}
	axisY := y2 + rowH + 16
	for i := 0; i <= 6; i++ {
		t := p.From.Add(span * time.Duration(i) / 6)
		anchor := "middle"
		if i == 0 {
			anchor = "start"
		} else if i == 6 {
			anchor = "end"
		}
		s.text(xOf(t), axisY, anchor, t.UTC().Format("15:04"))
	}
	s.b.WriteString(`</svg>`)
	s.legend([][2]string{{"running", "running"}, {"ok", "succeeded"}, {"failed", "failed"},
		{"MISSED", "MISSED alert"}, {"FAILURE", "FAILURE alert"}, {"RECOVERY", "RECOVERY alert"}})
	return s.component()
}

// countOf is the count of key in counts, or 0.
func countOf(counts []Count, key string) int64 {
	for _, c := range counts {
		if c.Key == key {
			return c.Count
		}
	}
	return 0
}

// total sums counts.
func total(counts []Count) int64 {
	var n int64
	for _, c := range counts {
		n += c.Count
	}
	return n
}

func intervalText(s *int64) string {
	if s == nil {
		return "unknown"
	}
	return itoa(*s) + "s"
}
