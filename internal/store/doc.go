// Package store is the monitor's persistence layer: one concrete *Store over a SQL database
// (embedded SQLite by default), the embedded migrations, read queries through gorm, and a
// write-side *Tx with prepared statements for the hot ingest and engine path.
package store
