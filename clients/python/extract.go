package python

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Extract writes the embedded package below cacheRoot in a directory named after its content
// hash and returns that directory (the one to put on PYTHONPATH). An existing copy is reused;
// a new one is written to a temporary directory and renamed into place, so concurrent
// processes never see a partial package.
func Extract(cacheRoot string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := Files.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("python helper: hash: %w", err)
	}
	dir := filepath.Join(cacheRoot, "python-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "gulag_chief", "monitor_client.py")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cacheRoot, 0o755); err != nil {
		return "", fmt.Errorf("python helper: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheRoot, ".tmp-")
	if err != nil {
		return "", fmt.Errorf("python helper: %w", err)
	}
	defer os.RemoveAll(tmp) // only left over when the rename below did not happen
	if err := os.CopyFS(tmp, Files); err != nil {
		return "", fmt.Errorf("python helper: extract: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr == nil {
			return dir, nil // another process won the race
		}
		return "", fmt.Errorf("python helper: install: %w", err)
	}
	return dir, nil
}
