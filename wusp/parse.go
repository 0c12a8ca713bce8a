package wusp

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"github.com/orisano/gosax"
)

// MaxElements bounds the elements of one message. The largest request a
// WSUS 3.0 server accepted, SyncUpdates with 22,000 cached update IDs and
// 400 installed non-leaf IDs (ClientWebService's web.config), has about
// 22,500; the bound keeps a body of empty elements from costing more than a
// few megabytes of tree.
const MaxElements = 1 << 16

// Document parses messages into Element trees and owns the memory behind
// them: the tokenizer's copy of the body, which names and text point into,
// and the Elements themselves. A Document is reused: each parse overwrites
// the tree of the one before, so a server keeps Documents in a pool and
// parses every request without building a tree from scratch. The zero
// Document is ready to use; it is not safe for concurrent use.
type Document struct {
	r      *gosax.Reader
	bufCap int // the capacity of r's buffer
	src    bytes.Reader
	// chunks hold the Elements, chunkSize each: the tree grows with what
	// was parsed, never with what the body might hold, and an Element never
	// moves once handed out.
	chunks [][]Element
	used   int
	stack  []*Element
	// texts[i] gathers the character data of stack[i] (see levelText).
	texts []levelText
	ns    []nsDecl
}

const chunkSize = 256

// levelText is the character data of one open element. Text in one piece,
// the usual case, stays a view into the tokenizer's buffer; text split by
// comments, processing instructions or CDATA sections is appended to buf
// and copied once when the element ends, so joining costs linear time.
type levelText struct {
	first  []byte
	buf    []byte
	pieces int
}

// Reuse bounds what a Document keeps between parses, so one large request
// does not pin its memory in a pool.
const (
	maxKeptBuffer = 64 << 10
	maxKeptChunks = 8
)

// Clear drops the tree and any oversized buffers; the Document stays ready
// for the next parse. Elements read from it must not be used afterwards.
func (d *Document) Clear() {
	for i, c := range d.chunks {
		if i*chunkSize >= d.used {
			break
		}
		clear(c[:min(chunkSize, d.used-i*chunkSize)])
	}
	d.used = 0
	if len(d.chunks) > maxKeptChunks {
		// Shortening alone would leave the dropped chunks reachable
		// through the backing array, and a pooled Document would pin a
		// large request's tree.
		clear(d.chunks[maxKeptChunks:])
		d.chunks = d.chunks[:maxKeptChunks]
	}
	clear(d.stack[:cap(d.stack)])
	d.stack = d.stack[:0]
	for i := range d.texts {
		d.texts[i].first = nil
		if cap(d.texts[i].buf) > maxKeptBuffer {
			d.texts[i].buf = nil
		}
	}
	clear(d.ns[:cap(d.ns)])
	d.ns = d.ns[:0]
	if d.r != nil && d.bufCap > maxKeptBuffer {
		d.r = nil
	}
	d.src.Reset(nil)
}

// next returns a zeroed Element, or nil past MaxElements.
func (d *Document) next() *Element {
	if d.used == MaxElements {
		return nil
	}
	i := d.used / chunkSize
	if i == len(d.chunks) {
		d.chunks = append(d.chunks, make([]Element, chunkSize))
	}
	el := &d.chunks[i][d.used%chunkSize]
	d.used++
	return el
}

