// Package containertest checks the container image: it builds the Dockerfile's final stage from
// binaries built here (the "local" target, FROM scratch, so nothing is pulled) and runs it with
// podman on 127.0.0.1, the way docker-compose.yml runs it.
package containertest

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/testutil"
)

const (
	image   = "localhost/chief-monitor:test"
	apiKey  = "container-test-api-key"
	runUser = "65532:65532"
)

// secrets are the variables the monitor needs besides the API key: sign-in stays on, as in
// docker-compose.yml.
var secrets = []string{
	"MONITOR_AUTH_SECRET=container-test-session-secret-0123456789",
	"MONITOR_AUTH_ADMIN_EMAIL=admin@example.org",
	"MONITOR_AUTH_ADMIN_PASSWORD=container-test-password",
}

// TestImage builds the image and checks what it holds, how it is declared, and that it serves:
// health, ingest with the key, the sign-in page, the health check, a clean stop, and the
// database surviving on its volume.
func TestImage(t *testing.T) {
	bin, err := exec.LookPath("podman")
	if err != nil {
		t.Skipf("podman is not installed (%v); .ci/run installs it", err)
	}
	ctx := buildContext(t)
	pm := findPodman(t, bin, ctx)
	pm.must(t, 2*time.Minute, "build", "--quiet", "--format", "docker", "--target", "local",
		"--build-context", "bin="+ctx, "--tag", image, "--file", filepath.Join(repoRoot(t), "Dockerfile"), repoRoot(t))

	t.Run("declaration", func(t *testing.T) { checkDeclaration(t, pm) })
	t.Run("contents", func(t *testing.T) { checkContents(t, pm) })
	t.Run("refuses open ingest", func(t *testing.T) { checkRefusesOpenIngest(t, pm) })
	t.Run("serves", func(t *testing.T) { checkServes(t, pm) })
}

// buildContext is the "bin" build context of the Dockerfile's local target: both binaries,
// built static here as `make build` builds them, and the host's CA bundle.
func buildContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, pkg := range []string{testutil.MonitorPkg, testutil.ChiefPkg} {
		bin, err := testutil.BuildBinary(dir, pkg)
		if err != nil {
			t.Fatal(err)
		}
		requireStatic(t, bin)
	}
	bundle := ""
	for _, p := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"} {
		if _, err := os.Stat(p); err == nil {
			bundle = p
			break
		}
	}
	if bundle == "" {
		t.Skip("no CA bundle on this machine to put in the image (Debian: apt-get install ca-certificates)")
	}
	b, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca-certificates.crt"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// requireStatic fails unless bin is a statically linked ELF file: on the empty base there is
// no dynamic loader or libc, and a dynamic binary fails with a bare "no such file or directory".
func requireStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Fatalf("%s is dynamically linked (it names a program interpreter); build it with CGO_ENABLED=0", bin)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("%s needs shared libraries %v; build it with CGO_ENABLED=0", bin, libs)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// imageConfig is the part of `podman image inspect` the checks read.
type imageConfig struct {
	User         string
	ExposedPorts map[string]struct{}
	Env          []string
	Entrypoint   []string
	Cmd          []string
	Volumes      map[string]struct{}
	WorkingDir   string
}

// healthCheck is the image's HEALTHCHECK (podman reports it beside the configuration).
type healthCheck struct{ Test []string }

// checkDeclaration reads the image's configuration: a non-root numeric user, port, volume,
// listen address and database path, and the health check (kept only in the docker format,
// hence --format docker above).
func checkDeclaration(t *testing.T, pm *podman) {
	var cfg imageConfig
	if err := json.Unmarshal([]byte(pm.must(t, time.Minute, "image", "inspect", "--format", "{{json .Config}}", image)), &cfg); err != nil {
		t.Fatal(err)
	}
	if uid, _, _ := strings.Cut(cfg.User, ":"); uid == "" || uid == "0" || uid == "root" {
		t.Errorf("image user %q: want a non-root numeric user", cfg.User)
	} else if _, err := strconv.Atoi(uid); err != nil {
		t.Errorf("image user %q is not numeric: Kubernetes' runAsNonRoot cannot verify a name", cfg.User)
	}
	if _, ok := cfg.ExposedPorts["7410/tcp"]; !ok {
		t.Errorf("exposed ports %v: want 7410/tcp", cfg.ExposedPorts)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Errorf("volumes %v: want /data", cfg.Volumes)
	}
	for _, kv := range []string{"MONITOR_HOST=0.0.0.0", "MONITOR_PORT=7410", "MONITOR_DB_PATH=/data/monitor.sqlite"} {
		if !slices.Contains(cfg.Env, kv) {
			t.Errorf("env %v: want %s", cfg.Env, kv)
		}
	}
	if got := strings.Join(append(cfg.Entrypoint, cfg.Cmd...), " "); got != "/monitor serve" {
		t.Errorf("entrypoint and cmd %q: want /monitor serve", got)
	}
	var hc *healthCheck
	if err := json.Unmarshal([]byte(pm.must(t, time.Minute, "image", "inspect", "--format", "{{json .HealthCheck}}", image)), &hc); err != nil {
		t.Fatal(err)
	}
	if hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/monitor", "healthcheck"}) {
		t.Errorf("health check %+v: want CMD /monitor healthcheck (kept only with --format docker)", hc)
	}
}

