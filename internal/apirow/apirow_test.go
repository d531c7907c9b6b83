package apirow

import (
	"encoding/json"
	"testing"
)

// objectOrEmptyByDecoding is the definition ObjectOrEmpty implements without decoding: the text
// when it decodes as a JSON object, {} otherwise.
func objectOrEmptyByDecoding(s string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &m) != nil || m == nil {
		return "{}"
	}
	return s
}

var metadataTexts = []string{
	`{"rows":12,"phase":"load"}`, ` {"a":[1,2,{"b":null}]} `, "\n\t{}", `{}`,
	`[1,2]`, `null`, `"text"`, `12`, `true`, ``, `   `, `{"a":`, `{"a":1}}`, `{"a":1} x`, `{'a':1}`,
	"{\"bad\":\"\xff\xfe\"}", `{"a":"\u00e9"}`, "{\"ctl\":\"\x01\"}",
}

func TestObjectOrEmptyKeepsObjectsOnly(t *testing.T) {
	for _, s := range metadataTexts {
		if got, want := string(ObjectOrEmpty(s)), objectOrEmptyByDecoding(s); got != want {
			t.Errorf("ObjectOrEmpty(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzObjectOrEmpty(f *testing.F) {
	for _, s := range metadataTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(ObjectOrEmpty(s)), objectOrEmptyByDecoding(s); got != want {
			t.Fatalf("ObjectOrEmpty(%q) = %q, want %q", s, got, want)
		}
	})
}
