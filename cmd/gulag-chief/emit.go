package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/monitorclient"
)

// emit sends one worker.message: `gulag-chief emit [--level L] MESSAGE [key=value ...]`.
// Values that parse as JSON (numbers, true/false/null, quoted strings, objects, arrays) are
// sent as JSON; anything else as a string. It exits 0 whether or not the event was delivered
// (so instrumentation never fails a shell worker) unless --strict is given.
func (a *app) emit() (int, error) {
	if len(a.args.pos) == 0 {
		return exitUsage, &usageError{cmd: a.args.cmd, msg: "the following arguments are required: MESSAGE"}
	}
	level := strings.ToUpper(strings.TrimSpace(a.args.flags["level"]))
	switch level {
	case "":
		level = telemetry.LevelInfo
	case "WARNING":
		level = telemetry.LevelWarn
	}
	if !slices.Contains(telemetry.Levels, level) {
		return exitUsage, &usageError{cmd: a.args.cmd, msg: fmt.Sprintf("argument --level: invalid choice: '%s' (choose from %s)", a.args.flags["level"], strings.Join(telemetry.Levels, ", "))}
	}
	meta := map[string]any{}
	for _, kv := range a.args.pos[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return exitUsage, &usageError{cmd: a.args.cmd, msg: fmt.Sprintf("metadata must be key=value, got '%s'", kv)}
		}
		var parsed any
		if err := json.Unmarshal([]byte(v), &parsed); err == nil {
			meta[k] = parsed
		} else {
			meta[k] = v
		}
	}
	timeout, err := a.args.intFlag("timeout-ms", 400)
	if err != nil {
		return exitUsage, err
	}
	c := monitorclient.New(monitorclient.WithEndpoint(a.args.flags["endpoint"]), monitorclient.WithAPIKey(a.args.flags["api-key"]),
		monitorclient.WithTimeout(time.Duration(timeout)*time.Millisecond))
	if !c.Send(level, a.args.pos[0], meta) && a.args.has("strict") {
		return exitFailure, nil
	}
	return exitOK, nil
}
