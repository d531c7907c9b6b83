package views

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// parseTime reads an RFC 3339 timestamp (with or without fraction); a value without an offset
// is read as UTC.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// FormatDateTime is the UTC fallback text of a <time> element: "2026-03-04 09:15:02 UTC". A nil
// or empty value gives "-", an unparsable one is returned as given.
func FormatDateTime(s *string) string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return "-"
	}
	t, ok := parseTime(*s)
	if !ok {
		return *s
	}
	return t.Format("2006-01-02 15:04:05") + " UTC"
}

// machineTime is the datetime attribute of a <time> element, or "" when s does not parse.
func machineTime(s *string) string {
	if s == nil {
		return ""
	}
	t, ok := parseTime(*s)
	if !ok {
		return ""
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// FormatCount groups digits by thousands with commas: 48211 gives "48,211".
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatDuration follows the original: nil gives "-", under 1000 ms "<n> ms", under 10 s two
// decimals ("1.50 s"), from 10 s one decimal ("31.8 s").
func FormatDuration(ms *int64) string {
	if ms == nil {
		return "-"
	}
	v := *ms
	switch {
	case v < 1000:
		return fmt.Sprintf("%d ms", v)
	case v < 10000:
		return fmt.Sprintf("%.2f s", float64(v)/1000)
	default:
		return fmt.Sprintf("%.1f s", float64(v)/1000)
	}
}

// RelativeTime is "3 minutes ago" or "2 hours from now" (the largest unit that fits, floored);
// nil gives "-" and an unparsable value is returned as given.
func RelativeTime(s *string, now time.Time) string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return "-"
	}
	t, ok := parseTime(*s)
	if !ok {
		return *s
	}
	d := now.Sub(t)
	suffix := "ago"
	if d < 0 {
		d, suffix = -d, "from now"
	}
	n, unit := int64(d/time.Second), "second"
	switch {
	case d >= 24*time.Hour:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d >= time.Hour:
		n, unit = int64(d/time.Hour), "hour"
	case d >= time.Minute:
		n, unit = int64(d/time.Minute), "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s %s", n, unit, suffix)
}

// BadgeClass maps a status, level or severity to its colour class (
// an OPEN alert is amber, a CLOSED one grey).
func BadgeClass(v string) string {
	switch strings.ToUpper(v) {
	case "UP":
		return "is-up"
	case "LATE", "WARN", "OPEN":
		return "is-late"
	case "DOWN", "ERROR", "CRITICAL", "FAILED":
		return "is-down"
	default:
		return "is-neutral"
	}
}

// badgeText is the upper-cased value, or UNKNOWN when empty.
func badgeText(v string) string {
	if strings.TrimSpace(v) == "" {
		return "UNKNOWN"
	}
	return strings.ToUpper(v)
}

// PrettyJSON indents a JSON document by two spaces; anything that is not a JSON object or
// array gives "{}".
func PrettyJSON(raw string) string {
	var buf bytes.Buffer
	trimmed := strings.TrimSpace(raw)
	if trimmed == "" || (trimmed[0] != '{' && trimmed[0] != '[') || json.Indent(&buf, []byte(trimmed), "", "  ") != nil {
		return "{}"
	}
	return buf.String()
}

// Param is one key/value of a query string.
type Param struct {
	Key, Value string
}

// BuildQuery keeps the params whose trimmed value is not empty, in order, and encodes them
// ("jobName=x&status=OPEN&page=2"); it returns "" when none survive.
func BuildQuery(params ...Param) string {
	var parts []string
	for _, p := range params {
		v := strings.TrimSpace(p.Value)
		if v == "" {
			continue
		}
		parts = append(parts, url.QueryEscape(p.Key)+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

// withQuery joins a path and a query string.
func withQuery(path, query string) string {
	if query == "" {
		return path
	}
	return path + "?" + query
}

// pageParams is params plus page=n (omitted for page 1).
func pageParams(params []Param, page int) []Param {
	out := append([]Param(nil), params...)
	if page > 1 {
		out = append(out, Param{Key: "page", Value: strconv.Itoa(page)})
	}
	return out
}

func strOr(s *string, def string) string {
	if s == nil || *s == "" {
		return def
	}
	return *s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Long event messages are folded to a preview so one chatty event cannot push the rest of the
// table off the screen: above longMessageRunes characters, the first previewRunes are shown.
const (
	longMessageRunes = 300
	previewRunes     = 160
)

// messagePreview is the folded start of a long message and true, or ("", false) when the
// message is short enough to be shown whole.
func messagePreview(msg string) (string, bool) {
	if utf8.RuneCountInString(msg) <= longMessageRunes {
		return "", false
	}
	r := []rune(msg)[:previewRunes]
	// Prefer to cut at a space when there is one near the end.
	for i := len(r) - 1; i >= previewRunes-40; i-- {
		if r[i] == ' ' {
			r = r[:i]
			break
		}
	}
	return strings.TrimRight(string(r), " "), true
}

// hiddenRune reports the characters a page would not show, or that would silently reorder the
// text around them: control characters, zero-width spaces and joiners, the bidirectional marks,
// embeddings, overrides and isolates, the invisible operators, line and paragraph separators
// and the byte-order mark. A job named "invoice\u202Egpj.exe" would otherwise read
// "invoiceexe.jpg".
func hiddenRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2060 && r <= 0x2069:
		return true
	}
	return r == 0x061c || r == 0x2028 || r == 0x2029 || r == 0xfeff
}

// textPart is a run of displayed text: plain, or one hidden character spelled as <U+XXXX>.
type textPart struct {
	Text   string
	Hidden bool
}

// visibleParts splits s into plain runs and its hidden characters, each spelled <U+XXXX>; it is
// how every job name (and text that quotes one) is shown.
func visibleParts(s string) []textPart {
	var out []textPart
	start := 0
	for i, r := range s {
		if !hiddenRune(r) {
			continue
		}
		if start < i {
			out = append(out, textPart{Text: s[start:i]})
		}
		out = append(out, textPart{Text: fmt.Sprintf("<U+%04X>", r), Hidden: true})
		start = i + utf8.RuneLen(r)
	}
	if start < len(s) {
		out = append(out, textPart{Text: s[start:]})
	}
	return out
}

// isDotSegment reports a name that a browser would resolve as a path segment ("." or ".."),
// escaped or not: the URL standard reads %2e as a dot too.
func isDotSegment(name string) bool { return name == "." || name == ".." }

// AlertTypeNames are the alert types a filter offers, in the order they matter.
var AlertTypeNames = []string{"FAILURE", "MISSED", "RECOVERY", "RUNNER_DOWN", "HUNG", "SLOW"}
