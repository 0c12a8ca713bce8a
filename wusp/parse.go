package wusp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxElements bounds the elements of one message. The largest request a
// WSUS 3.0 server accepted, SyncUpdates with 22,000 cached update IDs and
// 400 installed non-leaf IDs (ClientWebService's web.config), has about
// 22,500; the bound keeps a body of empty elements from costing more than a
// few megabytes of tree.
const MaxElements = 1 << 16

// Document parses messages into Element trees and owns the memory behind
// them: the Elements, and the text it had to rewrite (entities resolved,
// line ends normalised, pieces joined). Names and all other text are views
// into the body, which the caller must leave unchanged while it reads the
// tree. A Document is reused: each parse overwrites the tree of the one
// before, so a server keeps Documents in a pool and parses every request
// without building a tree from scratch. The zero Document is ready to use;
// it is not safe for concurrent use.
type Document struct {
	body []byte
	// nodes hold the Elements in document order; element n is nodes[n-1].
	// They grow with what was parsed, never with what the body might hold,
	// and may move while a parse adds to them: the tree links them by
	// number, and pointers are handed out only once the parse is done.
	nodes []Element
	// stack holds the numbers of the open elements, texts[i] the
	// character data of stack[i] (see levelText).
	stack []int32
	texts []levelText
	ns    []nsDecl
	// arena holds rewritten text; spans into it stay valid when it grows.
	arena []byte
	// general turns the leaf path off, so that tests can hold the two
	// paths to the same tree.
	general bool
}

// levelText is what the parser keeps of one open element: its last child,
// and its character data. Text in one piece,
// the usual case, stays a span (first); text split by comments, processing
// instructions, CDATA sections or child elements is appended to buf and
// copied to the arena once when the element ends, so joining costs linear
// time. White space between two pieces of text is kept (space), white
// space before the first and after the last is not: readers trim it, and
// skipping it leaves the indentation of an element with children alone.
type levelText struct {
	// lastChild is the number of the element's last child so far.
	lastChild int32
	first     span
	buf       []byte
	space     []byte
	pieces    int
}

// Reuse bounds what a Document keeps between parses, so one large request
// does not pin its memory in a pool.
const (
	maxKeptBuffer = 64 << 10
	maxKeptNodes  = 2048
)

// Clear drops the tree and any oversized buffers; the Document stays ready
// for the next parse. Elements read from it must not be used afterwards.
// Elements hold no pointers into the body or the arena, so the kept ones
// pin nothing and need no clearing.
func (d *Document) Clear() {
	if cap(d.nodes) > maxKeptNodes {
		d.nodes = nil // a pooled Document must not pin a large request's tree
	}
	d.nodes = d.nodes[:0]
	d.stack = d.stack[:0]
	for i := range d.texts {
		t := &d.texts[i]
		if cap(t.buf) > maxKeptBuffer {
			t.buf = nil
		}
		if cap(t.space) > maxKeptBuffer {
			t.space = nil
		}
	}
	d.ns = d.ns[:0]
	if cap(d.arena) > maxKeptBuffer {
		d.arena = nil
	}
	d.arena = d.arena[:0]
	d.body = nil
}

// next returns a blank Element, or nil past MaxElements. The pointer is
// good until the next call.
func (d *Document) next() *Element {
	n := len(d.nodes)
	if n == MaxElements {
		return nil
	}
	if n == cap(d.nodes) {
		// Doubling keeps what all the copies cost to twice the tree.
		grown := make([]Element, n, min(max(2*n, 256), MaxElements))
		copy(grown, d.nodes)
		d.nodes = grown
	}
	d.nodes = d.nodes[:n+1]
	el := &d.nodes[n]
	if el.d != d {
		el.d = d
	}
	el.node = node{num: int32(n + 1)}
	return el
}

