// Package emitter delivers Chief's telemetry to the monitor without ever slowing a job down.
//
// Emit puts an event on a bounded in-memory queue and returns at once (a full queue drops the
// newest event and counts it). A background loop sends batches of up to 250 events to
// /v1/events/batch. Events that cannot be delivered (network error, timeout, 429, 5xx) are
// appended to a JSON Lines spool file and replayed, oldest first, before any newer event is
// sent, so delivery order is preserved across an outage. A batch the monitor rejects with any
// other 4xx is moved to a dead-letter file next to the spool, with a warning, and never blocks
// the events behind it. The spool is capped in size (the oldest events are dropped with a
// warning) and guarded by an advisory file lock, so several Chief processes can share it.
package emitter
