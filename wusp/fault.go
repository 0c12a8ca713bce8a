package wusp

import (
	"crypto/rand"
	"fmt"
)

// DefaultFaultString is the faultstring ASMX writes when custom errors hide
// the stack: the message of the WSUS SoapException (docs/protocol-facts.md §2.1).
const DefaultFaultString = "Fault occurred"

// Fault is a WSUS application fault: a SoapException whose detail carries
// ErrorCode, Message, ID and Method. It is an error, so service code returns
// it and the transport presents it.
type Fault struct {
	Code        ErrorCode
	Message     string // empty is written as <Message />, which WUA logs as "(null)"
	ID          string // a new lower-case GUID per fault; the server log repeats it
	Method      string // the SOAPAction with its double quotes
	Actor       string // the endpoint URL as the request addressed it
	FaultString string // DefaultFaultString unless a scenario says otherwise
	// SOAPCode is the faultcode's local name ("Client" or "Server"). Empty
	// means the ErrorCode's own (ErrorCode.FaultCode); a parsed fault holds
	// what was on the wire.
	SOAPCode string
}

// FaultCode is the local name of the faultcode this fault is written with.
func (f *Fault) FaultCode() string {
	if f.SOAPCode != "" {
		return f.SOAPCode
	}
	return f.Code.FaultCode()
}

// NewFault makes a fault with a fresh ID and the default faultstring; the
// transport fills in Method and Actor.
func NewFault(code ErrorCode, message string) *Fault {
	return &Fault{Code: code, Message: message, ID: NewGUID(), FaultString: DefaultFaultString}
}

func (f *Fault) Error() string {
	if f.Message == "" {
		return fmt.Sprintf("WSUS fault %s (ID %s)", f.Code, f.ID)
	}
	return fmt.Sprintf("WSUS fault %s: %s (ID %s)", f.Code, f.Message, f.ID)
}

// ProtocolFault is a SOAP fault raised by the SOAP layer itself rather than by
// WSUS: an unknown SOAPAction, unreadable XML. ASMX writes these with
// faultcode soap:Client, a plain faultstring and an empty detail.
type ProtocolFault struct {
	FaultCode   string // "Client" or "Server"
	FaultString string
	Actor       string
}

func (f *ProtocolFault) Error() string { return "SOAP fault " + f.FaultCode + ": " + f.FaultString }

// NewGUID returns a random (version 4) GUID in the lower-case hyphenated form
// WSUS writes in fault IDs and logs.
func NewGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i, v := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[v>>4], hex[v&0x0f]
		j += 2
	}
	return string(out)
}