// parse builds the Element tree of a message.
//
// It is a tokenizer of its own, made for SOAP requests: it reads the body
// in place and hands every token straight to the tree, where a general
// tokenizer (encoding/xml for etree, and gosax before this one) copied the
// body and made an event per token; parsing was most of the cost of a
// SyncUpdates fault (README, "Performance"). It enforces the
// well-formedness rules a SOAP request must meet: one root, balanced and
// matching tags, quoted attribute values without '<', known entities and
// character references, only characters XML allows, no "]]>" in text, no
// "--" in comments, no text outside the root, no DTD (SOAP 1.1 §3 forbids
// one, which also rules out entity expansion), nesting no deeper than
// maxDepth and no more than MaxElements elements. Line ends are
// normalised to "\n" as XML requires. FuzzParseTree holds the result to
// etree's own reader.
func (d *Document) parse(b []byte, maxDepth int) (*Element, error) {
	d.Clear()
	if len(b) >= inArena {
		return nil, syntaxErr("message too large")
	}
	d.body = b
	for i := 0; i < len(b); {
		if b[i] != '<' {
			// Text is read and classified in one pass: most of it is a
			// few digits or the indentation before the next tag.
			end, class := i, uint8(0)
			for ; end < len(b); end++ {
				c := textClass[b[end]]
				if c&classMarkup != 0 {
					break
				}
				class |= c
				if b[end] == '\n' {
					// Indentation: skip its spaces eight at a time.
					for end+9 <= len(b) && binary.LittleEndian.Uint64(b[end+1:]) == eightSpaces {
						end += 8
					}
				}
			}
			// The common cases take no call: indentation before an
			// element's first piece of text or between elements, which
			// needs nothing, and plain text that is an element's first
			// piece, which is kept as it is.
			var t *levelText
			if len(d.stack) > 0 {
				t = &d.texts[len(d.stack)-1]
			}
			switch {
			case class == classText && t != nil && t.pieces == 0:
				t.first, t.pieces = span{uint32(i), uint32(end - i)}, 1
			case class&classText != 0 || t != nil && t.pieces > 0:
				if err := d.charData(i, end, class, false); err != nil {
					return nil, err
				}
			}
			i = end
			continue
		}
		if i+1 == len(b) {
			return nil, d.eof()
		}
		var err error
		switch b[i+1] {
		case '/':
			i, err = d.endTag(i)
		case '?':
			i, err = d.instruction(i)
		case '!':
			i, err = d.bang(i)
		default:
			if end, ok := d.leaf(i, maxDepth); ok {
				i = end
				continue
			}
			el := d.next()
			if el == nil {
				return nil, syntaxErr(fmt.Sprintf("more than %d elements", MaxElements))
			}
			var selfClosing bool
			if i, selfClosing, err = d.startTag(el, i); err != nil {
				return nil, err
			}
			switch {
			case len(d.stack) > 0:
				d.adopt(el)
			case el.num != 1:
				return nil, syntaxErr("more than one root element")
			}
			if !selfClosing {
				if len(d.stack) == maxDepth {
					return nil, syntaxErr(fmt.Sprintf("elements nested deeper than %d levels", maxDepth))
				}
				d.stack = append(d.stack, el.num)
				if len(d.texts) < len(d.stack) {
					d.texts = append(d.texts, levelText{})
				}
				t := &d.texts[len(d.stack)-1]
				t.first, t.pieces, t.lastChild = span{}, 0, 0
				t.buf = t.buf[:0]
				t.space = t.space[:0]
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if len(d.stack) > 0 {
		return nil, d.eof()
	}
	if len(d.nodes) == 0 {
		return nil, syntaxErr("no root element")
	}
	return &d.nodes[0], nil
}

const eightSpaces = 0x2020202020202020

// leaf reads the element at i when it is a leaf in its plainest form,
// "<name>text</name>": an unprefixed ASCII name, no attributes, text with
// nothing to rewrite or check (no reference, carriage return, ']',
// control or non-ASCII byte), and an end tag with no white space. It adds
// the element as the general path would, and returns where it ends; on
// anything else it touches nothing and returns false, and the general
// path reads the element. Most elements of a request are such leaves (a
// SyncUpdates from WUA has 128 <int> among its 150); reading them without
// the stack, the text levels and the attribute loop parses that request
// about a fifth faster. (Reading a leaf's text eight bytes at a time, and
// skipping the white space between leaves here, were both slower.)
func (d *Document) leaf(i, maxDepth int) (int, bool) {
	if len(d.stack) == 0 || len(d.stack) == maxDepth || len(d.nodes) == MaxElements || d.general {
		return 0, false // a root, a limit the general path reports, or tests comparing the paths
	}
	b := d.body
	j := i + 1
	for j < len(b) && leafName[b[j]] {
		j++
	}
	if j == i+1 || j == len(b) || b[j] != '>' {
		return 0, false
	}
	name := b[i+1 : j]
	// The text, as parse classifies it: white space alone is no text.
	k, class := j+1, uint8(0)
	for ; k < len(b); k++ {
		c := textClass[b[k]]
		if c&^classText != 0 {
			break
		}
		class |= c
	}
	end := k + 2 + len(name)
	if k == len(b) || b[k] != '<' || end >= len(b) || b[k+1] != '/' || b[end] != '>' || string(b[k+2:end]) != string(name) {
		return 0, false
	}
	el := d.next()
	el.tag = span{uint32(i + 1), uint32(len(name))}
	if class != 0 {
		el.text = span{uint32(j + 1), uint32(k - j - 1)}
	}
	el.ns0 = int32(len(d.ns))
	el.ns1 = el.ns0
	d.adopt(el)
	return end + 1, true
}

// adopt links el as the last child of the open element, whose level
// remembers its last child so far.
func (d *Document) adopt(el *Element) {
	parent := &d.texts[len(d.stack)-1]
	el.parent = d.stack[len(d.stack)-1]
	if parent.lastChild == 0 {
		d.nodes[el.parent-1].first = el.num
	} else {
		d.nodes[parent.lastChild-1].next = el.num
	}
	parent.lastChild = el.num
}

// leafName marks the bytes of a name leaf reads: ASCII letters, digits,
// '_', '-' and '.'.
var leafName = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
	}
	return t
}()

// eof is the error of a body that ends inside the document.
func (d *Document) eof() error {
	if len(d.stack) > 0 {
		return syntaxErr(fmt.Sprintf("unexpected end of input: <%s> is not closed", d.at(d.stack[len(d.stack)-1]).FullTag()))
	}
	return syntaxErr("unexpected end of input")
}

// endTag reads the "</name>" at i, closes the open element and returns
// where the tag ends.
func (d *Document) endTag(i int) (int, error) {
	if len(d.stack) == 0 {
		return 0, d.badEndTag(i, nil)
	}
	b := d.body
	top := d.at(d.stack[len(d.stack)-1])
	// The name must be the open element's as written: prefix, colon and
	// local name lie side by side in its start tag.
	start := top.tag.off
	if top.space.n > 0 {
		start = top.space.off
	}
	name := b[start : top.tag.off+top.tag.n]
	j := i + 2 + len(name)
	if j > len(b) || string(b[i+2:j]) != string(name) {
		return 0, d.badEndTag(i, top)
	}
	for j < len(b) && isSpaceByte(b[j]) {
		j++
	}
	if j == len(b) || b[j] != '>' {
		return 0, d.badEndTag(i, top)
	}
	switch t := &d.texts[len(d.stack)-1]; t.pieces {
	case 0:
	case 1:
		top.text = t.first
	default:
		top.text = d.keep(t.buf)
	}
	d.stack = d.stack[:len(d.stack)-1]
	return j + 1, nil
}

// badEndTag is the error of the end tag at i that does not close top, the
// open element (nil: none is open).
func (d *Document) badEndTag(i int, top *Element) error {
	b := d.body[i+2:]
	end := bytes.IndexByte(b, '>')
	if end < 0 {
		return d.eof()
	}
	name := bytes.TrimRight(b[:min(end, 64)], " \t\r\n")
	if top == nil {
		return syntaxErr(fmt.Sprintf("unexpected end tag </%s>", name))
	}
	return syntaxErr(fmt.Sprintf("element <%s> closed by </%s>", top.FullTag(), name))
}

// keep copies b to the arena.
func (d *Document) keep(b []byte) span {
	s := span{inArena | uint32(len(d.arena)), uint32(len(b))}
	d.arena = append(d.arena, b...)
	return s
}

// instruction skips the processing instruction at i ("<?target ...?>",
// the XML declaration among them): none carries anything a SOAP server
// reads.
func (d *Document) instruction(i int) (int, error) {
	b := d.body[i:]
	j := bytes.Index(b[2:], []byte("?>"))
	if j < 0 {
		return 0, syntaxErr("unexpected end of input in a processing instruction")
	}
	if j == 0 || isSpaceByte(b[2]) {
		return 0, syntaxErr("processing instruction without a target")
	}
	return i + 2 + j + 2, nil
}

// bang reads the markup at i that starts "<!": a comment, which is
// skipped, a CDATA section, whose content is character data, or a
// document type declaration, which a SOAP message must not have.
func (d *Document) bang(i int) (int, error) {
	b := d.body[i:]
	switch {
	case bytes.HasPrefix(b, []byte("<!--")):
		j := bytes.Index(b[4:], []byte("--"))
		if j < 0 {
			return 0, syntaxErr("unexpected end of input in a comment")
		}
		if 4+j+2 >= len(b) || b[4+j+2] != '>' {
			return 0, syntaxErr(`"--" inside a comment`)
		}
		return i + 4 + j + 3, nil
	case bytes.HasPrefix(b, []byte("<![CDATA[")):
		j := bytes.Index(b[9:], []byte("]]>"))
		if j < 0 {
			return 0, syntaxErr("unexpected end of input in a CDATA section")
		}
		return i + 9 + j + 3, d.charData(i+9, i+9+j, classify(b[9:9+j]), true)
	case bytes.HasPrefix(b, []byte("<!DOCTYPE")):
		return 0, syntaxErr("a SOAP message must not contain a document type declaration")
	}
	return 0, syntaxErr(fmt.Sprintf("unknown markup %q: only comments and CDATA sections may start with <!", b[:min(len(b), 12)]))
}

// Classes of a byte of character data, as textClass gives them.
const (
	classMarkup  = 1 << iota // '<': the end of the text
	classRewrite             // '&' or '\r': the text must be rewritten
	classBracket             // ']': the text might hold "]]>"
	classCheck               // a control character or a non-ASCII byte: check the characters
	classText                // anything but XML white space
)

var textClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == '<':
			t[c] = classMarkup
		case c == '&':
			t[c] = classRewrite | classText
		case c == '\r':
			t[c] = classRewrite
		case c == ' ' || c == '\t' || c == '\n':
		case c < 0x20 || c >= 0x80:
			t[c] = classCheck | classText
		case c == ']':
			t[c] = classBracket | classText
		default:
			t[c] = classText
		}
	}
	return t
}()

