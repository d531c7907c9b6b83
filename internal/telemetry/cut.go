package telemetry

import (
	"strings"
	"unicode/utf8"
)

// CutUTF8 is the longest start of s of at most n bytes that ends on a character boundary: the
// one way to shorten text that producers, the monitor and its messages all use.
func CutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Step back over at most three continuation bytes: a longer run is invalid UTF-8 anyway.
	for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	return s[:n]
}

// FirstLine is the first line of s with text on it, trimmed ("" when there is none).
func FirstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}

// LastLine is the last line of s with text on it, trimmed ("" when there is none).
func LastLine(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return t
		}
	}
	return ""
}
