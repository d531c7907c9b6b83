// Package monitorclient lets a Go program that gulag-chief runs send its own worker.message
// events to the monitor, like the Python helper gulag_chief.monitor_client and the
// `gulag-chief emit` command (all three send the same JSON).
//
// The context comes from the CHIEF_* variables gulag-chief injects: CHIEF_MONITOR_ENDPOINT,
// CHIEF_MONITOR_API_KEY, CHIEF_RUN_ID, CHIEF_JOB_NAME, CHIEF_SCRIPT_PATH and
// CHIEF_SCHEDULED_FOR. Every method returns true when the monitor accepted the event and false
// otherwise (no endpoint, monitor unreachable, HTTP error, blank message); none of them panics
// or returns an error, so instrumentation never breaks a worker.
package monitorclient