// classify ORs the classes of b's bytes; b holds no '<'.
func classify(b []byte) uint8 {
	var class uint8
	for _, c := range b {
		class |= textClass[c]
	}
	return class
}

// charData adds the text body[start:end], of the given class, or a CDATA
// section's content, to the open element.
func (d *Document) charData(start, end int, class uint8, cdata bool) error {
	raw := d.body[start:end]
	if class&classText == 0 {
		// White space: readers trim it off the ends of an element's text,
		// so it counts only between two pieces of text.
		if len(d.stack) > 0 {
			if t := &d.texts[len(d.stack)-1]; t.pieces > 0 {
				t.space = appendNormalized(t.space, raw)
			}
		}
		return nil
	}
	if len(d.stack) == 0 {
		return syntaxErr("text outside the root element")
	}
	if !cdata && class&classBracket != 0 && bytes.Contains(raw, []byte("]]>")) {
		return syntaxErr(`"]]>" in text outside a CDATA section`)
	}
	s, err := d.resolve(start, end, class, !cdata)
	if err != nil {
		return err
	}
	t := &d.texts[len(d.stack)-1]
	text := d.str(s)
	if class&classRewrite != 0 && len(bytes.TrimSpace([]byte(text))) == 0 {
		// White space after all, from references such as &#32;.
		if t.pieces > 0 {
			t.space = append(t.space, text...)
		}
		return nil
	}
	switch t.pieces {
	case 0:
		t.first = s
		t.pieces++
		return nil
	case 1:
		t.buf = append(t.buf[:0], d.str(t.first)...)
	}
	t.buf = append(append(t.buf, t.space...), text...)
	t.space = t.space[:0]
	t.pieces++
	return nil
}

