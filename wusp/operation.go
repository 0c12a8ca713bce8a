package wusp

import (
	"strconv"
	"strings"
)

// Service names one of the three web services a WSUS 3.0 client talks to.
type Service int

const (
	SimpleAuth Service = iota + 1
	ClientService
	Reporting
)

// Namespace is the service's target namespace.
func (s Service) Namespace() string {
	switch s {
	case SimpleAuth:
		return NSSimpleAuth
	case ClientService:
		return NSClient
	case Reporting:
		return NSReporting
	}
	return ""
}

// Path is where the service answers on a WSUS server, from the site root,
// spelled as WUA 7.x asks for it (IIS matched paths without regard to
// case, and WUA writes client.asmx where MS-WUSP §2.1 says Client.asmx).
func (s Service) Path() string {
	switch s {
	case SimpleAuth:
		return "/SimpleAuthWebService/SimpleAuth.asmx"
	case ClientService:
		return "/ClientWebService/client.asmx"
	case Reporting:
		return "/ReportingWebService/ReportingWebService.asmx"
	}
	return ""
}

// String is the service's WSDL service name.
func (s Service) String() string {
	switch s {
	case SimpleAuth:
		return "SimpleAuth"
	case ClientService:
		return "Client"
	case Reporting:
		return "WebService"
	}
	return "unknown"
}

// Operation is one SOAP operation of a WSUS 3.0 SP1 server.
type Operation struct {
	Name    string
	Service Service
}

// SOAPAction is the operation's action URI without quotes: the target
// namespace, a slash and the operation name (MS-WUSP §6).
func (o Operation) SOAPAction() string { return o.Service.Namespace() + "/" + o.Name }

// QuotedSOAPAction is the action as WUA sends it in the header and as WSUS
// echoes it in a fault's Method element: in double quotes. The operations
// of a WSUS 3.0 server have theirs ready-made, since every fault carries
// one.
func (o Operation) QuotedSOAPAction() string {
	switch o {
	case OpGetAuthorizationCookie:
		return `"` + NSSimpleAuth + `/GetAuthorizationCookie"`
	case OpGetConfig:
		return `"` + NSClient + `/GetConfig"`
	case OpGetCookie:
		return `"` + NSClient + `/GetCookie"`
	case OpRegisterComputer:
		return `"` + NSClient + `/RegisterComputer"`
	case OpSyncUpdates:
		return `"` + NSClient + `/SyncUpdates"`
	case OpRefreshCache:
		return `"` + NSClient + `/RefreshCache"`
	case OpGetExtendedUpdateInfo:
		return `"` + NSClient + `/GetExtendedUpdateInfo"`
	case OpGetFileLocations:
		return `"` + NSClient + `/GetFileLocations"`
	case OpStartCategoryScan:
		return `"` + NSClient + `/StartCategoryScan"`
	case OpReportEventBatch:
		return `"` + NSReporting + `/ReportEventBatch"`
	}
	return `"` + o.SOAPAction() + `"`
}

// The operations of a WSUS 3.0 server. StartCategoryScan came with SP2
// (server ProtocolVersion 3.2, MS-WUSP note <52>): ServedBy says which
// server has it. GetExtendedUpdateInfo2, SyncPrinterCatalog, GetConfig2 and
// GetTimestamps are deliberately absent: they came with later servers
// (docs/protocol-facts.md §1.3).
var (
	OpGetAuthorizationCookie = Operation{"GetAuthorizationCookie", SimpleAuth}
	OpGetConfig              = Operation{"GetConfig", ClientService}
	OpGetCookie              = Operation{"GetCookie", ClientService}
	OpRegisterComputer       = Operation{"RegisterComputer", ClientService}
	OpSyncUpdates            = Operation{"SyncUpdates", ClientService}
	OpRefreshCache           = Operation{"RefreshCache", ClientService}
	OpGetExtendedUpdateInfo  = Operation{"GetExtendedUpdateInfo", ClientService}
	OpGetFileLocations       = Operation{"GetFileLocations", ClientService}
	OpStartCategoryScan      = Operation{"StartCategoryScan", ClientService}
	OpReportEventBatch       = Operation{"ReportEventBatch", Reporting}
)

// Operations lists every operation of the service, in WSDL order, those of
// every WSUS 3.0 build; ServedBy says which a given server has.
func Operations(s Service) []Operation {
	switch s {
	case SimpleAuth:
		return []Operation{OpGetAuthorizationCookie}
	case ClientService:
		return []Operation{OpGetConfig, OpGetCookie, OpRegisterComputer, OpStartCategoryScan, OpSyncUpdates,
			OpRefreshCache, OpGetExtendedUpdateInfo, OpGetFileLocations}
	case Reporting:
		return []Operation{OpReportEventBatch}
	}
	return nil
}

// ServedBy reports whether a server announcing serverProtocol (GetConfig's
// ProtocolVersion property) has the operation. StartCategoryScan "SHOULD NOT
// exist" below 3.2 (MS-WUSP §2.2.2.2.8, note <52>): WSUS 3.0 RTM and SP1
// answered it as an unknown SOAPAction.
func (o Operation) ServedBy(serverProtocol string) bool {
	if o == OpStartCategoryScan {
		return ProtocolAtLeast(serverProtocol, 3, 2)
	}
	return true
}

// ProtocolAtLeast compares a "major.minor" protocol version numerically
// ("3" reads as 3.0); a version that does not parse is never at least
// anything, so an unreadable client counts as the oldest.
func ProtocolAtLeast(v string, major, minor int) bool {
	a, b, _ := strings.Cut(v, ".")
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(b)
	if err1 != nil || (b != "" && err2 != nil) {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// LookupAction finds the service's operation for a SOAPAction header value.
// Surrounding double quotes are stripped first, as ASMX does.
func LookupAction(s Service, soapAction string) (Operation, bool) {
	action := strings.TrimSpace(soapAction)
	if len(action) >= 2 && action[0] == '"' && action[len(action)-1] == '"' {
		action = action[1 : len(action)-1]
	}
	ns := s.Namespace()
	if len(action) <= len(ns)+1 || action[:len(ns)] != ns || action[len(ns)] != '/' {
		return Operation{}, false
	}
	return LookupName(s, action[len(ns)+1:])
}

// LookupName finds the service's operation by its element name, the fallback
// when a request carries no SOAPAction.
func LookupName(s Service, name string) (Operation, bool) {
	for _, op := range Operations(s) {
		if op.Name == name {
			return op, true
		}
	}
	return Operation{}, false
}
