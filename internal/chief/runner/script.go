package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Error kinds reported in script.completed metadata.
const (
	ErrorTimeout   = "timeout"
	ErrorException = "exception"
)

// Result is the outcome of one script.
type Result struct {
	Success    bool
	ReturnCode int // exit status; -N when killed by signal N; -1 timeout; -2 launch failure
	Stdout     string
	Stderr     string
	ErrorKind  string // "", ErrorTimeout or ErrorException
	Duration   time.Duration
}

// Command returns the argv that launches a script: `.py` files through the Python interpreter,
// anything else directly.
func (r *Runner) Command(scriptPath string, args []string) []string {
	if strings.EqualFold(filepath.Ext(scriptPath), ".py") {
		return append([]string{r.python(), scriptPath}, args...)
	}
	return append([]string{scriptPath}, args...)
}

func (r *Runner) python() string {
	if r.Python != "" {
		return r.Python
	}
	return "python3"
}

// RunScript runs argv in dir with env. The script gets timeout of wall time; then its whole
// process group is killed. When ctx is cancelled (Chief is stopping) the group receives
// SIGTERM, and SIGKILL after KillGrace.
func (r *Runner) RunScript(ctx context.Context, argv []string, dir string, env []string, timeout time.Duration) Result {
	start := time.Now()
	var stdout, stderr tail
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, os.Stdin
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild that outlives the group kill must not keep us waiting on its pipes.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return Result{ReturnCode: -2, Stderr: err.Error(), ErrorKind: ErrorException, Duration: time.Since(start)}
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-timer.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // the group may already be gone
		<-done
		return Result{ReturnCode: -1, Stdout: stdout.String(), ErrorKind: ErrorTimeout, Duration: time.Since(start),
			Stderr: fmt.Sprintf("Timed out after %d seconds.", int(timeout/time.Second))}
	case <-ctx.Done():
		_ = syscall.Kill(-pgid, syscall.SIGTERM) // the group may already be gone
		select {
		case waitErr = <-done:
		case <-time.After(r.grace()):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			waitErr = <-done
		}
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Duration: time.Since(start)}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.ReturnCode = -int(ws.Signal())
	} else {
		res.ReturnCode = cmd.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		res.ReturnCode, res.ErrorKind = -2, ErrorException
		res.Stderr = strings.TrimSpace(res.Stderr + "\n" + waitErr.Error())
	}
	res.Success = res.ReturnCode == 0
	return res
}

func (r *Runner) grace() time.Duration {
	if r.KillGrace > 0 {
		return r.KillGrace
	}
	return 5 * time.Second
}

// Environ builds a script's environment: base without any inherited CHIEF_* variable, plus
// the context variables in vars, plus the Python helper directory on PYTHONPATH.
func (r *Runner) Environ(base []string, vars map[string]string) []string {
	env := make([]string, 0, len(base)+len(vars)+1)
	pythonPath := ""
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "CHIEF_"):
		case k == "PYTHONPATH":
			pythonPath = v
		default:
			env = append(env, kv)
		}
	}
	for _, k := range sortedKeys(vars) {
		env = append(env, k+"="+vars[k])
	}
	if r.PythonPath != "" {
		if pythonPath != "" {
			pythonPath = r.PythonPath + string(os.PathListSeparator) + pythonPath
		} else {
			pythonPath = r.PythonPath
		}
	}
	if pythonPath != "" {
		env = append(env, "PYTHONPATH="+pythonPath)
	}
	return env
}
