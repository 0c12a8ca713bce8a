package wsuslog

import (
	"strconv"
	"unicode/utf8"
)

// MaxValueLen bounds one value taken from outside the program (a client
// ID, an endpoint URL built from a Host header, a fault message, a
// thread or component name) in a log line, counted in bytes after
// escaping. A longer value is cut and ends in a marker such as
// "[truncated: 1048000 more bytes]", so a line stays a line whatever a
// client sent, and a reader of the log sees that something was cut.
const MaxValueLen = 1024

// MaxTextLen bounds one line of free text: a line of a server entry's
// message, or the text column of a WindowsUpdate.log line. The
// program's own texts are far shorter; the bound is for text that
// quotes a server's or a client's reply.
const MaxTextLen = 4096

// EscapeText returns s as a log writer here would write free text: with
// control characters other than tab escaped and cut at limit bytes with a
// "[truncated: N more bytes]" marker. Readers of logs use it to show a
// line on a terminal or in a report without letting it run on.
func EscapeText(s string, limit int) string {
	if len(s) <= limit && plainText(s) {
		return s
	}
	return string(appendEscaped(nil, s, limit, true))
}

// plainText reports whether s is valid UTF-8 without characters that
// appendEscaped escapes in free text.
func plainText(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || (r < 0x20 && r != '\t') || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// appendEscaped appends s so that it cannot end or split a log line:
// control characters (CR and LF among them), the Unicode line and
// paragraph separators and bytes that are not UTF-8 become \r, \n, \t,
// \xNN or \uNNNN escapes. A tab is kept as it is when keepTab is set (the
// message column may hold tabs; the columns before it may not). The
// escaped text is cut at limit bytes, marker included.
//
// The escape is for readers, not for decoding: backslashes are left as
// they are, since Windows paths are common in both logs.
func appendEscaped(b []byte, s string, limit int, keepTab bool) []byte {
	if len(s) <= limit && plainASCII(s) {
		return append(b, s...)
	}
	var esc [8]byte
	budget := limit
	if escapedLenExceeds(s, limit, keepTab) {
		// Room for the marker, whatever number it ends up holding.
		budget = limit - truncationMarkerLen(len(s))
	}
	used := 0
	for i := 0; i < len(s); {
		form, size := escapeRune(esc[:0], s[i:], keepTab)
		if used+len(form) > budget {
			return appendTruncationMarker(b, len(s)-i)
		}
		b = append(b, form...)
		used += len(form)
		i += size
	}
	return b
}

// plainASCII reports whether s is printable ASCII only, the common case
// that needs no escape.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// escapedLenExceeds reports whether s escaped is longer than limit.
func escapedLenExceeds(s string, limit int, keepTab bool) bool {
	if len(s) > limit {
		return true
	}
	var esc [8]byte
	n := 0
	for i := 0; i < len(s); {
		form, size := escapeRune(esc[:0], s[i:], keepTab)
		n += len(form)
		i += size
	}
	return n > limit
}

// escapeRune appends to form the escaped first character of s and
// returns it with the number of bytes of s it stands for.
func escapeRune(form []byte, s string, keepTab bool) ([]byte, int) {
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && size == 1:
		return appendHexByte(append(form, `\x`...), s[0]), 1
	case r == '\t' && keepTab:
		return append(form, '\t'), 1
	case r == '\t':
		return append(form, `\t`...), 1
	case r == '\n':
		return append(form, `\n`...), 1
	case r == '\r':
		return append(form, `\r`...), 1
	case r < 0x20 || r == 0x7f:
		return appendHexByte(append(form, `\x`...), byte(r)), 1
	case r >= 0x80 && r < 0xa0, r == '\u2028', r == '\u2029':
		form = append(form, `\u`...)
		form = appendHexByte(form, byte(r>>8))
		return appendHexByte(form, byte(r)), size
	}
	return append(form, s[:size]...), size
}

func appendHexByte(b []byte, c byte) []byte {
	const hex = "0123456789abcdef"
	return append(b, hex[c>>4], hex[c&0xf])
}

// The marker that ends a cut value, e.g. "[truncated: 12 more bytes]";
// the count is of bytes of the original value that were left out.
const (
	truncationPrefix = "[truncated: "
	truncationSuffix = " more bytes]"
)

func truncationMarkerLen(rest int) int {
	return len(truncationPrefix) + len(strconv.Itoa(rest)) + len(truncationSuffix)
}

func appendTruncationMarker(b []byte, rest int) []byte {
	b = append(b, truncationPrefix...)
	b = strconv.AppendInt(b, int64(rest), 10)
	return append(b, truncationSuffix...)
}