// checkContents mounts the image and lists it: the two binaries, owned by root so the
// service cannot replace them, the CA bundle, passwd and group, and an empty /data owned by
// the runtime user. Nothing else.
func checkContents(t *testing.T, pm *podman) {
	root := pm.must(t, time.Minute, "image", "mount", image)
	defer pm.must(t, time.Minute, "image", "unmount", image)
	want := map[string]string{ // path → owner uid:gid
		"data": runUser, "etc": "0:0", "etc/passwd": "0:0", "etc/group": "0:0", "etc/ssl": "0:0",
		"etc/ssl/certs": "0:0", "etc/ssl/certs/ca-certificates.crt": "0:0", "monitor": "0:0", "gulag-chief": "0:0",
	}
	got := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		st := info.Sys().(*syscall.Stat_t)
		got[rel] = fmt.Sprintf("%d:%d", st.Uid, st.Gid)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, owner := range got {
		if want[path] == "" {
			t.Errorf("unexpected %s in the image", path)
		} else if want[path] != owner {
			t.Errorf("%s is owned by %s, want %s", path, owner, want[path])
		}
	}
	for path := range want {
		if _, ok := got[path]; !ok {
			t.Errorf("%s is missing from the image", path)
		}
	}
	passwd, err := os.ReadFile(filepath.Join(root, "etc", "passwd"))
	if err != nil || !strings.Contains(string(passwd), ":65532:65532:") {
		t.Errorf("etc/passwd has no entry for the runtime user: %q %v", passwd, err)
	}
}

// checkRefusesOpenIngest: without an API key the image does not start on its public address,
// and says which variable to set.
func checkRefusesOpenIngest(t *testing.T, pm *podman) {
	args := pm.runArgs("--rm")
	for _, kv := range secrets {
		args = append(args, "--env", kv)
	}
	out, err := pm.exec(time.Minute, append(args, image)...)
	if err == nil {
		t.Fatalf("the monitor started without MONITOR_API_KEY on 0.0.0.0:\n%s", out)
	}
	if !strings.Contains(out, "MONITOR_API_KEY") || !strings.Contains(out, "ingest would be open") {
		t.Fatalf("the refusal does not name MONITOR_API_KEY:\n%s", out)
	}
}

// checkServes runs the image as docker-compose.yml does (read-only root, no capabilities, a
// named volume on /data) with the port published on loopback only.
func checkServes(t *testing.T, pm *podman) {
	pm.must(t, time.Minute, "volume", "create", "monitor-data")
	c := startContainer(t, pm, "monitor-1")
	c.checkRunsAsNonRoot(t)
	c.checkAPI(t)
	c.checkLogin(t)
	c.checkHealthcheck(t)
	c.stop(t)
	checkVolumeOwner(t, pm)

	// A new container on the same volume finds the event: the database lives on /data.
	c2 := startContainer(t, pm, "monitor-2")
	if !c2.eventListed(t, c.message) {
		t.Fatalf("the event ingested before the restart is gone: the database is not on the volume")
	}
	c2.stop(t)
}

// container is one running monitor container.
type container struct {
	pm      *podman
	name    string
	base    string
	message string // the event message checkAPI ingested
}

