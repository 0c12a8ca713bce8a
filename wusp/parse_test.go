package wusp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/wsusmock/wsusmock/internal/heap"
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
	fmt.Fprintf(b, "{%s}%s nil=%v %q(", e.NamespaceURI(), e.Tag(), e.nilled, strings.TrimSpace(e.rawText()))
	for _, c := range e.ChildElements() {
		renderOurs(c, b)
	}
	b.WriteString(")")
}

// renderNodes lists d's elements as parsed, links and untrimmed text
// included, for holding two parses to the very same tree.
func renderNodes(d *Document) string {
	var b strings.Builder
	for i := range d.nodes {
		e := &d.nodes[i]
		fmt.Fprintf(&b, "%d %s %q parent=%d first=%d next=%d ns=%d-%d nil=%v\n",
			e.num, e.FullTag(), e.rawText(), e.parent, e.first, e.next, e.ns0, e.ns1, e.nilled)
	}
	return b.String()
}

// FuzzParseTree holds the parser to etree's own reader: whatever
// encoding/xml reads as one well-formed document, parse reads to the same
// tree, unless it refuses on purpose (a DTD, nesting beyond the bound, an
// element or attribute name with an empty prefix or local part, a "<!"
// markup that is no comment, CDATA or DTD, a "--" inside a comment —
// encoding/xml lets those through).
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
	f.Add([]byte("<a> x <b/> <c/> y\r\n</a>"))
	f.Add([]byte("<a><int>1</int>\n  <int> 2 </int><int>  </int><int></int><b:int xmlns:b='u'>3</b:int><int>4&amp;</int><int>5</int ></a>"))
	// One Document parses every input, as a server's pooled ones do: what
	// the previous input left in it must not show in the next tree.
	var reused Document
	general := Document{general: true}
	f.Fuzz(func(t *testing.T, b []byte) {
		ours, ourErr := reused.parse(b, 64)
		// The leaf path changes nothing: the general path alone reads
		// the same tree, or refuses with the same error.
		generalTree, generalErr := general.parse(b, 64)
		switch {
		case (ourErr == nil) != (generalErr == nil) || ourErr != nil && ourErr.Error() != generalErr.Error():
			t.Fatalf("%q: with leaves %v, general path alone %v", b, ourErr, generalErr)
		case ourErr == nil:
			if got, want := renderNodes(ours.d), renderNodes(generalTree.d); got != want {
				t.Fatalf("%q: with leaves\n%s\ngeneral path alone\n%s", b, got, want)
			}
		}
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
			if errors.As(ourErr, &syn) && (strings.Contains(ourErr.Error(), "document type") || strings.Contains(ourErr.Error(), "nested deeper") || strings.Contains(ourErr.Error(), "invalid element name") || strings.Contains(ourErr.Error(), "unknown markup") || strings.Contains(ourErr.Error(), "invalid attribute name") || strings.Contains(ourErr.Error(), `"--" inside a comment`)) {
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

// A body of nothing but '<' is refused at its second byte. The parser once
// sized its element slice by counting '<' in the body, so this 1 MiB
// request cost over 100 MiB before the first token was read.
func TestParseTreeAllocatesForWhatItRead(t *testing.T) {
	body := bytes.Repeat([]byte{'<'}, 1<<20)
	var err error
	got := heap.Allocated(func() { _, err = new(Document).parse(body, DefaultMaxDepth) })
	if err == nil {
		t.Fatal("a body of '<' parsed")
	}
	// The tokenizer's copy of the body, plus a little.
	if limit := uint64(len(body)) + 256<<10; got > limit {
		t.Errorf("parsing a 1 MiB body of '<' allocated %d bytes, want at most %d", got, limit)
	}
}

// Text split by processing instructions is joined in linear time: a
// 256 KiB clientId cut every 8 bytes by <?a?> once cost gigabytes of
// string concatenation.
func TestParseTreeJoinsSplitTextLinearly(t *testing.T) {
	const chunk, chunks = "c0a7445f", 32 << 10
	var b bytes.Buffer
	b.WriteString("<clientId>")
	for range chunks {
		b.WriteString(chunk + "<?a?>")
	}
	b.WriteString("</clientId>")
	var root *Element
	var err error
	got := heap.Allocated(func() { root, err = new(Document).parse(b.Bytes(), DefaultMaxDepth) })
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat(chunk, chunks); root.Text() != want {
		t.Fatalf("text has %d bytes, want the %d bytes joined", len(root.Text()), len(want))
	}
	if limit := uint64(8 * b.Len()); got > limit {
		t.Errorf("parsing %d bytes of split text allocated %d bytes, want at most %d", b.Len(), got, limit)
	}
}

// A body of empty elements is refused once it passes MaxElements, before
// the tree costs more than a few megabytes.
func TestParseTreeBoundsElementCount(t *testing.T) {
	body := []byte("<r>" + strings.Repeat("<a/>", 200_000) + "</r>")
	var err error
	got := heap.Allocated(func() { _, err = new(Document).parse(body, DefaultMaxDepth) })
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d elements", MaxElements)) {
		t.Fatalf("err = %v, want the element limit named", err)
	}
	if limit := uint64(len(body)) + 16<<20; got > limit {
		t.Errorf("parsing %d empty elements allocated %d bytes, want at most %d", 200_000, got, limit)
	}
}

// A Document goes back to a pool after each request: once cleared it must
// not keep a large request's tree reachable, or every pooled Document
// pins megabytes (100 concurrent 1 MiB requests of empty elements held
// about 600 MB this way).
func TestClearReleasesLargeTrees(t *testing.T) {
	var d Document
	body := []byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetConfig xmlns="http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService">` +
		strings.Repeat("<a/>", 60000) + `<protocolVersion>1.0</protocolVersion></GetConfig></soap:Body></soap:Envelope>`)
	if _, err := d.ParseRequest(body, DefaultMaxDepth); err != nil {
		t.Fatal(err)
	}
	if n := retainedElements(&d); n < 60000 {
		t.Fatalf("the tree holds %d elements, want at least 60000", n)
	}
	d.Clear()
	if n := retainedElements(&d); n > maxKeptNodes {
		t.Errorf("a cleared Document still references %d elements", n)
	}
}

// What the parser refuses that a SOAP request must not hold, each with the
// problem named: ASMX's XmlReader refused the same requests, and
// encoding/xml does too.
func TestParseTreeRefusesIllFormedText(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"<a>\x00</a>", "illegal character code U+0000"},
		{"<a>&#0;</a>", "illegal character code U+0000"},
		{"<a>\x1b[2J</a>", "illegal character code U+001B"},
		{"<a>\xff</a>", "invalid UTF-8"},
		{"<a b='\xc3'/>", "invalid UTF-8"},
		{"<a>x]]>y</a>", `"]]>" in text`},
		{"<a b='<'/>", "'<' in the value of attribute b"},
		{"<a b=c/>", "not quoted"},
		{"<a>&bogus;</a>", "invalid character entity"},
		{"<a>&#x-1;</a>", "invalid character entity"},
		{"<a><!-- x -- y --></a>", `"--" inside a comment`},
		{"<a><!ELEMENT a ANY></a>", "unknown markup"},
		{"<a:b:c/>", "invalid element name"},
		// encoding/xml reads this as no declaration; the old parser read it
		// as the default namespace, and the fuzz target found the two
		// apart.
		{`<a xmlns:="v"/>`, "invalid attribute name"},
		{`<a :b="v"/>`, "invalid attribute name"},
	} {
		_, err := new(Document).parse([]byte(tc.body), DefaultMaxDepth)
		var syn *SyntaxError
		if !errors.As(err, &syn) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want a syntax error naming %s", tc.body, err, tc.want)
		}
	}
}

// Text reads as encoding/xml reads it: line ends normalised, references
// resolved, and the white space between two pieces of text kept.
func TestParseTreeText(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"<a>x\r\ny\rz</a>", "x\ny\nz"},
		{"<a> x <b/> <c/> y </a>", " x   y "},
		{"<a>&lt;&#65;&#x42;&amp;</a>", "<AB&"},
		{"<a>1<![CDATA[<2>]]><!--c-->3<?pi?>4</a>", "1<2>34"},
		{"<a>\r\n  <b/>\r\n</a>", ""},
	} {
		root, err := new(Document).parse([]byte(tc.body), DefaultMaxDepth)
		if err != nil {
			t.Fatalf("%q: %v", tc.body, err)
		}
		if got := root.Text(); got != tc.want {
			t.Errorf("%q: text %q, want %q", tc.body, got, tc.want)
		}
	}
}
