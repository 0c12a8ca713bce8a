package wusp

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// The two renderings below reduce a tree to what the message readers use
// — namespace URI, local name, xsi:nil, trimmed text, children in order —
// so that parseTree's Element tree and etree's can be compared.

func renderEtree(e *etree.Element, b *strings.Builder) {
	nilled := false
	for _, a := range e.Attr {
		if a.Key == "nil" && (a.Value == "1" || a.Value == "true") {
			nilled = true
		}
	}
	var text strings.Builder
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok {
			text.WriteString(cd.Data)
		}
	}
	fmt.Fprintf(b, "{%s}%s nil=%v %q(", e.NamespaceURI(), e.Tag, nilled, strings.TrimSpace(text.String()))
	for _, c := range e.ChildElements() {
		renderEtree(c, b)
	}
	b.WriteString(")")
}

func renderOurs(e *Element, b *strings.Builder) {
	fmt.Fprintf(b, "{%s}%s nil=%v %q(", e.NamespaceURI(), e.Tag, e.nilled, strings.TrimSpace(e.Text()))
	for _, c := range e.ChildElements() {
		renderOurs(c, b)
	}
	b.WriteString(")")
}

// FuzzParseTree holds the fast parser to etree's own reader: whatever
// encoding/xml reads as one well-formed document, parseTree reads to the same
// tree, unless it refuses on purpose (a DTD, nesting beyond the bound, a name
// with an empty prefix or local part, a "<!" markup that is no comment, CDATA
// or DTD — encoding/xml lets those through).
func FuzzParseTree(f *testing.F) {
	for _, name := range []string{"testdata/syncupdates-wua.xml", "testdata/getcookie-wua.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[len(b)-len(strings.TrimPrefix(string(b), "\ufeff")):])
	}
	f.Add([]byte(`<a xmlns="u" x:y='1' xmlns:x="v"><b>&lt;t&gt; &amp; &#65;&#x42;</b><![CDATA[<raw>]]><!-- c --><c/></a>`))
	f.Add([]byte(`<?xml version="1.0"?><r><s>one</s> two <s>three</s></r>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ours, ourErr := parseTree(b, 64)
		doc := etree.NewDocument()
		refErr := doc.ReadFromBytes(b)
		if refErr != nil || doc.Root() == nil || len(doc.ChildElements()) != 1 {
			return // etree refuses or sees no single root: nothing to hold us to
		}
		for _, tok := range doc.Child {
			if cd, ok := tok.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
				return // encoding/xml tolerates text outside the root; XML does not
			}
		}
		var syn *SyntaxError
		if ourErr != nil {
			if errors.As(ourErr, &syn) && (strings.Contains(ourErr.Error(), "document type") || strings.Contains(ourErr.Error(), "nested deeper") || strings.Contains(ourErr.Error(), "invalid element name") || strings.Contains(ourErr.Error(), "bang type")) {
				return
			}
			t.Fatalf("etree reads %q, parseTree refuses it: %v", b, ourErr)
		}
		var got, want strings.Builder
		renderOurs(ours, &got)
		renderEtree(doc.Root(), &want)
		if got.String() != want.String() {
			t.Fatalf("trees differ for %q\n ours: %s\netree: %s", b, got.String(), want.String())
		}
	})
}
