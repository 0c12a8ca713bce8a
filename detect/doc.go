// Package detect is the reference detector for Microsoft Security
// Advisory 954960: it reads a client's WindowsUpdate.log or a WSUS
// server's SoftwareDistribution.log and says whether the log shows the
// failure, with the lines that prove it. It is the baseline users compare
// their own tooling with, so the rules below are the contract; the
// fixtures in fixtures/logs (README.md there) are its worked examples.
//
//	f, err := os.Open(`C:\WINDOWS\WindowsUpdate.log`)
//	…
//	rep, err := detect.Analyze("WindowsUpdate.log", f)
//	if err != nil { … } // only a read error; bad input is VerdictUnrecognised
//	fmt.Println(rep.Verdict) // affected
//	for _, ev := range rep.Evidence {
//		fmt.Printf("%6d  %s\n", ev.Line, ev.Text)
//	}
//
// # Input
//
// Analyze streams its input through wsuslog.OpenLog, so it reads
// UTF-16LE with or without a byte-order mark, UTF-8 with or without one,
// and ANSI (Windows-1252); CRLF or LF; columns separated by tabs, as the
// programs write them, or by runs of spaces, as copies on web pages (the
// advisory among them) show them. Memory use does not grow with the file:
// at most MaxFaultsKept faults of each kind are kept with their lines
// (the first ones and the latest), the rest are only counted.
//
// The kind of log is decided by its lines: a line that
// wsuslog.ParseClientLine accepts counts for WindowsUpdate.log (WUA
// 7.0–7.6: date, HH:MM:SS:mmm, PID, TID, component, text), a line that
// wsuslog.ParseServerLine accepts counts for SoftwareDistribution.log;
// the kind with more such lines wins. A file with neither is
// VerdictUnrecognised, as are Windows 10 logs (Get-WindowsUpdateLog
// writes another layout) and any text that merely quotes log lines
// inside other text.
//
// A line longer than wsuslog.MaxLineSize (1 MiB) does not stop the
// analysis: its first 1 MiB is read like any other line, the rest is
// skipped with a note, and the lines after it are read as usual. Every
// Evidence line is shown with control characters escaped and is cut at
// MaxEvidenceText with a "[truncated: N more bytes]" marker.
//
// # Inputs not read in full
//
// The detector never calls a log clean, or recovered, when it has not
// read all of it: a log whose reader failed part-way (Analyze returns
// the error with the Report) or that has a line read only in part gets
// VerdictIncomplete instead, its Summary saying what the lines read
// show. What was read can still prove a fault: such a log is affected or
// other-soap-fault as usual. An input that cannot be read at all is
// VerdictIncomplete with the error.
//
// # WindowsUpdate.log rules
//
// A fault is recognised in one of two forms (fact sheet §3.3):
//
//   - WUA 7.0/7.1: a PT line "WARNING: <Op> failure, error = 0x…, soap
//     client error = 7, soap error code = …, HTTP status code = …"
//     followed by its fault dump: the PT "WARNING:" lines of the same PID
//     and TID labelled "SOAP Fault:", "faultstring:", "ErrorCode:",
//     "Message:", "Method:", "ID:", or in the advisory's Dutch rendering
//     "SOAP-fout:", "Bericht:", "De methode:". The dump ends at the first
//     other line of that PID and TID. A "<Op> failure" line with a soap
//     client error other than 7 is a transport failure, not a SOAP fault,
//     and is ignored.
//   - WUA 7.6: a WS line "WARNING: Soap fault info:" followed by the WS
//     lines of the same PID and TID ("reason:", "code:", "detail:
//     <detail><ErrorCode>…</ErrorCode>…<ID>…</ID><Method>…</Method>
//     </detail>", "Soap fault detail: errorCode='…', …", "FATAL:
//     OnCallFailure failed with hr=0X…") and the PT "PTError:" and
//     "SyncUpdates_WithRecovery failed" lines of that thread.
//
// A fault is a 954960 fault when ALL of these hold:
//
//   - WUA 7.0/7.1: the failure line is "SyncUpdates failure" with error
//     0x8024400E (WU_E_PT_SOAP_SERVER); WUA 7.6: hr 0x80244007
//     (WU_E_PT_SOAPCLIENT_SOAPFAULT) and, if a "code:" line is present,
//     code Server;
//   - the ErrorCode is InternalServerError;
//   - the Method ends in /ClientWebService/SyncUpdates.
//
// Every other SOAP fault, and a fault whose dump is incomplete (no
// ErrorCode or no Method line), is an other SOAP fault. 0x8024400E on
// any other line (AU "Failed to find updates with error code 8024400E",
// REPORT EVENT lines, the agent's "Exit code" line) is not evidence of
// anything; such mentions outside a fault are listed in Notes only.
//
// A successful sync is a PT "Synchronizing server updates" banner (or
// the Dutch "Serverupdates worden gesynchroniseerd") followed, with no
// SOAP fault in between, by the PT "Synchronizing extended update info"
// banner or an Agent "Found N updates" line.
//
// Verdict, first rule that applies:
//
//   - VerdictAffected: a 954960 fault and no successful sync after the
//     last one.
//   - VerdictRecovered: a 954960 fault, and a successful sync after the
//     last one (the server was fixed or the workaround applied).
//   - VerdictOtherSOAPFault: a SOAP fault, none of them a 954960 fault.
//   - VerdictClean: a WindowsUpdate.log without SOAP faults.
//
// (VerdictIncomplete replaces recovered and clean for a log not read in
// full; see above.)
//
// # SoftwareDistribution.log rules
//
// A 954960 fault is an Error entry whose message is the
// System.ArgumentException of Hashtable.Add, in English ("Item has
// already been added. Key in dictionary: 'N'  Key being added: 'N'") or
// in the advisory's Dutch ("Het item is reeds toegevoegd. Sleutel in
// woordenboek: Sleutel "N" wordt toegevoegd: "N""), whose stack frames
// (the continuation lines before the next entry; "at" or "bij") include
// ClientImplementation.GetSyncInfo, and which is followed on the same
// thread (w3wp.N) by a SoapUtilities "ThrowException: actor = …, ID=…,
// ErrorCode=InternalServerError" line. The duplicate key (the revision
// ID) goes to Report.Keys, the ID to the fault.
//
// Verdict: VerdictAffected when there is a 954960 fault;
// VerdictOtherSOAPFault when there are ThrowException lines but none
// belongs to a 954960 fault; VerdictClean otherwise. A server log is
// never VerdictRecovered: it does not show whether clients later synced.
//
// # Correlation
//
// Correlate compares the fault IDs of client and server reports: the ID
// a client logs in its fault dump is the ID the server logged in its
// ThrowException line, so a match ties a failing client to the server
// that failed it.
//
// # Live probe
//
// Probe runs the simulated Office 2003 client of package wuaclient
// (profile ProbeProfile) against a live server and analyses the
// WindowsUpdate.log it wrote; ProbeWith takes a client of the caller's.
// A scan that stopped before its end without a SOAP fault (the server
// could not be reached) is VerdictIncomplete, as a log not read in full
// is: the probe did not see what it was sent to see.
//
// # Command
//
// The command "wsusmock detect [--json] [--probe URL]... FILE..." is a
// thin layer over Analyze, Probe and Correlate. Its exit status is the
// first of these that applies: 10 some input is affected; 11 some input
// has another SOAP fault; 1 an input could not be read (in full) or a
// probe could not run; 13 some input is incomplete; 12 some input is
// unrecognised; 0 every input is clean or recovered. 2 is a usage error.
package detect