// resolve returns body[start:end], of the given class, with its line ends
// normalised and, when entities is set, its entity and character
// references resolved, after checking its characters. Text that needs no
// rewriting stays a span of the body; rewritten text goes to the arena.
func (d *Document) resolve(start, end int, class uint8, entities bool) (span, error) {
	s := span{uint32(start), uint32(end - start)}
	if class&classRewrite != 0 {
		raw := d.body[start:end]
		from, referenced := len(d.arena), false
		out := d.arena
		for i := 0; i < len(raw); i++ {
			switch c := raw[i]; {
			case c == '\r':
				out = append(out, '\n')
				if i+1 < len(raw) && raw[i+1] == '\n' {
					i++
				}
			case c == '&' && entities:
				r, n, err := reference(raw[i:])
				if err != nil {
					return span{}, err
				}
				out = utf8.AppendRune(out, r)
				i += n - 1
				referenced = true
			default:
				out = append(out, c)
			}
		}
		d.arena = out
		s = span{inArena | uint32(from), uint32(len(out) - from)}
		if referenced {
			class |= classCheck // a character reference may name any code point
		}
	}
	if class&classCheck != 0 {
		if err := checkChars(d.str(s)); err != nil {
			return span{}, err
		}
	}
	return s, nil
}

// appendNormalized appends white space with its line ends normalised.
func appendNormalized(dst, space []byte) []byte {
	for i, c := range space {
		if c != '\r' {
			dst = append(dst, c)
		} else if i+1 == len(space) || space[i+1] != '\n' {
			dst = append(dst, '\n')
		}
	}
	return dst
}

