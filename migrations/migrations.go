// Package migrations holds the numbered, append-only SQL migrations of the monitor, one folder
// per SQL dialect, embedded into the binary and applied at start by internal/store.
package migrations

import "embed"

// SQLite holds the migrations for the embedded SQLite database.
//
//go:embed sqlite/*.sql
var SQLite embed.FS

// Postgres holds the migrations for PostgreSQL, numbered like SQLite's.
//
//go:embed postgres/*.sql
var Postgres embed.FS
