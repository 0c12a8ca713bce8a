// Package wsuslog writes and reads the two log files in which the
// KB954960 failure shows itself: the server's SoftwareDistribution.log
// (WSUS 3.0, fact sheet §3.4) and the client's WindowsUpdate.log
// (Windows Update Agent 7.x, fact sheet §3.3).
//
// Both formats come in two renderings. LangEnglish is the format as the
// products write it. LangDutch reproduces the copy printed in the Dutch
// edition of Security Advisory 954960, the only capture of the failing
// scan we have, so that a mock run can be compared with it line by line
// (see ../shared/reference/advisory-954960-nl.md beside this repository).
//
// The server side, as the mock's web service logs a failing SyncUpdates:
//
//	sdlog := wsuslog.NewServerLog(f, wsuslog.LangEnglish, time.Now)
//	sdlog.Request("w3wp.12", "SyncUpdates", clientID)
//	sdlog.DuplicateKey("w3wp.12", "8862")
//	sdlog.ThrowException("w3wp.12", actor, faultID, "InternalServerError", "", clientID)
//	err := sdlog.Close()
//
// The client side, as a simulated agent logs the fault it received:
//
//	text := wsuslog.ClientText{Lang: wsuslog.LangEnglish}
//	w := wsuslog.NewClientLogWriter(f)
//	var block []wsuslog.Entry
//	for _, m := range text.SyncUpdatesFault(fault) {
//		block = append(block, m.At(now, 788, 0xee4))
//	}
//	err := w.Log(block...)
//
// Both writers escape what they are given, since much of it comes from
// the other side of the wire (a client ID, a Host header, a server's fault
// text): control characters, CR and LF among them, are written as \r,
// \n, \xNN, and a value is cut at MaxValueLen (a line of text at
// MaxTextLen) with a "[truncated: N more bytes]" marker. One call is
// one entry, whatever the values hold; only ServerLog.Log's message, the
// program's own text, may span lines (a stack trace).
//
// A detector reads either file with OpenLog, which copes with the
// encodings the files are found in (UTF-16LE, UTF-8, Windows-1252), and
// turns lines into records with ParseServerLine and ParseClientLine.
// The parsers accept tabs or runs of spaces between columns, because
// copies of these logs on web pages (the advisory among them) collapse
// the tabs.
// A line longer than MaxLineSize is not an error: the Reader yields its
// first MaxLineSize bytes, Cut says how much was left out, and reading
// goes on with the next line.
package wsuslog
