package wsuslog

import (
	"strings"
	"time"
)

// ServerEntry is the first line of one SoftwareDistribution.log entry.
// Stack frames that follow an Error entry are separate lines; see
// ParseFrameLine.
type ServerEntry struct {
	Time    time.Time // UTC
	Level   Level
	Thread  string // w3wp.<n> for web-service threads, WsusService.<n> for the service
	Source  string // Class.Method, e.g. ClientImplementation.SyncUpdates
	Message string
}

// Format returns the entry as ServerLog writes it in lang, without the
// final line ending. Newlines in Message become CRLF continuation lines.
func (e ServerEntry) Format(lang Lang) string {
	return string(appendServerEntry(nil, lang, e.Time, e.Level, e.Thread, e.Source, e.Message))
}

// ParseServerLine parses the first line of a SoftwareDistribution.log
// entry. It accepts tabs or runs of spaces between the columns, a period
// or a comma before the milliseconds, and a missing "UTC" column (some
// published copies drop it); the time is taken as UTC either way. The
// level must be one of the four WSUS writes, which keeps stack-frame and
// other continuation lines from parsing. Message is the rest of the line
// after the separator that follows Class.Method.
func ParseServerLine(s string) (ServerEntry, bool) {
	s = strings.TrimRight(s, "\r\n")
	date, rest := cutField(s)
	clock, rest := cutField(rest)
	t, err := time.Parse("2006-01-02 15:04:05", date+" "+clock)
	if err != nil {
		return ServerEntry{}, false
	}
	level, rest := cutField(rest)
	if level == "UTC" {
		level, rest = cutField(rest)
	}
	switch Level(level) {
	case LevelInfo, LevelChange, LevelWarning, LevelError:
	default:
		return ServerEntry{}, false
	}
	thread, rest := cutField(rest)
	source, rest := cutField(rest)
	if thread == "" || source == "" {
		return ServerEntry{}, false
	}
	return ServerEntry{
		Time:    t.UTC(),
		Level:   Level(level),
		Thread:  thread,
		Source:  source,
		Message: strings.TrimRight(rest, " \t"),
	}, true
}

// ParseFrameLine recognises a .NET stack-frame continuation line
// ("   at System.Collections.Hashtable.Add(Object key, Object value)")
// and returns the frame without indentation and "at ". It also accepts
// the Dutch .NET runtime's "bij", which a Dutch server would print,
// though the advisory's copy shows "at".
func ParseFrameLine(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, p := range []string{"at ", "bij "} {
		if f, ok := strings.CutPrefix(s, p); ok && f != "" {
			return strings.TrimSpace(f), true
		}
	}
	return "", false
}

// cutField returns the text up to the first tab or space and the rest
// after the whole run of separators that follows it. Leading separators
// are skipped.
func cutField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}