// reference reads the entity or character reference at the start of b
// ("&lt;", "&#65;", "&#x42;") and returns its character and length.
func reference(b []byte) (rune, int, error) {
	end := bytes.IndexByte(b, ';')
	if end < 0 || end > 12 {
		return 0, 0, syntaxErr(fmt.Sprintf("invalid character entity %q", b[:min(len(b), 12)]))
	}
	name := b[1:end]
	switch string(name) {
	case "lt":
		return '<', end + 1, nil
	case "gt":
		return '>', end + 1, nil
	case "amp":
		return '&', end + 1, nil
	case "apos":
		return '\'', end + 1, nil
	case "quot":
		return '"', end + 1, nil
	}
	if len(name) > 1 && name[0] == '#' {
		digits, base := name[1:], 10
		if digits[0] == 'x' {
			digits, base = digits[1:], 16
		}
		// strconv takes a sign or an underscore that XML does not.
		if len(digits) > 0 && isHexDigit(digits[0]) {
			if n, err := strconv.ParseUint(string(digits), base, 32); err == nil && n <= utf8.MaxRune {
				return rune(n), end + 1, nil
			}
		}
	}
	return 0, 0, syntaxErr(fmt.Sprintf("invalid character entity %q", b[:end+1]))
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// checkChars refuses text that is not UTF-8 or holds a character XML 1.0
// does not allow (§2.2: no control characters but tab, line feed and
// carriage return, no surrogates, no U+FFFE or U+FFFF). ASMX refused
// such a request as not well formed, as encoding/xml does.
func checkChars(s string) error {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return syntaxErr("invalid UTF-8")
		}
		if !isXMLChar(r) {
			return syntaxErr(fmt.Sprintf("illegal character code %U", r))
		}
		i += size
	}
	return nil
}

// isXMLChar is XML 1.0's Char production (§2.2).
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func syntaxErr(msg string) *SyntaxError { return &SyntaxError{errors.New(msg)} }

// Classes of a byte of a tag, as tagClass gives them.
const (
	tagNameEnd  = 1 + iota // white space, '/' or '>': the end of a name
	tagColon               // ':', between prefix and local name
	tagEquals              // '=': the end of an attribute's name
	tagBad                 // a byte no name may hold
	tagNonASCII            // a byte of a non-ASCII character: check the name
)

var tagClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = tagBad
	}
	for _, c := range []byte(`<"'&`) {
		t[c] = tagBad
	}
	for _, c := range []byte(" \t\r\n/>") {
		t[c] = tagNameEnd
	}
	t[':'] = tagColon
	t['='] = tagEquals
	for c := 0x80; c < 0x100; c++ {
		t[c] = tagNonASCII
	}
	return t
}()

// scanName reads the name at body[i:], which ends at white space, '/',
// '>', '=' (for an attribute) or the end of the body. It returns where
// the name ends and where its first colon is (-1 for none); a name that
// holds a byte no name may hold, or a second colon, gives end -1.
func (d *Document) scanName(i int, attr bool) (end, colon int) {
	b := d.body
	colon = -1
	nonASCII := false
	j := i
scan:
	for ; j < len(b); j++ {
		switch tagClass[b[j]] {
		case 0:
		case tagNameEnd:
			break scan
		case tagColon:
			if colon >= 0 && !attr {
				return -1, -1
			}
			if colon < 0 {
				colon = j
			}
		case tagNonASCII:
			nonASCII = true
		case tagEquals:
			if attr {
				break scan
			}
			return -1, -1
		default:
			return -1, -1
		}
	}
	if nonASCII && !utf8.Valid(b[i:j]) {
		return -1, -1
	}
	return j, colon
}