func startContainer(t *testing.T, pm *podman, name string) *container {
	t.Helper()
	port := testutil.FreePort(t)
	args := pm.runArgs("--detach", "--name", name, "--publish", fmt.Sprintf("127.0.0.1:%d:7410", port),
		"--read-only", "--cap-drop", "all", "--security-opt", "no-new-privileges",
		"--volume", "monitor-data:/data", "--env", "MONITOR_API_KEY="+apiKey)
	for _, kv := range secrets {
		args = append(args, "--env", kv)
	}
	pm.must(t, time.Minute, append(args, image)...)
	c := &container{pm: pm, name: name, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	c.waitHealthy(t)
	return c
}

// waitHealthy polls /v1/health for up to 30 s, failing early with the logs if the container
// exits.
func (c *container) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, body := c.request(t, "GET", "/v1/health", "", false); code == 200 {
			if !strings.Contains(body, `"ok":true`) {
				t.Fatalf("/v1/health: %s", body)
			}
			return
		}
		if state := c.pm.must(t, time.Minute, "inspect", "--format", "{{.State.Status}}", c.name); state == "exited" {
			t.Fatalf("the container exited:\n%s", c.logs(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("/v1/health did not answer within 30 s:\n%s", c.logs(t))
}

func (c *container) logs(t *testing.T) string {
	out, _ := c.pm.exec(time.Minute, "logs", c.name)
	return out
}

// request sends one request to the container; a connection error is code 0.
func (c *container) request(t *testing.T, method, path, body string, withKey bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if withKey {
		req.Header.Set("x-api-key", apiKey)
	}
	res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// checkRunsAsNonRoot reads the user of the container's process on the host: there is no shell
// in the image to ask from inside, and without a user namespace the ids are the same.
func (c *container) checkRunsAsNonRoot(t *testing.T) {
	pid := c.pm.must(t, time.Minute, "inspect", "--format", "{{.State.Pid}}", c.name)
	status, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		t.Fatalf("process %s of the container: %v", pid, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "Uid:" {
			if fields[1] == "0" {
				t.Fatalf("the monitor runs as root: %s", line)
			}
			return
		}
	}
	t.Fatalf("no Uid line in /proc/%s/status", pid)
}

// checkAPI ingests one event with the key and finds it in the event list; without the key
// ingest is refused.
func (c *container) checkAPI(t *testing.T) {
	c.message = fmt.Sprintf("container test %d", time.Now().UnixNano())
	event := `{"sourceType":"chief","eventType":"job.failed","level":"ERROR","jobName":"container-test","message":"` + c.message + `"}`
	if code, body := c.request(t, "POST", "/v1/events", event, false); code != 401 {
		t.Fatalf("ingest without the key: %d %s, want 401", code, body)
	}
	if code, body := c.request(t, "POST", "/v1/events", event, true); code != 202 || !strings.Contains(body, `"inserted":1`) {
		t.Fatalf("ingest with the key: %d %s", code, body)
	}
	if !c.eventListed(t, c.message) {
		t.Fatalf("the ingested event is not in GET /v1/events")
	}
}

// eventListed reports whether GET /v1/events lists an event with this message.
func (c *container) eventListed(t *testing.T, message string) bool {
	t.Helper()
	code, body := c.request(t, "GET", "/v1/events?jobName=container-test", "", true)
	if code != 200 {
		t.Fatalf("GET /v1/events: %d %s", code, body)
	}
	var list struct{ Events []struct{ Message string } }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("GET /v1/events: %v: %s", err, body)
	}
	return slices.ContainsFunc(list.Events, func(e struct{ Message string }) bool { return e.Message == message })
}

// checkLogin: the sign-in page answers with its form (the templates and static files are in
// the binary, so the empty image serves them).
func (c *container) checkLogin(t *testing.T) {
	code, body := c.request(t, "GET", "/login", "", false)
	if code != 200 {
		t.Fatalf("GET /login: %d", code)
	}
	for _, want := range []string{`<form method="post" action="/login"`, `name="_csrf"`, `name="email"`, `name="password"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /login has no %s", want)
		}
	}
}

// checkHealthcheck runs the image's declared health check now, instead of waiting for its
// 30 s interval: `monitor healthcheck` inside the container, against the service.
func (c *container) checkHealthcheck(t *testing.T) {
	out, err := c.pm.exec(time.Minute, "healthcheck", "run", c.name)
	if err != nil {
		t.Fatalf("podman healthcheck run: %v\n%s\n%s", err, out, c.logs(t))
	}
	if status := c.pm.must(t, time.Minute, "inspect", "--format", "{{.State.Health.Status}}", c.name); status != "healthy" {
		t.Fatalf("health status after a passing check: %q", status)
	}
}

// stop sends SIGTERM (podman stop) and expects a clean exit well before the kill.
func (c *container) stop(t *testing.T) {
	t.Helper()
	c.pm.must(t, time.Minute, "stop", "--time", "20", c.name)
	if code := c.pm.must(t, time.Minute, "inspect", "--format", "{{.State.ExitCode}}", c.name); code != "0" {
		t.Fatalf("exit code after SIGTERM: %s\n%s", code, c.logs(t))
	}
}

// checkVolumeOwner: the database files on the volume belong to the runtime user, who could
// create them because a fresh volume takes the owner of the image's /data.
func checkVolumeOwner(t *testing.T, pm *podman) {
	dir := pm.must(t, time.Minute, "volume", "inspect", "--format", "{{.Mountpoint}}", "monitor-data")
	info, err := os.Stat(filepath.Join(dir, "monitor.sqlite"))
	if err != nil {
		t.Fatalf("the database is not on the volume: %v", err)
	}
	st := info.Sys().(*syscall.Stat_t)
	if got := fmt.Sprintf("%d:%d", st.Uid, st.Gid); got != runUser {
		t.Fatalf("monitor.sqlite is owned by %s, want %s", got, runUser)
	}
}
