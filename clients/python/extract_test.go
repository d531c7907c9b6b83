package python

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExtractIsIdempotent(t *testing.T) {
	root := t.TempDir()
	a, err := Extract(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Extract(root)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("got %s then %s, want the same directory", a, b)
	}
	want, _ := Files.ReadFile("gulag_chief/monitor_client.py")
	got, err := os.ReadFile(filepath.Join(a, "gulag_chief", "monitor_client.py"))
	if err != nil || string(got) != string(want) {
		t.Fatalf("extracted helper differs from the embedded one (err %v)", err)
	}
}
