package wusp

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// canonical renders a tree as namespace URI, local name, sorted attributes
// and trimmed text, so that two parsers' trees compare whatever prefixes and
// whitespace they kept.
func canonical(e *etree.Element, b *strings.Builder) {
	b.WriteString("{" + e.NamespaceURI() + "}" + e.Tag)
	var attrs []string
	for _, a := range e.Attr {
		attrs = append(attrs, a.FullKey()+"="+a.Value)
	}
	sort.Strings(attrs)
	b.WriteString("[" + strings.Join(attrs, " ") + "]")
	if t := strings.TrimSpace(e.Text()); t != "" {
		b.WriteString("'" + t + "'")
	}
	b.WriteString("(")
	for _, c := range e.ChildElements() {
		canonical(c, b)
	}
	b.WriteString(")")
}

func render(e *etree.Element) string {
	var b strings.Builder
	canonical(e, &b)
	return b.String()
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
		if got, want := render(ours), render(doc.Root()); got != want {
			t.Fatalf("trees differ for %q\n ours: %s\netree: %s", b, got, want)
		}
	})
}
