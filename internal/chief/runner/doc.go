// Package runner executes Chief jobs: each script in its own process group with the CHIEF_*
// context variables injected, a wall-clock timeout that kills the whole group, and bounded
// capture of stdout and stderr. RunJob emits the job's lifecycle telemetry and logs the lines
// operators know from chief.log.
package runner
