package runner

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// CaptureLimit is how many trailing bytes of each output stream are kept.
const CaptureLimit = 64 << 10

// tail is an io.Writer that keeps only the last CaptureLimit bytes written to it.
type tail struct {
	mu        sync.Mutex
	buf       []byte
	truncated bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - CaptureLimit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.truncated = true
	}
	return len(p), nil
}

// String decodes the captured bytes as UTF-8 with replacement characters, normalises CRLF to
// LF, and drops a partial character cut at the start by truncation.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if t.truncated {
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.RuneStart(b[0]); i++ {
			b = b[1:]
		}
	}
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\r\n", "\n")
}

// preview trims s and keeps its first 1000 characters, as sent in script.completed.
func preview(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= 1000 {
		return s
	}
	return string([]rune(s)[:1000])
}

// TailBytes is how much of the end of each output stream script.completed carries. With the
// 1000-character previews the worst case (every byte escaped as \u00XX) stays under the
// monitor's 64 KiB metadata limit.
const TailBytes = 4096

// lastBytes returns the last at most n bytes of s, starting on a character boundary.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	b := s[len(s)-n:]
	for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.RuneStart(b[0]); i++ {
		b = b[1:]
	}
	return b
}
