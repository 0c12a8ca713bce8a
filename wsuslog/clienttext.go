package wsuslog

import (
	"fmt"
	"strings"
	"time"
)

// Components of WindowsUpdate.log lines used by the catalogue, spelled as
// they appear in the file (docs/protocol-facts.md §3.3).
const (
	ComponentAU    = "AU"
	ComponentAgent = "Agent"
	ComponentPT    = "PT"
)

// ManagedServiceID is the ServiceId under which WUA logs a WSUS (managed)
// server (docs/protocol-facts.md §3.3, advisory).
const ManagedServiceID = "{3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}"

// Message is a WindowsUpdate.log line before it has a time, process and
// thread: what the catalogue of ClientText returns.
type Message struct {
	Component string
	Text      string
}

// At completes m into an Entry logged at t by process pid, thread tid.
func (m Message) At(t time.Time, pid int, tid uint32) Entry {
	return Entry{Time: t, PID: pid, TID: tid, Component: m.Component, Text: m.Text}
}

// ClientText is the catalogue of Windows Update Agent 7.x message texts
// that a scan against a failing WSUS server produces, rendered in Lang.
//
// The English texts are verbatim WUA texts (docs/protocol-facts.md §3.3). LangDutch
// follows the advisory's copy where the advisory shows a line and falls
// back to English elsewhere: WUA did not localise its log, the
// translations are the advisory translator's.
//
// Hexadecimal HRESULTs are printed in the case WUA uses for each line,
// which is not consistent: upper case in "SyncUpdates failure", "Failed
// to synchronize" and "Exit code", lower case in the others.
type ClientText struct {
	Lang Lang
}

func (c ClientText) dutch() bool { return c.Lang == LangDutch }

func pt(format string, args ...any) Message {
	return Message{Component: ComponentPT, Text: fmt.Sprintf(format, args...)}
}

func agent(format string, args ...any) Message {
	return Message{Component: ComponentAgent, Text: fmt.Sprintf(format, args...)}
}

// SyncServerUpdates is the banner with which the protocol talker starts
// a SyncUpdates exchange. The Dutch banner keeps the advisory's
// spacing: two spaces before "PT:", one before the closing pluses.
func (c ClientText) SyncServerUpdates() Message {
	if c.dutch() {
		return pt("+++++++++++  PT: Serverupdates worden gesynchroniseerd +++++++++++")
	}
	return pt("+++++++++++  PT: Synchronizing server updates  +++++++++++")
}

// ServerURL is the line that follows SyncServerUpdates and names the
// client web service, e.g. http://wsus01/ClientWebService/client.asmx
// (WUA writes the path in lower case).
func (c ClientText) ServerURL(url string) Message {
	return pt("  + ServiceId = %s, Server URL = %s", ManagedServiceID, url)
}

// SyncExtendedUpdateInfo is the banner of the GetExtendedUpdateInfo
// exchange that follows a successful SyncUpdates.
func (c ClientText) SyncExtendedUpdateInfo() Message {
	return pt("+++++++++++  PT: Synchronizing extended update info  +++++++++++")
}

// SyncFault is what WUA reports about a SOAP fault answering SyncUpdates.
type SyncFault struct {
	HResult         uint32 // 0x8024400E (WU_E_PT_SOAP_SERVER) for a soap:Server fault
	SOAPClientError int    // ATL SOAPCLIENT_ERROR; 7 is SOAPCLIENT_SOAPFAULT
	SOAPErrorCode   int    // ATL SOAP_ERROR_CODE; 400 is SOAP_E_SERVER, 300 SOAP_E_CLIENT
	HTTPStatus      int    // as WUA 7.x logs it, which is 200 even for a 500 (docs/protocol-facts.md §2.3)
	FaultString     string // the server's faultstring, in the server's language
	ErrorCode       string // detail/ErrorCode, e.g. InternalServerError
	Message         string // detail/Message; empty is logged as (null)
	Method          string // detail/Method, with or without its surrounding quotes
	ID              string // detail/ID, the GUID the server also logged
}

