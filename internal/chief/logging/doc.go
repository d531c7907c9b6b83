// Package logging is the slog handler behind Chief's log lines:
// `<YYYY-MM-DD HH:MM:SS,mmm local time> <LEVEL> <message>`, with WARNING spelled out as in
// chief.log, any attributes appended as key=value, written to every configured writer.
package logging
