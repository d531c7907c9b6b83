// Package python embeds the stdlib-only Python worker helper (gulag_chief.monitor_client) so
// that gulag-chief can put it on the PYTHONPATH of the scripts it runs, wherever the binary
// was built or installed.
package python

import "embed"

// Files holds gulag_chief/*.py and monitor_client.py, the reference's module name.
//
//go:embed gulag_chief/*.py monitor_client.py
var Files embed.FS
