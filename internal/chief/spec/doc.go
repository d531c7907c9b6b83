// Package spec describes a running Chief to the monitor: the runner's identity (a stable id
// from host and config path), the jobs of its configuration as chief.config events, and the
// configuration hash that ties heartbeats to the chief.config they belong to.
package spec
