package containertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

// podman runs the podman CLI against a store of its own in a temporary directory, so the test
// neither sees nor leaves images, containers or volumes in the machine's store, and cleaning up
// cannot remove anything it did not create.
type podman struct {
	bin    string
	global []string // flags before the subcommand: store location, runtime, cgroup manager
	run    []string // flags every `podman run` needs on this machine
}

// command is a podman invocation bounded by timeout.
func (p *podman) command(timeout time.Duration, args ...string) (*exec.Cmd, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, p.bin, append(append([]string{}, p.global...), args...)...)
	return cmd, cancel
}

// exec runs podman and returns its combined output.
func (p *podman) exec(timeout time.Duration, args ...string) (string, error) {
	cmd, cancel := p.command(timeout, args...)
	defer cancel()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// must runs podman and fails the test when it fails; it returns standard output only, so the
// runtime's warnings on standard error (systemd timers for health checks, absent here) do not
// end up in a container id or an inspect result.
func (p *podman) must(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	cmd, cancel := p.command(timeout, args...)
	defer cancel()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", p.describe(args), err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// describe is the command line, for messages.
func (p *podman) describe(args []string) string {
	return strings.Join(append(append([]string{"podman"}, p.global...), args...), " ")
}

// runArgs is `run` with the machine's flags, then args.
func (p *podman) runArgs(args ...string) []string {
	return append(append([]string{"run"}, p.run...), args...)
}

// cleanup removes everything in the test's store. The store is the test's alone (see podman),
// so "all" means what this test created.
func (p *podman) cleanup() {
	for _, args := range [][]string{{"rm", "--all", "--force", "--time", "0"}, {"volume", "rm", "--all", "--force"},
		{"rmi", "--all", "--force"}} {
		_, _ = p.exec(time.Minute, args...) // best effort: the temporary directory goes next anyway
	}
}

// findPodman returns a podman that can build and run a container on this machine, or skips the
// test with the command that failed and the first line of what it printed. It probes with a
// one-file image of the monitor binary in binDir, so no registry is needed.
//
// What it varies, because sandboxes differ: the storage driver (overlay, else vfs where the
// directory cannot hold overlay mounts) and the OCI runtime (podman's default, else runc: crun
// refuses a host with both cgroup v1 controllers and a v2 hierarchy that holds one).
func findPodman(t *testing.T, bin, binDir string) *podman {
	t.Helper()
	probe := filepath.Join(t.TempDir(), "Containerfile")
	if err := os.WriteFile(probe, []byte("FROM scratch\nCOPY monitor /monitor\nENTRYPOINT [\"/monitor\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runtimes := []string{""}
	if _, err := exec.LookPath("runc"); err == nil {
		runtimes = append(runtimes, "runc")
	}
	var failures []string
	for _, driver := range []string{"overlay", "vfs"} {
		for _, runtime := range runtimes {
			p := newPodman(t, bin, driver, runtime)
			why := p.probe(t, probe, binDir)
			if why == "" {
				t.Logf("podman works here with storage driver %s, runtime %q", driver, runtime)
				return p
			}
			failures = append(failures, why)
		}
	}
	t.Skipf("podman cannot run a container on this machine:\n%s", strings.Join(failures, "\n"))
	return nil
}

// newPodman is a podman with a fresh store under a temporary directory, removed at cleanup.
func newPodman(t *testing.T, bin, driver, runtime string) *podman {
	dir := t.TempDir()
	p := &podman{bin: bin, global: []string{
		"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"--tmpdir", filepath.Join(dir, "tmp"), "--storage-driver", driver,
		// No systemd here: cgroups are managed directly and events go to a file.
		"--cgroup-manager", "cgroupfs", "--events-backend", "file",
	}}
	if runtime != "" {
		p.global = append(p.global, "--runtime", runtime)
	}
	// podman asks the runtime for 1,048,576 open files and 4,194,304 processes unless told
	// otherwise; a root without CAP_SYS_RESOURCE (a sandbox) cannot raise its limits that far
	// and the container fails to start. Lowering a limit is always allowed.
	p.run = []string{"--ulimit", fmt.Sprintf("nofile=%d:%d", openFiles(), openFiles()), "--ulimit", "nproc=1024:1024"}
	t.Cleanup(p.cleanup) // registered after t.TempDir, so it runs before the directory goes
	return p
}

// openFiles is the open-file limit to give containers: 4096, or less if this process has less.
func openFiles() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 4096 {
		return lim.Cur
	}
	return 4096
}

// probe builds and runs the one-file image with a published port (so storage, runtime and
// networking are all exercised) and returns "" when it worked, else the failed command and the
// first line of its output.
func (p *podman) probe(t *testing.T, containerfile, binDir string) string {
	steps := [][]string{
		{"build", "--quiet", "--tag", "localhost/chief-monitor-probe:test", "--file", containerfile, binDir},
		p.runArgs("--rm", "--publish", "127.0.0.1:"+strconv.Itoa(testutil.FreePort(t))+":7410",
			"localhost/chief-monitor-probe:test", "help"),
	}
	for _, args := range steps {
		if out, err := p.exec(2*time.Minute, args...); err != nil {
			return fmt.Sprintf("`%s`: %s", p.describe(args), firstLine(out, err))
		}
	}
	return ""
}

// firstLine is the line of out that says what failed: podman's "Error: …" line, else the first
// line that is not a warning (podman warns about its network cache and the health-check timers
// it cannot create without systemd before the real error), else the error itself.
func firstLine(out string, err error) string {
	var other string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "Error"):
			return line
		case line == "", strings.Contains(line, "level=warning"), strings.Contains(line, "systemd connection"):
		case other == "":
			other = line
		}
	}
	if other != "" {
		return other
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.String()
	}
	return err.Error()
}
