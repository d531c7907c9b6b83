// Package daemon is Chief's scheduler loop. Each poll it collects finished runs, turns every
// job's elapsed fire time into a trigger (several missed fire times of one job coalesce into
// one), applies the job's overlap policy (skip, queue or parallel), and dispatches waiting
// triggers in arrival order while at most max_parallel_jobs different jobs run at once (1, the
// default, is Chief's global exclusivity; 0 is unlimited). A job already running never jumps
// ahead of another job that is waiting, so no job can starve the others.
//
// With Options.Reload the loop also reloads chief.yaml on SIGHUP and when the file changes; a
// valid file replaces the jobs for future scheduling, an invalid one is logged and ignored.
//
// The loop reads time only through its Clock, and Tick takes the poll's "now", so tests drive
// it with fixed times.
package daemon
