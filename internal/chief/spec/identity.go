package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"runtime/debug"

	"github.com/gulag/chief-monitor/internal/telemetry"
)

// version is set at link time (-ldflags "-X github.com/gulag/chief-monitor/internal/chief/spec.version=v1.2.3");
// otherwise the module version the Go toolchain stamped into the binary is used.
var version string

// Version returns the binary's version string, "(devel)" when nothing better is known.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// RunnerID identifies one Chief installation: hex of the first 16 bytes of
// SHA-256(host + "\n" + configPath). The same config on the same host keeps its id across
// restarts; two configs on one host, or one config on two hosts, get different ids.
func RunnerID(host, configPath string) string {
	sum := sha256.Sum256([]byte(host + "\n" + configPath))
	return hex.EncodeToString(sum[:16])
}

// Hostname is os.Hostname, or "unknown" when the system cannot tell.
func Hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}

// Identity is what chief.heartbeat and chief.config say about the process.
type Identity struct {
	RunnerID   string
	Host       string
	PID        int
	Version    string
	Mode       string // "run" or "daemon"
	ConfigPath string // absolute
	// PollSeconds is the daemon's poll interval; 0 for run, sent as null.
	PollSeconds      int
	HeartbeatSeconds int
}

// NewIdentity fills an Identity for this process.
func NewIdentity(mode, configPath string, pollSeconds, heartbeatSeconds int) Identity {
	host := Hostname()
	return Identity{RunnerID: RunnerID(host, configPath), Host: host, PID: os.Getpid(), Version: Version(), Mode: mode,
		ConfigPath: configPath, PollSeconds: pollSeconds, HeartbeatSeconds: heartbeatSeconds}
}

func (id Identity) poll() any {
	if id.PollSeconds <= 0 {
		return nil
	}
	return id.PollSeconds
}

// HeartbeatMeta is the metadata chief.heartbeat adds to its interval, mode and pid.
func (id Identity) HeartbeatMeta(configHash string) map[string]any {
	return map[string]any{telemetry.MetaRunnerID: id.RunnerID, telemetry.MetaHost: id.Host, telemetry.MetaPID: id.PID,
		telemetry.MetaVersion: id.Version, telemetry.MetaMode: id.Mode, telemetry.MetaConfigHash: configHash,
		telemetry.MetaPollIntervalSeconds: id.poll()}
}

// configMeta is the metadata every chief.config part carries besides jobs, part and parts.
func (id Identity) configMeta(configHash string) map[string]any {
	m := id.HeartbeatMeta(configHash)
	m[telemetry.MetaConfigPath] = id.ConfigPath
	m[telemetry.MetaHeartbeatSeconds] = id.HeartbeatSeconds
	return m
}
