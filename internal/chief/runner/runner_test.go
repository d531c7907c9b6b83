package runner

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data))
	return len(fields) > 2 && fields[2] != "Z"
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func TestRunScript(t *testing.T) {
	r := &Runner{}
	cases := []struct {
		name       string
		argv       []string
		timeout    time.Duration
		wantCode   int
		wantKind   string
		wantStdout string
		wantStderr string
	}{
		{name: "success", argv: sh("echo hello"), wantStdout: "hello\n"},
		{name: "exit status", argv: sh("echo oops >&2; exit 3"), wantCode: 3, wantStderr: "oops\n"},
		{name: "killed by signal is negative", argv: sh("kill -9 $$"), wantCode: -9},
		{name: "crlf and invalid utf-8", argv: sh(`printf 'a\r\nb\377c'`), wantStdout: "a\nb\uFFFDc"},
		{name: "launch failure", argv: []string{"/nonexistent/binary"}, wantCode: -2, wantKind: ErrorException},
		{name: "timeout", argv: sh("echo partial; sleep 30"), timeout: time.Second, wantCode: -1, wantKind: ErrorTimeout, wantStdout: "partial\n", wantStderr: "Timed out after 1 seconds."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.timeout == 0 {
				tc.timeout = 10 * time.Second
			}
			res := r.RunScript(context.Background(), tc.argv, t.TempDir(), os.Environ(), tc.timeout)
			if res.ReturnCode != tc.wantCode || res.ErrorKind != tc.wantKind || res.Success != (tc.wantCode == 0) {
				t.Fatalf("got code %d kind %q success %v, want %d %q", res.ReturnCode, res.ErrorKind, res.Success, tc.wantCode, tc.wantKind)
			}
			if tc.wantStdout != "" && res.Stdout != tc.wantStdout {
				t.Errorf("stdout: got %q, want %q", res.Stdout, tc.wantStdout)
			}
			if tc.wantStderr != "" && res.Stderr != tc.wantStderr {
				t.Errorf("stderr: got %q, want %q", res.Stderr, tc.wantStderr)
			}
		})
	}
}

func TestTimeoutKillsGrandchildren(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	r := &Runner{}
	start := time.Now()
	res := r.RunScript(context.Background(), sh("sh -c 'sleep 60' & echo $! > "+pidFile+"; wait"), dir, os.Environ(), time.Second)
	if res.ErrorKind != ErrorTimeout {
		t.Fatalf("got %+v, want a timeout", res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %s", d)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL) // clean up after the failure
		t.Fatalf("grandchild %d survived the timeout", pid)
	}
}

func TestCancelTerminatesGroup(t *testing.T) {
	r := &Runner{KillGrace: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res := r.RunScript(ctx, sh("sleep 30"), t.TempDir(), os.Environ(), time.Minute)
	if res.ReturnCode != -int(syscall.SIGTERM) {
		t.Fatalf("got code %d, want -15", res.ReturnCode)
	}
}

func TestCaptureKeepsTail(t *testing.T) {
	res := (&Runner{}).RunScript(context.Background(), sh("head -c 200000 /dev/zero | tr '\\0' x; echo END"), t.TempDir(), os.Environ(), 10*time.Second)
	if len(res.Stdout) != CaptureLimit || !strings.HasSuffix(res.Stdout, "xEND\n") {
		t.Fatalf("got %d bytes ending %q, want %d ending in END", len(res.Stdout), res.Stdout[len(res.Stdout)-5:], CaptureLimit)
	}
}

func TestEnviron(t *testing.T) {
	r := &Runner{PythonPath: "/helper"}
	env := r.Environ([]string{"HOME=/h", "CHIEF_SCHEDULED_FOR=stale", "CHIEF_MONITOR_ENDPOINT=http://old", "PYTHONPATH=/x"},
		map[string]string{"CHIEF_RUN_ID": "r1"})
	got := strings.Join(env, " ")
	if want := "HOME=/h CHIEF_RUN_ID=r1 PYTHONPATH=/helper:/x"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRunID(t *testing.T) {
	got := RunID("alpha", time.Date(2026, 11, 27, 9, 34, 19, 280850123, time.UTC), 14923)
	if want := "alpha:20261127093419-280850-14923"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
