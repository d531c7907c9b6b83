// Command gulag-chief runs scheduled jobs of scripts and reports their lifecycle to the
// monitor service.
//
//	gulag-chief [--config PATH] validate | preview | run | daemon | export-cron | emit
//
// See docs/chief.md for the commands, the chief.yaml reference and the schedule DSL.
package main
