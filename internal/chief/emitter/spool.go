package emitter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// spool is the JSON Lines file of undelivered events plus its lock and dead-letter files.
type spool struct {
	path, deadPath string
	maxBytes       int64
	lockFile       *os.File
}

func newSpool(path string, maxBytes int64) *spool {
	ext := filepath.Ext(path)
	return &spool{path: path, deadPath: strings.TrimSuffix(path, ext) + ".deadletter" + ext, maxBytes: maxBytes}
}

// lock takes the cross-process lock, waiting at most wait (0 = try once).
func (s *spool) lock(wait time.Duration) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("spool: create directory: %w", err)
	}
	f, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("spool: open lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			s.lockFile = f
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			_ = f.Close() // nothing was written through this descriptor
			return fmt.Errorf("spool: lock %s: %w", s.path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *spool) unlock() {
	if s.lockFile != nil {
		// Closing the descriptor releases the flock.
		_ = s.lockFile.Close()
		s.lockFile = nil
	}
}

// empty reports whether the spool has nothing to replay.
func (s *spool) empty() bool {
	st, err := os.Stat(s.path)
	return err != nil || !st.Mode().IsRegular() || st.Size() == 0
}

// readLines returns every line of the spool.
func (s *spool) readLines() ([][]byte, error) { return readLines(s.path) }

// rewrite atomically replaces the spool with lines.
func (s *spool) rewrite(lines [][]byte) error { return rewrite(s.path, lines) }

// readLines returns every non-blank line of path (none when it does not exist).
func readLines(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: read: %w", err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
	}
	return lines, sc.Err()
}

// rewrite atomically replaces path with lines.
func rewrite(path string, lines [][]byte) error {
	tmp := path + ".tmp"
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("spool: rewrite: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("spool: rewrite: %w", err)
	}
	return nil
}

// appendTo appends lines to path.
func appendTo(path string, lines [][]byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("spool: create directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("spool: open %s: %w", path, err)
	}
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := []byte{0}
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			buf.WriteByte('\n') // end a line torn by a crash or a full disk so it cannot swallow ours
		}
	}
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		_ = f.Close() // the write error is the one worth reporting
		return fmt.Errorf("spool: append %s: %w", path, err)
	}
	return f.Close()
}

// append adds lines to the spool and enforces the size cap by dropping the oldest lines. It
// returns how many were dropped.
func (s *spool) append(lines [][]byte) (dropped int, err error) {
	return appendCapped(s.path, lines, s.maxBytes)
}

// appendDead adds a record to the dead-letter file, capped like the spool: a monitor that
// refuses every event must not fill the disk with them.
func (s *spool) appendDead(rec []byte) (dropped int, err error) {
	return appendCapped(s.deadPath, [][]byte{rec}, s.maxBytes)
}

// appendCapped appends lines to path and then drops its oldest lines while it is over maxBytes.
func appendCapped(path string, lines [][]byte, maxBytes int64) (dropped int, err error) {
	if err := appendTo(path, lines); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() <= maxBytes {
		return 0, nil
	}
	all, err := readLines(path)
	if err != nil {
		return 0, err
	}
	size := st.Size()
	for len(all) > 0 && size > maxBytes {
		size -= int64(len(all[0]) + 1)
		all = all[1:]
		dropped++
	}
	return dropped, rewrite(path, all)
}

// validObjects keeps the lines that are JSON objects.
func validObjects(lines [][]byte) [][]byte {
	var out [][]byte
	for _, l := range lines {
		var obj map[string]json.RawMessage
		if json.Unmarshal(l, &obj) == nil && obj != nil {
			out = append(out, l)
		}
	}
	return out
}
