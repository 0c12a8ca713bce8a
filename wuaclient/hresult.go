package wuaclient

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
)

// HRESULT is a Windows Update Agent result code, as WUA logs it and reports
// it in ReportingEvent/BasicData/Win32HResult.
type HRESULT uint32

// String prints the code as WUA prints it in most upper-case lines:
// 0x8024400E.
func (h HRESULT) String() string { return fmt.Sprintf("0x%08X", uint32(h)) }

// Int32 is the signed value ReportEventBatch carries (0x8024400E is
// -2145107954, docs/protocol-facts.md §1.8).
func (h HRESULT) Int32() int32 { return int32(h) }

// The Protocol Talker HRESULTs the simulator produces, from wuerror.h
// (docs/protocol-facts.md §3.1). WU_E_PT_SOAPCLIENT_* is 0x80244000 plus the ATL
// SOAPCLIENT_ERROR value (§3.2).
const (
	SOAPClientConnect        HRESULT = 0x80244004 // WU_E_PT_SOAPCLIENT_CONNECT
	SOAPClientSend           HRESULT = 0x80244005 // WU_E_PT_SOAPCLIENT_SEND
	SOAPClientRead           HRESULT = 0x80244009 // WU_E_PT_SOAPCLIENT_READ
	SOAPClientParse          HRESULT = 0x8024400A // WU_E_PT_SOAPCLIENT_PARSE
	SOAPClient               HRESULT = 0x8024400D // WU_E_PT_SOAP_CLIENT: faultcode soap:Client
	SOAPServer               HRESULT = 0x8024400E // WU_E_PT_SOAP_SERVER: faultcode soap:Server
	ExceededMaxServerTrips   HRESULT = 0x80244010 // WU_E_PT_EXCEEDED_MAX_SERVER_TRIPS
	HTTPStatusNotMapped      HRESULT = 0x8024402B // WU_E_PT_HTTP_STATUS_NOT_MAPPED
	WinHTTPNameNotResolved   HRESULT = 0x8024402C // WU_E_PT_WINHTTP_NAME_NOT_RESOLVED
	httpStatusBase           HRESULT = 0x80244016 // WU_E_PT_HTTP_STATUS_BAD_REQUEST, first of the HTTP_STATUS_* run
	bitsHTTPStatus           HRESULT = 0x80190000 // plus the status: how the file transport logs an HTTP status (0x80190194 for 404)
	maxServerRoundTrips              = 200        // WUA's limit behind 0x80244010 (docs/protocol-facts.md §1.7)
	soapClientErrorSoapFault         = 7          // ATL SOAPCLIENT_SOAPFAULT
	// soapClientErrorHTTP is what WUA 7.x logs for an HTTP error status
	// without a SOAP fault ("soap client error = 10, soap error code = 0,
	// HTTP status code = 503"): ATL's SOAPCLIENT_PARSE_ERROR, since WUA's
	// own transport hands the body to the parser, not the stock ATL
	// SOAPCLIENT_SERVER_ERROR (6).
	soapClientErrorHTTP = 10
	soapErrorCodeClient = 300 // ATL SOAP_E_CLIENT
	soapErrorCodeServer = 400 // ATL SOAP_E_SERVER
)

// httpStatuses are the statuses of the WU_E_PT_HTTP_STATUS_* run, in
// wuerror.h order from 0x80244016.
var httpStatuses = [...]int{400, 401, 403, 404, 405, 407, 408, 409, 410, 500, 501, 502, 503, 504, 505}

// HTTPStatusHRESULT maps an HTTP status that came without a SOAP body to its
// WU_E_PT_HTTP_STATUS_* code, or WU_E_PT_HTTP_STATUS_NOT_MAPPED.
func HTTPStatusHRESULT(status int) HRESULT {
	for i, s := range httpStatuses {
		if s == status {
			return httpStatusBase + HRESULT(i)
		}
	}
	return HTTPStatusNotMapped
}

// faultHRESULT maps a SOAP faultcode to the HRESULT and ATL SOAP_ERROR_CODE
// WUA logs for it: soap:Server is 0x8024400E / 400, soap:Client (and any
// other code) 0x8024400D / 300 (docs/protocol-facts.md §3.2).
func faultHRESULT(faultCode string) (HRESULT, int) {
	if faultCode == "Server" {
		return SOAPServer, soapErrorCodeServer
	}
	return SOAPClient, soapErrorCodeClient
}

// TransportError is a failure below SOAP: no connection, a timeout, an HTTP
// error status without a SOAP fault, a reply that is not SOAP.
type TransportError struct {
	Op     string // the operation, e.g. "SyncUpdates"
	HR     HRESULT
	Status int // the HTTP status, 0 when no reply came
	// SOAPClientError is the ATL SOAPCLIENT_ERROR value WUA logs with it.
	SOAPClientError int
	Err             error
}

func (e *TransportError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: HTTP %d: %v (%s)", e.Op, e.Status, e.Err, e.HR)
	}
	return fmt.Sprintf("%s: %v (%s)", e.Op, e.Err, e.HR)
}

func (e *TransportError) Unwrap() error { return e.Err }

// sendHRESULT classifies an error of http.Client.Do. WUA 7.x sat on
// WinHTTP and often logged the raw WinHTTP HRESULT (0x80072EFD and friends);
// the simulator keeps to the Protocol Talker codes of wuerror.h instead, so
// that every failure it reports is a WU_E_PT_* value: a refused or failed
// connection is WU_E_PT_SOAPCLIENT_CONNECT, a name that does not resolve
// WU_E_PT_WINHTTP_NAME_NOT_RESOLVED, a timeout or anything else on the way
// out WU_E_PT_SOAPCLIENT_SEND.
func sendHRESULT(err error) (HRESULT, int) {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return WinHTTPNameNotResolved, 4
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &opErr) && opErr.Op == "dial":
		return SOAPClientConnect, 4
	}
	return SOAPClientSend, 5
}

// statusText is used in messages about HTTP replies without a SOAP body.
func statusText(code int) string { return fmt.Sprintf("%d %s", code, http.StatusText(code)) }
