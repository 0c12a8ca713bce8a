package wusp

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// DefaultMaxDepth bounds element nesting in a request. The deepest MS-WUSP
// request (ReportEventBatch) nests eight levels; 32 leaves room for any
// sender's habits and none for a nesting bomb.
const DefaultMaxDepth = 32

// SyntaxError means the request body is not well-formed XML. ASMX answers it
// with HTTP 400 and a soap:Client fault (fact sheet §2.3).
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return "request is not well-formed XML: " + e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

// EnvelopeError means the XML is well formed but not a SOAP 1.1 request.
type EnvelopeError struct{ Reason string }

func (e *EnvelopeError) Error() string { return "not a SOAP 1.1 request: " + e.Reason }

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseRequest reads a SOAP 1.1 request and returns the operation element,
// the first child of soap:Body. Any envelope prefix is accepted; a UTF-8 BOM
// is skipped; nesting deeper than maxDepth is refused.
func ParseRequest(body []byte, maxDepth int) (*etree.Element, error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	root, err := parseTree(body, maxDepth)
	if err != nil {
		return nil, err
	}
	if root.Tag != "Envelope" || root.NamespaceURI() != NSSoap {
		if root.Tag == "Envelope" && root.NamespaceURI() == "http://www.w3.org/2003/05/soap-envelope" {
			return nil, &EnvelopeError{"SOAP 1.2 envelopes are not supported by a WSUS 3.0 client endpoint"}
		}
		return nil, &EnvelopeError{fmt.Sprintf("root element is {%s}%s, want {%s}Envelope", root.NamespaceURI(), root.Tag, NSSoap)}
	}
	var soapBody *etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "Body" && c.NamespaceURI() == NSSoap {
			soapBody = c
			break
		}
	}
	if soapBody == nil {
		return nil, &EnvelopeError{"no soap:Body element"}
	}
	kids := soapBody.ChildElements()
	if len(kids) == 0 {
		return nil, &EnvelopeError{"soap:Body is empty"}
	}
	return kids[0], nil
}

// DecodeRequest fills msg from the operation element returned by
// ParseRequest. A *MissingError or *ValueError names the offending element.
func DecodeRequest(op *etree.Element, msg Message) error { return msg.readXML(op) }

// newEnvelope starts a document the way ASMX writes one: XML declaration,
// soap:Envelope declaring soap, xsi and xsd, and soap:Body.
func newEnvelope() (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	// XmlTextWriter escapes only &, < and > in text: a fault's Method keeps
	// its double quotes literally.
	doc.WriteSettings.CanonicalText = true
	doc.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
	env := doc.CreateElement("soap:Envelope")
	env.CreateAttr("xmlns:soap", NSSoap)
	env.CreateAttr("xmlns:xsi", NSXSI)
	env.CreateAttr("xmlns:xsd", NSXSD)
	return doc, env.CreateElement("soap:Body")
}

// serialize writes the document without indentation. ASMX's XmlTextWriter
// writes empty elements as <Message /> with a space; etree writes
// <Message/>, so the one difference is patched here. Text and attribute
// values never hold a raw "/>" because etree escapes '>' in both.
func serialize(doc *etree.Document) []byte {
	var buf bytes.Buffer
	buf.Grow(1024)
	_, _ = doc.WriteTo(&buf) // writing to a bytes.Buffer cannot fail
	return bytes.ReplaceAll(buf.Bytes(), []byte("/>"), []byte(" />"))
}

// MarshalResponse encodes a successful response: <Op>Response in the
// service's namespace holding the message.
func MarshalResponse(op Operation, msg Message) []byte {
	doc, body := newEnvelope()
	resp := body.CreateElement(op.Name + "Response")
	resp.CreateAttr("xmlns", op.Service.Namespace())
	msg.appendXML(resp)
	return serialize(doc)
}

// MarshalRequest encodes a request as WUA sends it: the operation element
// with a default xmlns for the service namespace.
func MarshalRequest(op Operation, msg Message) []byte {
	doc, body := newEnvelope()
	req := body.CreateElement(op.Name)
	req.CreateAttr("xmlns", op.Service.Namespace())
	msg.appendXML(req)
	return serialize(doc)
}

// MarshalFault encodes a WSUS fault in the ASMX shape (fact sheet §2.1):
// faultcode soap:Client or soap:Server by ErrorCode, faultstring,
// faultactor, and a detail whose ErrorCode, Message, ID and Method children
// carry no namespace.
func MarshalFault(f *Fault) []byte {
	doc, body := newEnvelope()
	fault := faultElement(body, f.FaultCode(), f.FaultString, f.Actor)
	detail := fault.CreateElement("detail")
	detail.CreateElement("ErrorCode").SetText(string(f.Code))
	detail.CreateElement("Message").SetText(f.Message)
	detail.CreateElement("ID").SetText(f.ID)
	detail.CreateElement("Method").SetText(f.Method)
	return serialize(doc)
}

// MarshalProtocolFault encodes a SOAP-layer fault, with an empty detail as
// ASMX writes for its own errors.
func MarshalProtocolFault(f *ProtocolFault) []byte {
	doc, body := newEnvelope()
	faultElement(body, f.FaultCode, f.FaultString, f.Actor).CreateElement("detail")
	return serialize(doc)
}

func faultElement(body *etree.Element, code, str, actor string) *etree.Element {
	fault := body.CreateElement("soap:Fault")
	fault.CreateElement("faultcode").SetText("soap:" + code)
	fault.CreateElement("faultstring").SetText(str)
	fault.CreateElement("faultactor").SetText(actor)
	return fault
}

// ParseResponse decodes a response body into msg. When the body is a SOAP
// fault it returns a *Fault (a WSUS fault, with detail) or a *ProtocolFault
// (any other), whatever HTTP status carried it.
func ParseResponse(body []byte, op Operation, msg Message) error {
	first, err := ParseRequest(body, DefaultMaxDepth)
	if err != nil {
		return err
	}
	if first.Tag == "Fault" && first.NamespaceURI() == NSSoap {
		return readFault(first)
	}
	if first.Tag != op.Name+"Response" {
		return &EnvelopeError{fmt.Sprintf("got <%s>, want <%sResponse>", first.Tag, op.Name)}
	}
	return msg.readXML(first)
}

func readFault(f *etree.Element) error {
	code := optString(f, "faultcode")
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		code = code[i+1:]
	}
	detail := child(f, "detail")
	if ec := child(detail, "ErrorCode"); ec != nil {
		return &Fault{
			Code:        ErrorCode(text(ec)),
			Message:     optString(detail, "Message"),
			ID:          optString(detail, "ID"),
			Method:      optString(detail, "Method"),
			Actor:       optString(f, "faultactor"),
			FaultString: optString(f, "faultstring"),
			SOAPCode:    code,
		}
	}
	return &ProtocolFault{FaultCode: code, FaultString: optString(f, "faultstring"), Actor: optString(f, "faultactor")}
}
