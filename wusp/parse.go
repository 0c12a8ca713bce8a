package wusp

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/orisano/gosax"
)

// parseTree builds the Element tree of a message with the gosax tokenizer.
//
// etree's reader goes through encoding/xml, which made parsing 60% of the
// cost of a SyncUpdates fault in the server's profile (README,
// "Performance"); gosax tokenizes the same envelope about twenty times
// faster. gosax checks little, so the well-formedness rules a SOAP request
// must meet are enforced here: one root, balanced and matching tags, quoted
// attribute values, known entities, no text outside the root, no DTD (SOAP
// 1.1 §3 forbids one, which also rules out entity expansion), and nesting no
// deeper than maxDepth. FuzzParseTree checks the result against etree's
// own reader.
func parseTree(b []byte, maxDepth int) (*Element, error) {
	// gosax wants room for a further 1 KiB read after the document, to see
	// its end; with that room it never reallocates.
	r := gosax.NewReaderBuf(bytes.NewReader(b), make([]byte, 0, len(b)+1100))
	var (
		nodes elementArena
		root  *Element
		stack = make([]*Element, 0, 16)
		// texts[i] gathers the character data of stack[i]: text split by
		// comments, processing instructions or CDATA sections is appended
		// here and becomes one string when the element ends, so joining
		// costs time linear in the text.
		texts = make([][]byte, 0, 16)
	)
	for {
		ev, err := r.Event()
		if err != nil {
			return nil, syntaxErr(err.Error())
		}
		switch ev.Type() {
		case gosax.EventEOF:
			if len(stack) > 0 {
				return nil, syntaxErr(fmt.Sprintf("unexpected end of input: <%s> is not closed", stack[len(stack)-1].FullTag()))
			}
			if root == nil {
				return nil, syntaxErr("no root element")
			}
			return root, nil

		case gosax.EventStart:
			el := nodes.next()
			if el == nil {
				return nil, syntaxErr(fmt.Sprintf("more than %d elements", MaxElements))
			}
			selfClosing, err := startElement(el, ev.Bytes)
			if err != nil {
				return nil, err
			}
			switch {
			case len(stack) > 0:
				stack[len(stack)-1].addChild(el)
			case root != nil:
				return nil, syntaxErr("more than one root element")
			default:
				root = el
			}
			if !selfClosing {
				if len(stack) == maxDepth {
					return nil, syntaxErr(fmt.Sprintf("elements nested deeper than %d levels", maxDepth))
				}
				stack = append(stack, el)
				if len(texts) < len(stack) {
					texts = append(texts, nil)
				}
				texts[len(stack)-1] = texts[len(stack)-1][:0]
			}

		case gosax.EventEnd:
			name, _ := gosax.Name(ev.Bytes)
			if len(stack) == 0 {
				return nil, syntaxErr(fmt.Sprintf("unexpected end tag </%s>", name))
			}
			top := stack[len(stack)-1]
			if !sameName(top, name) {
				return nil, syntaxErr(fmt.Sprintf("element <%s> closed by </%s>", top.FullTag(), name))
			}
			if t := texts[len(stack)-1]; len(t) > 0 {
				top.text = string(t)
			}
			stack = stack[:len(stack)-1]

		case gosax.EventText, gosax.EventCData:
			text := ev.Bytes
			if ev.Type() == gosax.EventCData {
				text = bytes.TrimSuffix(bytes.TrimPrefix(text, []byte("<![CDATA[")), []byte("]]>"))
			} else if text, err = gosax.Unescape(text); err != nil {
				return nil, syntaxErr(err.Error())
			}
			if len(bytes.TrimSpace(text)) == 0 {
				continue // indentation between elements carries nothing
			}
			if len(stack) == 0 {
				return nil, syntaxErr("text outside the root element")
			}
			texts[len(stack)-1] = append(texts[len(stack)-1], text...)

		case gosax.EventDocType:
			return nil, syntaxErr("a SOAP message must not contain a document type declaration")
		}
		// Comments and processing instructions (the XML declaration) carry
		// nothing a SOAP server reads.
	}
}

// MaxElements bounds the elements of one message. The largest request a
// WSUS 3.0 server accepted, SyncUpdates with 22,000 cached update IDs and
// 400 installed non-leaf IDs (ClientWebService's web.config), has about
// 22,500; the bound keeps a body of empty elements from costing more than a
// few megabytes of tree.
const MaxElements = 1 << 16

// elementArena hands out the Elements of one tree. It grows in chunks, so
// it holds what the parser has read, never what the body might hold, and
// an Element never moves once handed out: the tree's pointers stay valid.
type elementArena struct {
	chunk []Element
	n     int
}

// next returns a zeroed Element, or nil past MaxElements.
func (a *elementArena) next() *Element {
	if a.n == MaxElements {
		return nil
	}
	if len(a.chunk) == cap(a.chunk) {
		a.chunk = make([]Element, 0, min(max(2*cap(a.chunk), 16), 1024))
	}
	a.n++
	a.chunk = a.chunk[:len(a.chunk)+1]
	return &a.chunk[len(a.chunk)-1]
}

func syntaxErr(msg string) *SyntaxError { return &SyntaxError{errors.New(msg)} }

// startElement fills el from "<p:name a='v' ...>". Of the attributes only
// what a reader needs is kept: namespace declarations and xsi:nil.
func startElement(el *Element, raw []byte) (selfClosing bool, err error) {
	selfClosing = bytes.HasSuffix(raw, []byte("/>"))
	name, rest := gosax.Name(raw)
	if !validQName(name) {
		return false, syntaxErr(fmt.Sprintf("invalid element name %q", name))
	}
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		el.Space, el.Tag = string(name[:i]), string(name[i+1:])
	} else {
		el.Tag = string(name)
	}
	for {
		var a gosax.Attribute
		a, rest, err = gosax.NextAttribute(rest)
		if err != nil {
			return false, syntaxErr(fmt.Sprintf("<%s>: %v", name, err))
		}
		if len(a.Key) == 0 || (len(a.Key) == 1 && a.Key[0] == '/') {
			return selfClosing, nil
		}
		if len(a.Value) < 2 {
			return false, syntaxErr(fmt.Sprintf("<%s>: attribute %s has no value", name, a.Key))
		}
		v, err := gosax.Unescape(a.Value[1 : len(a.Value)-1])
		if err != nil {
			return false, syntaxErr(fmt.Sprintf("<%s>: attribute %s: %v", name, a.Key, err))
		}
		switch key := a.Key; {
		case string(key) == "xmlns":
			el.ns = append(el.ns, nsDecl{"", string(v)})
		case bytes.HasPrefix(key, []byte("xmlns:")):
			el.ns = append(el.ns, nsDecl{string(key[len("xmlns:"):]), string(v)})
		case string(key) == "nil" || bytes.HasSuffix(key, []byte(":nil")):
			el.nilled = string(v) == "1" || string(v) == "true"
		}
	}
}

// validQName accepts "local" or "prefix:local" with both parts non-empty.
func validQName(name []byte) bool {
	i := bytes.IndexByte(name, ':')
	if i < 0 {
		return len(name) > 0
	}
	return i > 0 && i < len(name)-1 && bytes.IndexByte(name[i+1:], ':') < 0
}

func sameName(el *Element, name []byte) bool {
	if el.Space == "" {
		return string(name) == el.Tag
	}
	return len(name) == len(el.Space)+1+len(el.Tag) &&
		string(name[:len(el.Space)]) == el.Space && name[len(el.Space)] == ':' && string(name[len(el.Space)+1:]) == el.Tag
}
