package telemetry

import "time"

// Input limits of one event. The monitor answers 400 for an event over any of them, and shows
// values stored before the limits existed cut to them; producers may trim to them before sending.
const (
	// MaxTextBytes bounds every short text field: sourceType, eventType, level, eventAt,
	// jobName, scriptPath, runId and scheduledFor (eventId has its own 128-character rule).
	MaxTextBytes = 512
	// MaxMessageBytes bounds message.
	MaxMessageBytes = 16 * 1024
	// MaxMetadataBytes bounds the compact JSON of metadata.
	MaxMetadataBytes = 64 * 1024
	// MaxMetadataDepth bounds how deeply metadata nests objects and arrays (the metadata object
	// itself is level 1): deeper documents break common JSON readers.
	MaxMetadataDepth = 32
	// MaxFutureSkew is how far after its receipt an eventAt may lie and still count as the
	// event's time for check state; a later one is taken to be a producer clock error.
	MaxFutureSkew = 5 * time.Minute
)
