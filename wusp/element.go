package wusp

import "strings"

// Element is one element of a parsed SOAP message: the read-only tree that
// ParseRequest returns and the message readers walk.
//
// It is not an etree.Element on purpose. Building an etree document cost
// about 180 allocations for a SyncUpdates request, most of a fault's CPU in
// the server's profile. An Element's names and text are views into the
// buffers of the Document that parsed it, and a Document is reused from
// request to request, so reading a request allocates little beyond the
// strings the typed message keeps. Responses are still built with etree,
// except the hot replies, which are appended (encode.go).
type Element struct {
	// Space is the prefix as written, Tag the local name. Both are views
	// into the Document: valid until the Document parses again.
	Space, Tag string
	// text is the character data, entities resolved; a view like Tag.
	text string
	// nilled is set by an xsi:nil="1" or "true" attribute (any prefix: WUA
	// declares xsi, other senders may not).
	nilled bool
	// ns holds the namespace declarations made on this element.
	ns []nsDecl

	parent, first, last, next *Element
}

// nsDecl is one xmlns or xmlns:prefix attribute.
type nsDecl struct{ prefix, uri string }

// NamespaceURI resolves the element's prefix (or the default namespace) in
// the declarations in scope.
func (e *Element) NamespaceURI() string {
	for n := e; n != nil; n = n.parent {
		for _, d := range n.ns {
			if d.prefix == e.Space {
				return d.uri
			}
		}
	}
	return ""
}

// Text is a copy of the element's character data, entities resolved: it
// stays valid after the Document is reused.
func (e *Element) Text() string { return strings.Clone(e.text) }

// FullTag is the name as written, "prefix:local" or "local".
func (e *Element) FullTag() string {
	if e.Space == "" {
		return e.Tag
	}
	return e.Space + ":" + e.Tag
}

// ChildElements lists the element's children in document order.
func (e *Element) ChildElements() []*Element {
	var out []*Element
	for c := e.first; c != nil; c = c.next {
		out = append(out, c)
	}
	return out
}

func (e *Element) addChild(c *Element) {
	c.parent = e
	if e.last == nil {
		e.first = c
	} else {
		e.last.next = c
	}
	e.last = c
}
