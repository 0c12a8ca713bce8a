package wuaclient

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/beevik/etree"

	"github.com/wsusmock/wsusmock/wusp"
)

// The Windows Update Agent 7.x talks SOAP through ATL Server's client
// (atlsoap.h), and its requests have ATL's shape rather than ASP.NET's:
//
//   - no XML declaration; the envelope declares soap, xsi, xsd and soapenc
//     (CResponseGenerator::StartEnvelope);
//   - an array carries soapenc:arrayType with its item type and count,
//     `xsd:int[3]` for an XSD type, or a q1 prefix declared on the element
//     for a WSUS type (`xmlns:q1="…" soapenc:arrayType="q1:AuthorizationCookie[1]"`)
//     (GenerateArrayInfo);
//   - a NULL array, string or base64 value is written `<name xsi:nil="1"/>`
//     (GenerateNull); ATL has no empty array, a zero-length one is NULL;
//   - currentTime to the second, and GUIDs in upper case (the
//     EventInstanceID of a ReportingEvent).
//
// atlShape rewrites wusp's rendering of a request into that shape.
func atlShape(op wusp.Operation, msg wusp.Message) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(wusp.MarshalRequest(op, msg)); err != nil {
		return nil, fmt.Errorf("re-reading the %s request: %w", op.Name, err)
	}
	for _, t := range doc.Child {
		if pi, ok := t.(*etree.ProcInst); ok {
			doc.RemoveChild(pi)
		}
	}
	env := doc.Root()
	env.Attr = env.Attr[:0]
	env.CreateAttr("xmlns:soap", wusp.NSSoap)
	env.CreateAttr("xmlns:xsi", wusp.NSXSI)
	env.CreateAttr("xmlns:xsd", wusp.NSXSD)
	env.CreateAttr("xmlns:soapenc", nsSoapEnc)
	call := env.FindElement("./*/" + op.Name)
	if call != nil {
		shapeElement(call, op.Service.Namespace())
	}
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("writing the %s request: %w", op.Name, err)
	}
	return b.Bytes(), nil
}

const nsSoapEnc = "http://schemas.xmlsoap.org/soap/encoding/"

// atlArrays maps the request elements that are arrays (MS-WUSP §6) to the
// type of their items: an XSD type, or a WSUS type of the operation's
// namespace.
var atlArrays = map[string]struct {
	item string
	xsd  bool
}{
	"authCookies":               {"AuthorizationCookie", false},
	"InstalledNonLeafUpdateIDs": {"int", true},
	"OtherCachedUpdateIDs":      {"int", true},
	"CachedDriverIDs":           {"int", true},
	"SystemSpec":                {"Device", false},
	"globalIDs":                 {"UpdateIdentity", false},
	"revisionIDs":               {"int", true},
	"infoTypes":                 {"XmlUpdateFragmentType", false},
	"locales":                   {"string", true},
	"fileDigests":               {"base64Binary", true},
	"eventBatch":                {"ReportingEvent", false},
	"ReplacementStrings":        {"string", true},
	"MiscData":                  {"string", true},
}

// atlMembers lists, in schema order, the members of the structs where wusp
// leaves out an empty optional array; ATL writes every member, a NULL
// array as nil.
var atlMembers = map[string][]string{
	"parameters": {"ExpressQuery", "InstalledNonLeafUpdateIDs", "OtherCachedUpdateIDs", "SystemSpec", "CachedDriverIDs", "SkipSoftwareSync"},
}

// addMissingMembers inserts the members of e that wusp left out, as nil.
func addMissingMembers(e *etree.Element) {
	members, ok := atlMembers[e.Tag]
	if !ok {
		return
	}
	for i, name := range members {
		if e.SelectElement(name) != nil {
			continue
		}
		at := len(e.Child)
		for _, next := range members[i+1:] {
			if n := e.SelectElement(next); n != nil {
				at = n.Index()
				break
			}
		}
		m := etree.NewElement(name)
		m.CreateAttr("xsi:nil", "1")
		e.InsertChildAt(at, m)
	}
}

// atlNullable are the non-array elements ATL writes as nil when empty:
// strings and base64 values held as NULL pointers.
var atlNullable = map[string]bool{"EncryptedData": true}

func shapeElement(e *etree.Element, ns string) {
	addMissingMembers(e)
	for _, c := range e.ChildElements() {
		if a, ok := atlArrays[c.Tag]; ok {
			n := len(c.ChildElements())
			if n == 0 {
				setNil(c)
				continue
			}
			if a.xsd {
				c.CreateAttr("soapenc:arrayType", "xsd:"+a.item+"["+strconv.Itoa(n)+"]")
			} else {
				c.CreateAttr("xmlns:q1", ns)
				c.CreateAttr("soapenc:arrayType", "q1:"+a.item+"["+strconv.Itoa(n)+"]")
			}
		}
		if c.SelectAttr("xsi:nil") != nil {
			if c.Tag == "oldCookie" {
				// A cookie is a struct, never NULL: its members are
				// written, the NULL EncryptedData as nil.
				c.Attr = c.Attr[:0]
				c.CreateElement("Expiration").SetText(zeroCookieTime)
				setNil(c.CreateElement("EncryptedData"))
				continue
			}
			setNil(c)
			continue
		}
		if c.Tag == "currentTime" {
			if t, err := time.Parse(time.RFC3339Nano, c.Text()); err == nil {
				c.SetText(atlTime(t))
			}
		}
		if atlNullable[c.Tag] && len(c.ChildElements()) == 0 && c.Text() == "" {
			setNil(c)
			continue
		}
		shapeElement(c, ns)
	}
}

func setNil(e *etree.Element) {
	for _, c := range e.ChildElements() {
		e.RemoveChild(c)
	}
	e.SetText("")
	e.Attr = e.Attr[:0]
	e.CreateAttr("xsi:nil", "1")
}

// atlTime is a dateTime to the second, as the agent writes currentTime.
func atlTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// zeroCookieTime is the Expiration of the empty oldCookie of a first
// GetCookie. No capture shows it; ATL writes every dateTime member, and the
// zero time is what a zeroed value stands for.
const zeroCookieTime = "0001-01-01T00:00:00Z"
