package wusp

import "bytes"

// ASMX answered a SOAP 1.2 request in SOAP 1.2: the same body in an
// envelope of the SOAP 1.2 namespace, sent as application/soap+xml, and
// its faults in the SOAP 1.2 shape (the decompiled
// Soap12ServerProtocolHelper.WriteFault). Nothing here is on the path of a
// Windows Update Agent, which speaks SOAP 1.1 only.

const envelopeOpen12 = `<?xml version="1.0" encoding="utf-8"?>` +
	`<soap:Envelope xmlns:soap="` + NSSoap12 + `" xmlns:xsi="` + NSXSI + `" xmlns:xsd="` + NSXSD + `">` +
	`<soap:Body>`

// AppendSOAP12 appends to b the SOAP 1.1 reply reply, as AppendResponse or
// MarshalResponse wrote it, in a SOAP 1.2 envelope instead. Only the
// envelope's namespace differs; the prefix stays soap, as ASMX wrote it.
func AppendSOAP12(b, reply []byte) []byte {
	rest, ok := bytes.CutPrefix(reply, []byte(envelopeOpen))
	if !ok {
		panic("wusp: AppendSOAP12 given a reply this package did not write")
	}
	return append(append(b, envelopeOpen12...), rest...)
}

// AppendFault12 appends a WSUS fault as ASMX wrote a SoapException in SOAP
// 1.2: soap:Code/soap:Value with soap:Client and soap:Server translated to
// soap:Sender and soap:Receiver, the faultstring as soap:Reason/soap:Text,
// the actor as soap:Node, and WSUS's own detail element as it is.
func AppendFault12(b []byte, f *Fault) []byte {
	b = appendFault12Head(b, f.FaultCode(), f.FaultString, f.Actor)
	b = appendDetail(b, f)
	return append(b, "</soap:Fault>"+envelopeClose...)
}

// MarshalProtocolFault12 is MarshalProtocolFault in SOAP 1.2: an exception
// of ASMX's own has no detail, written as an empty soap:Detail.
func MarshalProtocolFault12(f *ProtocolFault) []byte {
	b := appendFault12Head(make([]byte, 0, 512), f.FaultCode, f.FaultString, f.Actor)
	return append(b, "<soap:Detail /></soap:Fault>"+envelopeClose...)
}

// appendFault12Head writes the envelope and the fault up to its detail. The
// Text's xml:lang is the language of ASMX's English resources, "en".
func appendFault12Head(b []byte, code, reason, actor string) []byte {
	b = append(b, envelopeOpen12+"<soap:Fault><soap:Code><soap:Value>soap:"...)
	b = appendEscaped(b, soap12Code(code))
	b = append(b, `</soap:Value></soap:Code><soap:Reason>`...)
	if reason == "" {
		b = append(b, `<soap:Text xml:lang="en" />`...)
	} else {
		b = append(b, `<soap:Text xml:lang="en">`...)
		b = appendEscaped(b, reason)
		b = append(b, `</soap:Text>`...)
	}
	b = append(b, `</soap:Reason>`...)
	if actor != "" {
		b = appendTextElement(b, "soap:Node", actor)
	}
	return b
}

// soap12Code translates a SOAP 1.1 faultcode's local name as ASMX did.
func soap12Code(code string) string {
	switch code {
	case "Client":
		return "Sender"
	case "Server":
		return "Receiver"
	}
	return code // VersionMismatch and MustUnderstand keep their names
}
