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
	ComponentSetup = "Setup"
	ComponentMisc  = "Misc"
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
	// Agent is the agent's version, e.g. "7.1.6001.65". It picks the
	// wording where WUA 7.0/7.1 and 7.6 differ; empty means 7.6.
	Agent string
}

func (c ClientText) dutch() bool { return c.Lang == LangDutch }

// before76 reports whether Agent names a WUA older than 7.6.
func (c ClientText) before76() bool {
	var major, minor int
	if _, err := fmt.Sscanf(c.Agent, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major < 7 || major == 7 && minor < 6
}

func pt(format string, args ...any) Message {
	return Message{Component: ComponentPT, Text: fmt.Sprintf(format, args...)}
}

func agent(format string, args ...any) Message {
	return Message{Component: ComponentAgent, Text: fmt.Sprintf(format, args...)}
}

func setup(format string, args ...any) Message {
	return Message{Component: ComponentSetup, Text: fmt.Sprintf(format, args...)}
}

func misc(format string, args ...any) Message {
	return Message{Component: ComponentMisc, Text: fmt.Sprintf(format, args...)}
}

func au(format string, args ...any) Message {
	return Message{Component: ComponentAU, Text: fmt.Sprintf(format, args...)}
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

// SyncFault is what WUA reports about a SOAP fault answering an operation.
type SyncFault struct {
	HResult         uint32 // 0x8024400E (WU_E_PT_SOAP_SERVER) for a soap:Server fault
	SOAPClientError int    // ATL SOAPCLIENT_ERROR; 7 is SOAPCLIENT_SOAPFAULT
	SOAPErrorCode   int    // ATL SOAP_ERROR_CODE; 400 is SOAP_E_SERVER, 300 SOAP_E_CLIENT
	// HTTPStatus is the status as WUA 7.x logs it. For a SOAP fault that is
	// 200 whatever the wire carried: every public WUA 7.x line with "soap
	// client error = 7" says "HTTP status code = 200", though ASP.NET sent
	// every SoapException with 500 (advisory 954960; docs/protocol-facts.md §2.3).
	// Use FaultLoggedStatus.
	HTTPStatus  int
	FaultString string // the server's faultstring, in the server's language
	ErrorCode   string // detail/ErrorCode, e.g. InternalServerError
	// ErrorNumber is the number WUA prints after the name,
	// "ErrorCode:InternalServerError(5)": wusp.ErrorCode.Number.
	ErrorNumber int
	Message     string // detail/Message; empty is logged as (null)
	Method      string // detail/Method, with or without its surrounding quotes
	ID          string // detail/ID, the GUID the server also logged
}

// FaultLoggedStatus is the HTTP status WUA 7.x writes in the first line of
// a SOAP fault's dump, whatever status carried the fault (see
// SyncFault.HTTPStatus). A reply that is not a SOAP fault is logged with
// its real status (TransportFailure).
const FaultLoggedStatus = 200

// SyncUpdatesFault returns the seven PT lines in which WUA dumps a
// SyncUpdates fault, in the advisory's order: OperationFault of
// "SyncUpdates".
func (c ClientText) SyncUpdatesFault(f SyncFault) []Message {
	return c.OperationFault("SyncUpdates", f)
}

// OperationFault returns the seven PT lines in which WUA dumps a SOAP
// fault answering op; the first line names the operation ("GetCookie
// failure, error = …"), the rest are the same for every operation.
//
// The detail lines carry five spaces after "WARNING:" in both languages
// because the advisory, our only real capture, shows them so (the English rendition
// in docs/protocol-facts.md §3.3 has one space: its sources normalised
// whitespace). The labels are the agent's; FaultString is the server's
// text and is printed as given.
func (c ClientText) OperationFault(op string, f SyncFault) []Message {
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
		pt("WARNING: %s failure, error = 0x%08X, soap client error = %d, soap error code = %d, HTTP status code = %d",
			op, f.HResult, f.SOAPClientError, f.SOAPErrorCode, f.HTTPStatus),
		pt("WARNING: %s: 0x%06x", soapFault, f.SOAPErrorCode),
		pt(detail+"faultstring:%s", f.FaultString),
		pt(detail+"ErrorCode:%s(%d)", f.ErrorCode, f.ErrorNumber),
		pt(detail+"%s:%s", message, msg),
		pt(detail+`%s:"%s"`, method, strings.Trim(f.Method, `"`)),
		pt(detail+"ID:%s", f.ID),
	}
}

// SyncFailed returns the lines that follow a SyncUpdates fault's dump:
// OperationFailed of "SyncUpdates".
func (c ClientText) SyncFailed(hr uint32) []Message {
	return c.OperationFailed("SyncUpdates", hr)
}

// OperationFailed returns the lines that follow the dump of a failed op as
// the error travels up from the protocol talker to the agent: four PT
// lines, then the agent's two. The order of the PT lines is that of
// docs/protocol-facts.md (§3.3, partly recalled). The "_WithRecovery" line names the
// failed operation, in the wording of the agent's version: WUA 7.6 writes
// "SyncUpdates_WithRecovery failed.: 0x…", WUA 7.0/7.1 "GetCookie_WithRecovery
// failed : 0x…", a space where 7.6 has a period.
func (c ClientText) OperationFailed(op string, hr uint32) []Message {
	recovery := pt("WARNING: %s_WithRecovery failed.: 0x%08x", op, hr)
	if c.before76() {
		recovery = pt("WARNING: %s_WithRecovery failed : 0x%08x", op, hr)
	}
	return []Message{
		pt("WARNING: PTError: 0x%08x", hr),
		recovery,
		pt("WARNING: Sync of Updates: 0x%08x", hr),
		pt("WARNING: SyncServerUpdatesInternal failed: 0x%08x", hr),
		agent("  * WARNING: Failed to synchronize, error = 0x%08X", hr),
		agent("  * WARNING: Exit code = 0x%08X", hr),
	}
}

// TransportFailure is the first line WUA writes for a call answered by
// no SOAP fault: the fault line's shape with soap error code 0 and the
// HTTP status that came, e.g. "soap client error = 10, soap error code =
// 0, HTTP status code = 503" for a 503 (0 when no reply came).
func (c ClientText) TransportFailure(op string, hr uint32, soapClientError, httpStatus int) Message {
	return pt("WARNING: %s failure, error = 0x%08X, soap client error = %d, soap error code = 0, HTTP status code = %d",
		op, hr, soapClientError, httpStatus)
}

// SelfUpdateCheck returns the lines with which the agent starts its
// self-update check, before the protocol talker's first call; version
// is the agent's file version, e.g. 7.1.6001.65 (WindowsUpdate.log of
// 2008-07-14, WUA 7.1.6001.65; docs/protocol-facts.md §3.3).
func (c ClientText) SelfUpdateCheck(version string) []Message {
	return []Message{
		setup("Checking for agent SelfUpdate"),
		setup("Client version: Core: %s  Aux: %s", version, version),
	}
}

// SelfUpdateNotRequired ends a self-update check that found the agent
// current.
func (c ClientText) SelfUpdateNotRequired() Message {
	return setup("SelfUpdate check completed.  SelfUpdate is NOT required.")
}

// SelfUpdateFailed returns the lines of a self-update check whose
// wuident.cab could not be fetched from url, and the agent skipping the
// scan: winHTTP is the transport's code (0x80190194 for a 404), hr the
// agent's (0x80244019, WU_E_PT_HTTP_STATUS_NOT_FOUND). The lines and
// their hex case are those of a WSUS 3.0 SP1 client in March 2008 whose
// server lacked the SelfUpdate directory; the scan is skipped, so no
// SyncUpdates follows.
func (c ClientText) SelfUpdateFailed(url string, winHTTP, hr uint32) []Message {
	return []Message{
		misc("WARNING: WinHttp: SendRequestToServerForFileInformation failed with 0x%08x", winHTTP),
		misc("WARNING: WinHttp: ShouldFileBeDownloaded failed with 0x%08x", winHTTP),
		misc("WARNING: DownloadFileInternal failed for %s: error 0x%08x", url, winHTTP),
		setup("FATAL: IsUpdateRequired failed with error 0x%08x", hr),
		setup("WARNING: SelfUpdate: Default Service: IsUpdateRequired failed: 0x%08x", hr),
		setup("WARNING: SelfUpdate: Default Service: IsUpdateRequired failed, error = 0x%08X", hr),
		agent("  * WARNING: Skipping scan, self-update check returned 0x%08X", hr),
		agent("  * WARNING: Exit code = 0x%08X", hr),
	}
}

// AUSearchEnd returns Automatic Updates' lines when the agent hands back
// a successful search: the call resumed, the count, the closing banner.
func (c ClientText) AUSearchEnd(callID string, updates int) []Message {
	return c.auClose(callID, au("  # %d updates detected", updates))
}

// AUSearchFailed returns Automatic Updates' lines when the agent hands
// back a failed search. The first three lines are those of a 2016 WUA 7.6
// log (0x80244010); the hex case follows it.
func (c ClientText) AUSearchFailed(callID string, hr uint32) []Message {
	return c.auClose(callID,
		au("  # WARNING: Search callback failed, result = 0x%08X", hr),
		au("  # WARNING: Failed to find updates with error code %08X", hr))
}

// auClose wraps AU's verdict lines in the resumed line and the banner
// that closes the one AUSearchStart opened.
func (c ClientText) auClose(callID string, verdict ...Message) []Message {
	m := []Message{au(">>##  RESUMED  ## AU: Search for updates [CallId = %s]", callID)}
	m = append(m, verdict...)
	return append(m,
		au("#########"),
		au("##  END  ##  AU: Search for updates [CallId = %s]", callID),
		au("#############"),
	)
}

// AUSearchStart returns Automatic Updates' banner for a scheduled search
// and the line submitting it to the agent; callID is a braced GUID.
func (c ClientText) AUSearchStart(callID string) []Message {
	return []Message{
		au("#############"),
		au("## START ##  AU: Search for updates"),
		au("#########"),
		au("<<## SUBMITTED ## AU: Search for updates [CallId = %s]", callID),
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