// startTag fills el from the start tag at i, "<p:name a='v' ...>" or
// "<.../>", and returns where it ends. Of the attributes only what a
// reader needs is kept: namespace declarations and xsi:nil.
func (d *Document) startTag(el *Element, i int) (end int, selfClosing bool, err error) {
	b := d.body
	nameEnd, colon := d.scanName(i+1, false)
	// A QName is "local" or "prefix:local" with both parts non-empty.
	if nameEnd <= i+1 || colon == i+1 || colon == nameEnd-1 {
		return 0, false, d.badName(i + 1)
	}
	if colon < 0 {
		el.tag = span{uint32(i + 1), uint32(nameEnd - i - 1)}
	} else {
		el.space = span{uint32(i + 1), uint32(colon - i - 1)}
		el.tag = span{uint32(colon + 1), uint32(nameEnd - colon - 1)}
	}
	el.ns0 = int32(len(d.ns))
	el.ns1 = el.ns0
	for j := nameEnd; ; {
		for j < len(b) && isSpaceByte(b[j]) {
			j++
		}
		if j == len(b) {
			return 0, false, d.eof()
		}
		switch b[j] {
		case '>':
			return j + 1, false, nil
		case '/':
			if j+1 == len(b) || b[j+1] != '>' {
				return 0, false, syntaxErr(fmt.Sprintf("<%s>: '/' not followed by '>'", b[i+1:nameEnd]))
			}
			return j + 2, true, nil
		}
		if j, err = d.attribute(el, b[i+1:nameEnd], j); err != nil {
			return 0, false, err
		}
	}
}

// badName is the error of the start tag at i whose name is empty, has an
// empty prefix or local part, or holds a byte no name may hold.
func (d *Document) badName(i int) error {
	b := d.body[i:]
	end := bytes.IndexAny(b, " \t\r\n/>")
	if end < 0 {
		if len(b) < 64 {
			return d.eof()
		}
		end = 64
	}
	return syntaxErr(fmt.Sprintf("invalid element name %q", b[:min(end, 64)]))
}

// attribute reads the attribute at j of the start tag of el (named name)
// and returns where it ends.
func (d *Document) attribute(el *Element, name []byte, j int) (int, error) {
	b := d.body
	keyEnd, _ := d.scanName(j, true)
	// Like an element's, an attribute's name has no empty prefix or local
	// part: "xmlns:" declares nothing (Namespaces in XML §3).
	if keyEnd <= j || b[j] == ':' || b[keyEnd-1] == ':' {
		return 0, syntaxErr(fmt.Sprintf("<%s>: invalid attribute name %q", name, b[j:min(len(b), max(keyEnd, j+1), j+16)]))
	}
	key := b[j:keyEnd]
	j = keyEnd
	for j < len(b) && isSpaceByte(b[j]) {
		j++
	}
	if j == len(b) || b[j] != '=' {
		return 0, syntaxErr(fmt.Sprintf("<%s>: attribute %s has no value", name, key))
	}
	j++
	for j < len(b) && isSpaceByte(b[j]) {
		j++
	}
	if j == len(b) || b[j] != '"' && b[j] != '\'' {
		return 0, syntaxErr(fmt.Sprintf("<%s>: the value of attribute %s is not quoted", name, key))
	}
	q := b[j]
	n := bytes.IndexByte(b[j+1:], q)
	if n < 0 {
		return 0, d.eof()
	}
	raw := b[j+1 : j+1+n]
	if bytes.IndexByte(raw, '<') >= 0 {
		return 0, syntaxErr(fmt.Sprintf("<%s>: '<' in the value of attribute %s", name, key))
	}
	value, err := d.resolve(j+1, j+1+n, classify(raw), true)
	if err != nil {
		return 0, err
	}
	switch {
	case string(key) == "xmlns":
		d.ns = append(d.ns, nsDecl{span{}, value})
		el.ns1++
	case bytes.HasPrefix(key, []byte("xmlns:")):
		d.ns = append(d.ns, nsDecl{span{uint32(keyEnd - len(key) + len("xmlns:")), uint32(len(key) - len("xmlns:"))}, value})
		el.ns1++
	case string(key) == "nil" || bytes.HasSuffix(key, []byte(":nil")):
		v := d.str(value)
		el.nilled = v == "1" || v == "true"
	}
	return j + 1 + n + 1, nil
}
