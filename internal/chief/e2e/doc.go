// Package e2e holds the end-to-end test of gulag-chief against the real monitor binary: the
// daemon runs the sample jobs, the monitor reports them UP, the monitor is stopped and
// restarted on the same database, and every event arrives exactly once.
package e2e
