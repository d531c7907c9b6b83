package telemetry

import "strings"

// Limits of a job's tags, the same for Chief (which refuses a chief.yaml that breaks them) and
// the monitor (which drops a tag that breaks them): a tag is a short word of letters, digits and
// ._:/- so that it reads well in a filter and in a URL.
const (
	MaxTags     = 20
	MaxTagBytes = 64
)

// ValidTag reports whether s is a well-formed tag.
func ValidTag(s string) bool {
	if s == "" || len(s) > MaxTagBytes {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/-", r))
	})
}
