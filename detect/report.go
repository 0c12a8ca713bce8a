package detect

// Verdict is what a log says about advisory 954960.
type Verdict string

// The verdicts, from the most to the least serious; the package doc
// gives the rules.
const (
	VerdictAffected       Verdict = "affected"
	VerdictOtherSOAPFault Verdict = "other-soap-fault"
	// VerdictIncomplete is a log that could not be read to its end (a
	// read error, or a line longer than wsuslog.MaxLineSize read only in
	// part) and whose lines read show no fault: it is not known to be
	// clean.
	VerdictIncomplete   Verdict = "incomplete"
	VerdictRecovered    Verdict = "recovered"
	VerdictUnrecognised Verdict = "unrecognised"
	VerdictClean        Verdict = "clean"
)

// Kind is the kind of log an input was recognised as.
type Kind string

// The kinds of log Analyze knows. KindUnknown is an input that is
// neither.
const (
	KindClient  Kind = "WindowsUpdate.log"
	KindServer  Kind = "SoftwareDistribution.log"
	KindUnknown Kind = "unknown"
)

// MaxFaultsKept bounds how many faults of each class (954960 faults,
// other SOAP faults) a Report keeps with their evidence: the first
// MaxFaultsKept-1 and the latest. Further faults are counted in
// Report.FaultCount but not kept, so a log of a client that failed every
// scan for a year costs no more memory than one that failed twice.
const MaxFaultsKept = 8

// maxKeys bounds Report.Keys for the same reason.
const maxKeys = 32

// Report is the analysis of one input.
type Report struct {
	// Name identifies the input (a file name, or "probe <url>").
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Encoding is the character encoding the input was read in.
	Encoding string `json:"encoding,omitempty"`
	// Lines is the number of lines read; Recognised how many of them
	// parsed as lines of Kind.
	Lines      int `json:"lines"`
	Recognised int `json:"recognisedLines"`

	Verdict Verdict `json:"verdict"`
	// Summary is one sentence explaining Verdict.
	Summary string `json:"summary"`
	// Evidence is the lines that support Verdict, in file order. A line
	// longer than MaxEvidenceText is cut, with a marker.
	Evidence []Evidence `json:"evidence"`

	// Faults are the SOAP faults found (at most MaxFaultsKept of each
	// class); FaultCount counts them all.
	Faults     []Fault `json:"faults,omitempty"`
	FaultCount int     `json:"faultCount"`
	// Keys are the duplicate revision keys of a server log's 954960
	// faults, e.g. "8862".
	Keys []string `json:"keys,omitempty"`
	// Notes are observations that do not change the verdict: mentions of
	// 0x8024400E outside a fault, incomplete fault dumps, a line too long
	// to read.
	Notes []string `json:"notes,omitempty"`
	// Correlations and UnmatchedFaultIDs are filled in by Correlate.
	Correlations      []Correlation `json:"correlations,omitempty"`
	UnmatchedFaultIDs []string      `json:"unmatchedFaultIDs,omitempty"`
}

// Evidence is one line of the input.
type Evidence struct {
	Line int    `json:"line"` // 1-based
	Text string `json:"text"` // decoded, without line ending
}

// Fault is one SOAP fault found in a log.
type Fault struct {
	// Line is where the fault starts: the "SyncUpdates failure" or "Soap
	// fault info" line of a client log, the exception entry or the
	// ThrowException line of a server log.
	Line int `json:"line"`
	// KB954960 is whether the fault satisfies the 954960 rules.
	KB954960  bool   `json:"kb954960"`
	ErrorCode string `json:"errorCode,omitempty"`
	// Method is the SOAPAction without quotes (client logs only; the
	// server's ThrowException line does not name it).
	Method string `json:"method,omitempty"`
	// HResult is the agent's error code, e.g. 0x8024400E (client logs).
	HResult string `json:"hresult,omitempty"`
	// FaultCode is the SOAP faultcode: Server or Client (WUA 7.6 logs,
	// or derived from the soap error code 400/300 of WUA 7.0/7.1).
	FaultCode string `json:"faultcode,omitempty"`
	// ID is the GUID the server put in the fault and in its own log.
	ID string `json:"id,omitempty"`
	// Key is the duplicate revision key (server 954960 faults).
	Key string `json:"key,omitempty"`
	// Lines are the line numbers of the fault's evidence.
	Lines []int `json:"lines"`
}

// Correlation says which of a report's fault IDs (see FaultIDs) a report
// of the other kind also holds.
type Correlation struct {
	// With is the Name of the other report.
	With string `json:"with"`
	// Matched are the shared fault IDs.
	Matched []string `json:"matched"`
}

// FaultIDs returns the IDs of the report's 954960 faults, or of all its
// faults when it has no 954960 fault, without duplicates, in order.
func (r Report) FaultIDs() []string {
	var ids []string
	seen := map[string]bool{}
	kb := false
	for _, f := range r.Faults {
		kb = kb || f.KB954960
	}
	for _, f := range r.Faults {
		if f.ID == "" || seen[f.ID] || (kb && !f.KB954960) {
			continue
		}
		seen[f.ID] = true
		ids = append(ids, f.ID)
	}
	return ids
}

// severity orders verdicts for Worst: higher is worse.
func (v Verdict) severity() int {
	switch v {
	case VerdictAffected:
		return 5
	case VerdictOtherSOAPFault:
		return 4
	case VerdictIncomplete:
		return 3
	case VerdictUnrecognised:
		return 2
	case VerdictRecovered:
		return 1
	}
	return 0
}

// Worst returns the most serious verdict of reports (affected, then
// other-soap-fault, incomplete, unrecognised, recovered, clean);
// VerdictClean for none.
func Worst(reports []Report) Verdict {
	w := VerdictClean
	for _, r := range reports {
		if r.Verdict.severity() > w.severity() {
			w = r.Verdict
		}
	}
	return w
}
