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
// with HTTP 400 and a soap:Client fault (docs/protocol-facts.md §2.3).
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return "request is not well-formed XML: " + e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

// EnvelopeError means the XML is well formed but not a SOAP request.
type EnvelopeError struct {
	Reason string
	// VersionMismatch marks a root element in no SOAP envelope namespace,
	// Namespace (cut to 64 bytes): ASMX answered it with a
	// soap:VersionMismatch fault.
	VersionMismatch bool
	Namespace       string
}

func (e *EnvelopeError) Error() string { return "not a SOAP request: " + e.Reason }

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseRequest reads a SOAP 1.1 request and returns the operation element,
// the first child of soap:Body. Any envelope prefix is accepted; a UTF-8 BOM
// is skipped; nesting deeper than maxDepth is refused.
func ParseRequest(body []byte, maxDepth int) (*Element, error) {
	return new(Document).ParseRequest(body, maxDepth)
}

// ParseRequest is the package's ParseRequest into d: the tree is valid
// until d parses again or is cleared, and the typed message DecodeRequest
// fills from it keeps no reference to it.
func (d *Document) ParseRequest(body []byte, maxDepth int) (*Element, error) {
	op, envNS, err := d.ParseEnvelope(body, maxDepth)
	if err == nil && envNS != NSSoap {
		return nil, &EnvelopeError{Reason: "a SOAP 1.2 envelope, want SOAP 1.1"}
	}
	return op, err
}

// ParseEnvelope is ParseRequest for either SOAP version: it also returns
// the envelope's namespace, NSSoap or NSSoap12, which the reply must
// speak. A root element in another namespace is an *EnvelopeError with
// VersionMismatch set.
func (d *Document) ParseEnvelope(body []byte, maxDepth int) (op *Element, envNS string, err error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	root, err := d.parse(body, maxDepth)
	if err != nil {
		return nil, "", err
	}
	envNS = root.NamespaceURI()
	if envNS != NSSoap && envNS != NSSoap12 {
		return nil, "", &EnvelopeError{Reason: fmt.Sprintf("root element is {%s}%s, want {%s}Envelope", envNS, root.Tag(), NSSoap),
			VersionMismatch: true, Namespace: truncated(envNS)}
	}
	if root.Tag() != "Envelope" {
		return nil, "", &EnvelopeError{Reason: fmt.Sprintf("root element is {%s}%s, want {%s}Envelope", envNS, root.Tag(), envNS)}
	}
	var soapBody *Element
	for c := root.firstChild(); c != nil; c = c.nextSibling() {
		if c.Tag() == "Body" && c.NamespaceURI() == envNS {
			soapBody = c
			break
		}
	}
	if soapBody == nil {
		return nil, "", &EnvelopeError{Reason: "no soap:Body element"}
	}
	if soapBody.first == 0 {
		return nil, "", &EnvelopeError{Reason: "soap:Body is empty"}
	}
	return soapBody.firstChild(), envNS, nil
}

// DecodeRequest fills msg from the operation element returned by
// ParseRequest. A *MissingError or *ValueError names the offending element.
// On success every field is written; a SyncUpdatesRequest's ID lists go into the
// arrays its lists already have when they have room, so a server that
// decodes into one reused request allocates nothing for them.
func DecodeRequest(op *Element, msg Message) error { return msg.readXML(op) }

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

// serialize writes the document without indentation, straight into one
// buffer (etree's Document.WriteTo would add a bufio.Writer per call).
func serialize(doc *etree.Document) []byte {
	buf := asmxWriter{new(bytes.Buffer)}
	buf.Grow(1024)
	for _, t := range doc.Child {
		t.WriteTo(buf, &doc.WriteSettings)
	}
	return buf.Bytes()
}

// asmxWriter writes empty elements as ASMX's XmlTextWriter did, <Message />
// with a space, where etree writes <Message/>. etree emits the end of an
// empty element as one two-byte Write of "/>"; nothing else it writes is
// that exact slice, since it escapes '>' in text and attribute values.
type asmxWriter struct{ *bytes.Buffer }

func (w asmxWriter) Write(p []byte) (int, error) {
	if len(p) == 2 && p[0] == '/' && p[1] == '>' {
		w.Buffer.WriteString(" />")
		return 2, nil
	}
	return w.Buffer.Write(p)
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

// MarshalFault encodes a WSUS fault in the ASMX shape (docs/protocol-facts.md §2.1):
// faultcode soap:Client or soap:Server by ErrorCode, faultstring,
// faultactor, and a detail whose ErrorCode, Message, ID and Method children
// carry no namespace.
//
// Unlike most encoders it appends bytes to a fixed frame (AppendFault)
// instead of building an etree document: the KB954960 fault is the reply a
// load test hammers, and the frame never changes.
// TestMarshalFaultMatchesEtree holds it to the etree rendering byte for
// byte.
func MarshalFault(f *Fault) []byte {
	return AppendFault(make([]byte, 0, 640+len(f.FaultString)+len(f.Actor)+len(f.Message)+len(f.Method)), f)
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
	if actor != "" { // ASMX leaves faultactor out when the exception has no actor
		fault.CreateElement("faultactor").SetText(actor)
	}
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
	if first.Tag() == "Fault" && first.NamespaceURI() == NSSoap {
		return readFault(first)
	}
	if first.Tag() != op.Name+"Response" {
		return &EnvelopeError{Reason: fmt.Sprintf("got <%s>, want <%sResponse>", first.Tag(), op.Name)}
	}
	return msg.readXML(first)
}

func readFault(f *Element) error {
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
