package apirow

import (
	"strconv"

	"github.com/gulag/chief-monitor/internal/telemetry"
)

// Rows stored before the input limits existed (or written around them) can be of any size, and
// every response that shows one goes through Message and MetadataJSON, so that one huge row
// cannot make a list, a status answer or a page huge.

// Message is s, or when it is over telemetry.MaxMessageBytes its start cut there (at a UTF-8
// boundary) followed by "… [truncated N bytes]", N being the bytes left out.
func Message(s string) string {
	if len(s) <= telemetry.MaxMessageBytes {
		return s
	}
	kept := telemetry.CutUTF8(s, telemetry.MaxMessageBytes)
	return kept + "… [truncated " + strconv.Itoa(len(s)-len(kept)) + " bytes]"
}

// MetadataJSON is the stored metadata text s, or when it is over telemetry.MaxMetadataBytes the
// object {"truncated":true,"bytes":N}, N being its size.
func MetadataJSON(s string) string {
	if len(s) <= telemetry.MaxMetadataBytes {
		return s
	}
	return `{"truncated":true,"bytes":` + strconv.Itoa(len(s)) + `}`
}