// view is a string over b without a copy: b belongs to the Document and is
// not written again until the next parse.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// parse builds the Element tree of a message with the gosax tokenizer.
//
// etree's reader goes through encoding/xml, which made parsing 60% of the
// cost of a SyncUpdates fault in the server's profile (README,
// "Performance"); gosax tokenizes the same envelope about twenty times
// faster. gosax checks little, so the well-formedness rules a SOAP request
// must meet are enforced here: one root, balanced and matching tags, quoted
// attribute values, known entities, no text outside the root, no DTD (SOAP
// 1.1 §3 forbids one, which also rules out entity expansion), nesting no
// deeper than maxDepth and no more than MaxElements elements.
// FuzzParseTree checks the result against etree's own reader.
func (d *Document) parse(b []byte, maxDepth int) (*Element, error) {
	d.Clear()
	// gosax wants room for a further 1 KiB read after the document, to see
	// its end; with that room it never moves what it has read, so the views
	// into its buffer stay valid.
	d.src.Reset(b)
	if need := len(b) + 1100; d.r == nil || d.bufCap < need {
		d.bufCap = max(need, 4096)
		d.r = gosax.NewReaderBuf(&d.src, make([]byte, 0, d.bufCap))
	} else {
		d.r.Reset(&d.src)
	}
	var root *Element
	for {
		ev, err := d.r.Event()
		if err != nil {
			return nil, syntaxErr(err.Error())
		}
		switch ev.Type() {
		case gosax.EventEOF:
			if len(d.stack) > 0 {
				return nil, syntaxErr(fmt.Sprintf("unexpected end of input: <%s> is not closed", d.stack[len(d.stack)-1].FullTag()))
			}
			if root == nil {
				return nil, syntaxErr("no root element")
			}
			return root, nil

		case gosax.EventStart:
			el := d.next()
			if el == nil {
				return nil, syntaxErr(fmt.Sprintf("more than %d elements", MaxElements))
			}
			selfClosing, err := d.startElement(el, ev.Bytes)
			if err != nil {
				return nil, err
			}
			switch {
			case len(d.stack) > 0:
				d.stack[len(d.stack)-1].addChild(el)
			case root != nil:
				return nil, syntaxErr("more than one root element")
			default:
				root = el
			}
			if !selfClosing {
				if len(d.stack) == maxDepth {
					return nil, syntaxErr(fmt.Sprintf("elements nested deeper than %d levels", maxDepth))
				}
				d.stack = append(d.stack, el)
				if len(d.texts) < len(d.stack) {
					d.texts = append(d.texts, levelText{})
				}
				t := &d.texts[len(d.stack)-1]
				t.first, t.buf, t.pieces = nil, t.buf[:0], 0
			}

		case gosax.EventEnd:
			name, _ := gosax.Name(ev.Bytes)
			if len(d.stack) == 0 {
				return nil, syntaxErr(fmt.Sprintf("unexpected end tag </%s>", name))
			}
			top := d.stack[len(d.stack)-1]
			if !sameName(top, name) {
				return nil, syntaxErr(fmt.Sprintf("element <%s> closed by </%s>", top.FullTag(), name))
			}
			switch t := &d.texts[len(d.stack)-1]; t.pieces {
			case 1:
				top.text = view(t.first)
			case 0:
			default:
				top.text = string(t.buf)
			}
			d.stack = d.stack[:len(d.stack)-1]

		case gosax.EventText, gosax.EventCData:
			text := ev.Bytes
			if isSpace(text) {
				continue // indentation between elements carries nothing
			}
			if ev.Type() == gosax.EventCData {
				text = bytes.TrimSuffix(bytes.TrimPrefix(text, []byte("<![CDATA[")), []byte("]]>"))
			} else if text, err = gosax.Unescape(text); err != nil {
				return nil, syntaxErr(err.Error())
			}
			// Text that starts with a printable ASCII character is not
			// blank; anything else is trimmed as before to tell.
			if (len(text) == 0 || text[0] <= ' ' || text[0] >= 0x80) && len(bytes.TrimSpace(text)) == 0 {
				continue // indentation between elements carries nothing
			}
			if len(d.stack) == 0 {
				return nil, syntaxErr("text outside the root element")
			}
			t := &d.texts[len(d.stack)-1]
			switch t.pieces {
			case 0:
				t.first = text
			case 1:
				t.buf = append(append(t.buf[:0], t.first...), text...)
			default:
				t.buf = append(t.buf, text...)
			}
			t.pieces++

		case gosax.EventDocType:
			return nil, syntaxErr("a SOAP message must not contain a document type declaration")
		}
		// Comments and processing instructions (the XML declaration) carry
		// nothing a SOAP server reads.
	}
}

// isSpace reports whether b is XML white space only, the indentation most
// text events of an indented request are.
func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

func syntaxErr(msg string) *SyntaxError { return &SyntaxError{errors.New(msg)} }

// startElement fills el from "<p:name a='v' ...>". Of the attributes only
// what a reader needs is kept: namespace declarations and xsi:nil. The name
// is scanned here in one pass (most elements of a request have no
// attributes, and this is the parser's busiest function).
func (d *Document) startElement(el *Element, raw []byte) (selfClosing bool, err error) {
	if len(raw) > 0 && raw[len(raw)-1] == '>' {
		raw = raw[:len(raw)-1]
	}
	selfClosing = len(raw) > 0 && raw[len(raw)-1] == '/'
	i, colon, colons := 1, -1, 0
	for ; i < len(raw); i++ {
		c := raw[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' {
			break
		}
		if c == ':' {
			if colon < 0 {
				colon = i
			}
			colons++
		}
	}
	name := raw[min(1, len(raw)):i]
	// A QName is "local" or "prefix:local" with both parts non-empty.
	if len(name) == 0 || colons > 1 || colons == 1 && (colon == 1 || colon == i-1) {
		return false, syntaxErr(fmt.Sprintf("invalid element name %q", name))
	}
	if colon > 0 {
		el.Space, el.Tag = view(raw[1:colon]), view(raw[colon+1:i])
	} else {
		el.Tag = view(name)
	}
	rest := raw[i:]
	if selfClosing {
		rest = rest[:len(rest)-1]
	}
	if isSpace(rest) {
		return selfClosing, nil
	}
	nsStart := len(d.ns)
	for {
		var a gosax.Attribute
		a, rest, err = gosax.NextAttribute(rest)
		if err != nil {
			return false, syntaxErr(fmt.Sprintf("<%s>: %v", name, err))
		}
		if len(a.Key) == 0 {
			if len(d.ns) > nsStart {
				el.ns = d.ns[nsStart:len(d.ns):len(d.ns)]
			}
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
			d.ns = append(d.ns, nsDecl{"", view(v)})
		case bytes.HasPrefix(key, []byte("xmlns:")):
			d.ns = append(d.ns, nsDecl{view(key[len("xmlns:"):]), view(v)})
		case string(key) == "nil" || bytes.HasSuffix(key, []byte(":nil")):
			el.nilled = string(v) == "1" || string(v) == "true"
		}
	}
}

// sameName reports whether an end tag's name is the element's name as
// written. Space, the colon and Tag lie side by side in the start tag,
// so the name as written is one view and one comparison.
func sameName(el *Element, name []byte) bool {
	if el.Space == "" {
		return string(name) == el.Tag
	}
	return string(name) == unsafe.String(unsafe.StringData(el.Space), len(el.Space)+1+len(el.Tag))
}
