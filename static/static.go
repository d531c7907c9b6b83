// Package static embeds the dashboard's browser assets: the vendored htmx, app.css and app.js.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sort"
)

// FS holds the files served under /static/.
//
//go:embed htmx.min.js app.css app.js
var FS embed.FS

// Version is a short content hash of every embedded asset, used as a cache-busting query string
// so the assets can be served with an immutable, one-year cache.
func Version() string {
	h := sha256.New()
	names, _ := fs.Glob(FS, "*") // the pattern is constant and valid
	sort.Strings(names)
	for _, n := range names {
		b, _ := FS.ReadFile(n) // embedded files are always readable
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