// SyncUpdatesFault returns the seven PT lines in which WUA dumps a
// SyncUpdates fault, in the advisory's order.
//
// The detail lines carry five spaces after "WARNING:" in both languages
// because the advisory, our only real capture, shows them so (the English rendition
// in docs/protocol-facts.md §3.3 has one space: its sources normalised
// whitespace). The labels are the agent's; FaultString is the server's
// text and is printed as given.
func (c ClientText) SyncUpdatesFault(f SyncFault) []Message {
	soapFault, message, method := "SOAP Fault", "Message", "Method"
	if c.dutch() {
		soapFault, message, method = "SOAP-fout", "Bericht", "De methode"
	}
	msg := f.Message
	if msg == "" {
		msg = "(null)"
	}
	const detail = "WARNING:     "
	return []Message{
		pt("WARNING: SyncUpdates failure, error = 0x%08X, soap client error = %d, soap error code = %d, HTTP status code = %d",
			f.HResult, f.SOAPClientError, f.SOAPErrorCode, f.HTTPStatus),
		pt("WARNING: %s: 0x%06x", soapFault, f.SOAPErrorCode),
		pt(detail+"faultstring:%s", f.FaultString),
		pt(detail+"ErrorCode:%s(%d)", f.ErrorCode, ErrorCodeNumber(f.ErrorCode)),
		pt(detail+"%s:%s", message, msg),
		pt(detail+`%s:"%s"`, method, strings.Trim(f.Method, `"`)),
		pt(detail+"ID:%s", f.ID),
	}
}

// SyncFailed returns the lines that follow the fault dump as the error
// travels up from the protocol talker to the agent: four PT lines, then
// the agent's two. The order of the PT lines is that of docs/protocol-facts.md (§3.3,
// partly recalled); SyncUpdates_WithRecovery is WUA 7.6 wording that
// 7.0/7.1 may not have printed.
func (c ClientText) SyncFailed(hr uint32) []Message {
	return []Message{
		pt("WARNING: PTError: 0x%08x", hr),
		pt("WARNING: SyncUpdates_WithRecovery failed.: 0x%08x", hr),
		pt("WARNING: Sync of Updates: 0x%08x", hr),
		pt("WARNING: SyncServerUpdatesInternal failed: 0x%08x", hr),
		agent("  * WARNING: Failed to synchronize, error = 0x%08X", hr),
		agent("  * WARNING: Exit code = 0x%08X", hr),
	}
}

// AUSearchStart returns Automatic Updates' banner for a scheduled search
// and the line submitting it to the agent; callID is a braced GUID.
func (c ClientText) AUSearchStart(callID string) []Message {
	au := func(s string) Message { return Message{Component: ComponentAU, Text: s} }
	return []Message{
		au("#############"),
		au("## START ##  AU: Search for updates"),
		au("#########"),
		au("<<## SUBMITTED ## AU: Search for updates [CallId = " + callID + "]"),
	}
}

// AgentSearchStart returns the agent's banner for a search on behalf of
// callerID (AutomaticUpdates for a scheduled scan) and the lines
// describing it. The criteria line is left out when criteria is empty.
// The "Search Scope" line is taken from a WUA 7.6 log (docs/protocol-facts.md §3.3).
func (c ClientText) AgentSearchStart(callerID, criteria string) []Message {
	m := []Message{
		agent("*************"),
		agent("** START **  Agent: Finding updates [CallerId = %s]", callerID),
		agent("*********"),
		agent("  * Online = Yes; Ignore download priority = No"),
	}
	if criteria != "" {
		m = append(m, agent(`  * Criteria = "%s"`, criteria))
	}
	return append(m,
		agent("  * ServiceID = %s Managed", ManagedServiceID),
		agent("  * Search Scope = {Machine}"),
	)
}

// AgentSearchEnd returns the agent's closing banner for a search.
func (c ClientText) AgentSearchEnd(callerID string) []Message {
	return []Message{
		agent("*********"),
		agent("**  END  **  Agent: Finding updates [CallerId = %s]", callerID),
		agent("*************"),
	}
}

// SearchFailed is the agent's last word on a failed search.
func (c ClientText) SearchFailed(hr uint32) Message {
	return agent("WARNING: WU client failed Searching for update with error 0x%08x", hr)
}
