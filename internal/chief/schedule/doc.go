// Package schedule is Chief's next-run engine: a five-field cron matcher of its own and the
// Schedule type that combines a cron expression (or a runtime-only interval) with a time zone,
// start and end bounds, excluded dates and the monthly ordinal guard.
//
// Everything is evaluated in wall-clock time of the schedule's zone. A wall time that falls in a
// spring-forward gap fires once, at the first instant after the gap; a wall time that occurs twice
// on a fall-back day fires once, at its first occurrence. Schedule.Next returns the zero time when
// there is no further run.
package schedule
