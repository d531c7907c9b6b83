// Package services holds the monitor's business rules: event ingest through a group-committing
// writer, the check/alert state engine, the periodic evaluator, retention and the status views.
// Rules that decide are pure (rules.go) and take the time as an argument; loops split into
// Tick(ctx, now) and Run(ctx).
package services
