package handlers

import (
	"testing"
)

// FuzzPageParam checks the limit/offset parser: the result is always within [1, max] or the
// fallback, whatever the text.
func FuzzPageParam(f *testing.F) {
	for _, s := range []string{"", "25", "25abc", "-5", "0", "1.9", "99999999999999999999999", "+7", " 3", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := pageParam(s, 100, 1000)
		if got < 1 || got > 1000 {
			t.Fatalf("pageParam(%q) = %d, outside [1, 1000]", s, got)
		}
		if off := pageParam(s, 0, 1_000_000); off < 0 || off > 1_000_000 {
			t.Fatalf("offset %q = %d", s, off)
		}
	})
}
