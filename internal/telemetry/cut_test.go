package telemetry

import "testing"

func TestCutUTF8AndLines(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{{"héllo", 10, "héllo"}, {"héllo", 2, "h"}, {"héllo", 3, "hé"}, {"日本", 4, "日"}, {"", 3, ""}} {
		if got := CutUTF8(tc.s, tc.n); got != tc.want {
			t.Errorf("CutUTF8(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
	out := "\n  first \nmiddle\n last\n\n"
	if FirstLine(out) != "first" || LastLine(out) != "last" || FirstLine(" \n") != "" || LastLine("") != "" {
		t.Errorf("lines: %q %q", FirstLine(out), LastLine(out))
	}
}
