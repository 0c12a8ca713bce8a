package wusp

import (
	"strings"
	"unsafe"
)

// Element is one element of a parsed SOAP message: the read-only tree that
// ParseRequest returns and the message readers walk.
//
// It is not an etree.Element on purpose. Building an etree document cost
// about 180 allocations for a SyncUpdates request, most of a fault's CPU in
// the server's profile. An Element holds no pointer but the one to its
// Document: names and text are spans of the body or of the Document's
// arena, and the links to parent, children and siblings are element
// numbers. Parsing therefore writes no pointers into the tree (no write
// barriers while the garbage collector runs, nothing to clear before the
// next parse), and a Document reused from request to request reads a
// request without allocating. Responses are still built with etree,
// except the hot replies, which are appended (encode.go).
type Element struct {
	d *Document // set once, when the Document first hands out this slot
	node
}

// node is an Element's content, free of pointers so that a parse fills it
// without write barriers.
type node struct {
	// space is the prefix as written, tag the local name, text the
	// character data with entities resolved.
	space, tag, text span
	// num is the element's own number; parent, first (child) and next
	// (sibling) are those of its relatives, 0 for none.
	num, parent, first, next int32
	// ns0 and ns1 delimit the namespace declarations made on this element
	// in the Document's list.
	ns0, ns1 int32
	// nilled is set by an xsi:nil="1" or "true" attribute (any prefix: WUA
	// declares xsi, other senders may not).
	nilled bool
}

// span is a run of bytes of the body, or of the Document's arena when off
// has inArena set.
type span struct{ off, n uint32 }

const inArena = 1 << 31

// nsDecl is one xmlns or xmlns:prefix attribute.
type nsDecl struct{ prefix, uri span }

// str is the text of s, a view valid until the Document parses again.
func (d *Document) str(s span) string {
	if s.n == 0 {
		return ""
	}
	src, off := d.body, s.off
	if off&inArena != 0 {
		src, off = d.arena, off&^inArena
	}
	return unsafe.String(&src[off], s.n)
}

// at is the element numbered n, or nil for 0.
func (d *Document) at(n int32) *Element {
	if n == 0 {
		return nil
	}
	return &d.nodes[n-1]
}

// Space is the element's prefix as written, Tag its local name. Both are
// views into the Document: valid until it parses again.
func (e *Element) Space() string { return e.d.str(e.space) }

// Tag is the element's local name; see Space.
func (e *Element) Tag() string { return e.d.str(e.tag) }

// rawText is the character data, entities resolved, as a view like Tag.
func (e *Element) rawText() string { return e.d.str(e.text) }

func (e *Element) firstChild() *Element  { return e.d.at(e.first) }
func (e *Element) nextSibling() *Element { return e.d.at(e.next) }

// NamespaceURI resolves the element's prefix (or the default namespace) in
// the declarations in scope.
func (e *Element) NamespaceURI() string {
	d, prefix := e.d, e.Space()
	for n := e; n != nil; n = d.at(n.parent) {
		for _, decl := range d.ns[n.ns0:n.ns1] {
			if d.str(decl.prefix) == prefix {
				return d.str(decl.uri)
			}
		}
	}
	return ""
}

// Text is a copy of the element's character data, entities resolved: it
// stays valid after the Document is reused.
func (e *Element) Text() string { return strings.Clone(e.rawText()) }

// FullTag is the name as written, "prefix:local" or "local".
func (e *Element) FullTag() string {
	if e.space.n == 0 {
		return e.Tag()
	}
	return e.Space() + ":" + e.Tag()
}

// ChildElements lists the element's children in document order.
func (e *Element) ChildElements() []*Element {
	var out []*Element
	for c := e.firstChild(); c != nil; c = c.nextSibling() {
		out = append(out, c)
	}
	return out
}
