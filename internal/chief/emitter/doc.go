// Package emitter delivers Chief's telemetry to the monitor without ever slowing a job down.
//
// Emit puts an event on a bounded in-memory queue and returns at once (a full queue drops the
// newest event and counts it). A background loop sends batches of up to 250 events to
// /v1/events/batch. Events that cannot be delivered (network error, timeout, redirect, 401,
// 403, 404, 408, 429, 502, 503, 504, 507, and any 5xx the first times) are appended to a JSON
// Lines spool file and replayed, oldest first, before any newer event is sent, so delivery order
// is preserved across an outage.
//
// One bad event must not hold back the others. A batch refused with another 4xx (400, 413, ...)
// is split in halves until the events at fault are alone; those go to a dead-letter file next to
// the spool and the rest is delivered. A batch refused three times in a row with the same other
// 5xx is split the same way, three refusals per step; an event refused alone three times is set
// aside once the event behind it is delivered on its own (which shows that the monitor works:
// in an outage nothing is set aside). Dead-letter records hold the event, the status, the start
// of the response and the time. Spool and dead-letter file are capped in size (the oldest lines
// are dropped with a warning) and guarded by an advisory file lock, so several Chief processes
// can share them.
package emitter
