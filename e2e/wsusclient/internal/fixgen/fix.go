package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// requirements maps a generated Go type name to the XML names that must be
// on the wire: required elements by name, required attributes as "@name".
type requirements map[string]map[string]bool

// readRequirements collects, from every schema in a WSDL, the elements with
// minOccurs other than 0 (XSD's default is 1) and the attributes with
// use="required" of each named complexType and of each top-level element
// with an inline complexType: the two kinds gowsdl turns into Go structs.
func readRequirements(wsdl []byte) (requirements, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(wsdl); err != nil {
		return nil, err
	}
	req := requirements{}
	for _, schema := range doc.FindElements("//types/schema") {
		for _, top := range schema.ChildElements() {
			var ct *etree.Element
			switch top.Tag {
			case "complexType":
				ct = top
			case "element":
				ct = top.SelectElement("complexType")
			}
			if ct == nil || top.SelectAttrValue("name", "") == "" {
				continue
			}
			names := requiredIn(ct)
			if len(names) > 0 {
				req[goTypeName(top.SelectAttrValue("name", ""))] = names
			}
		}
	}
	return req, nil
}

// requiredIn lists the required children of one complexType: elements of
// its sequence or all (a choice's are never required), attributes, and the
// same inside a complexContent extension.
func requiredIn(ct *etree.Element) map[string]bool {
	names := map[string]bool{}
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			switch c.Tag {
			case "sequence", "all", "complexContent", "extension":
				walk(c)
			case "element":
				if c.SelectAttrValue("minOccurs", "1") != "0" {
					names[c.SelectAttrValue("name", "")] = true
				}
			case "attribute":
				if c.SelectAttrValue("use", "") == "required" {
					names["@"+c.SelectAttrValue("name", "")] = true
				}
			}
		}
	}
	walk(ct)
	return names
}

// goTypeName is the name gowsdl gives the struct for a schema type or
// element: the name with characters Go does not allow dropped and its
// first letter upper-cased.
func goTypeName(xmlName string) string {
	n := strings.Map(func(r rune) rune {
		switch {
		case r == '.':
			return '_'
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
			return r
		}
		return -1
	}, xmlName)
	r, size := utf8.DecodeRuneInString(n)
	return string(unicode.ToUpper(r)) + n[size:]
}

// report says what fix changed, for go generate's output.
type report struct {
	Exported    []string // "Type.old → New"
	Required    int      // fields that lost omitempty
	FaultCalls  int      // operations switched to CallContextWithFaultDetail
	FaultDetail bool     // whether the FaultDetail type was added
}

func (r report) String() string {
	s := fmt.Sprintf("exported %d field(s)", len(r.Exported))
	if len(r.Exported) > 0 {
		s += " (" + strings.Join(r.Exported, ", ") + ")"
	}
	s += fmt.Sprintf(", %d required field(s) without omitempty, %d operation(s) reading the fault detail", r.Required, r.FaultCalls)
	if r.FaultDetail {
		s += ", FaultDetail added"
	}
	return s
}

// marker is the line fix adds under gowsdl's "Code generated" line.
const marker = "// Repaired by e2e/wsusclient/internal/fixgen: see e2e/wsusclient/README.md."

// fix applies the repairs to one generated file and returns it gofmt-ed.
func fix(filename string, src []byte, req requirements) ([]byte, report, error) {
	var rep report
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, rep, err
	}

	found := map[string]bool{} // "Type.name" of each requirement met
	hasFaultDetail := false
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.TYPE {
			continue
		}
		for _, spec := range gen.Specs {
			ts := spec.(*ast.TypeSpec)
			if ts.Name.Name == "FaultDetail" {
				hasFaultDetail = true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			if err := fixStruct(ts.Name.Name, st, req[ts.Name.Name], found, &rep); err != nil {
				return nil, rep, fmt.Errorf("%s: %w", fset.Position(ts.Pos()), err)
			}
		}
	}
	for typ, names := range req {
		for name := range names {
			if !found[typ+"."+name] {
				return nil, rep, fmt.Errorf("the WSDL requires %s in %s, which the generated code lacks", name, typ)
			}
		}
	}

	ast.Inspect(file, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && isClientCallContext(call) {
			call.Fun.(*ast.SelectorExpr).Sel.Name = "CallContextWithFaultDetail"
			call.Args = append(call.Args, &ast.CallExpr{Fun: ast.NewIdent("new"), Args: []ast.Expr{ast.NewIdent("FaultDetail")}})
			rep.FaultCalls++
		}
		return true
	})

	var buf bytes.Buffer
	if err := format.Node(&buf, fset, file); err != nil {
		return nil, rep, err
	}
	out := buf.Bytes()
	if !hasFaultDetail {
		out = append(out, faultDetailSource...)
		rep.FaultDetail = true
	}
	if !bytes.Contains(out, []byte(marker)) {
		first, rest, _ := bytes.Cut(out, []byte("\n"))
		out = slices.Concat(first, []byte("\n"+marker+"\n"), rest)
	}
	out, err = format.Source(out)
	return out, rep, err
}

// fixStruct exports an unexported field and drops omitempty from the
// required ones of one struct, recording each requirement it meets.
func fixStruct(typeName string, st *ast.StructType, required map[string]bool, found map[string]bool, rep *report) error {
	taken := map[string]bool{}
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			taken[n.Name] = true
		}
	}
	for _, f := range st.Fields.List {
		if f.Tag == nil || len(f.Names) != 1 {
			continue
		}
		tag, err := parseTag(f.Tag.Value)
		if err != nil {
			return err
		}
		xmlTag, ok := tag.get("xml")
		if !ok {
			continue
		}
		opts := strings.Split(xmlTag, ",")
		xmlName := opts[0]
		if name := f.Names[0]; !ast.IsExported(name.Name) && name.Name != "_" {
			// encoding/xml ignores unexported fields (gowsdl #275). gowsdl
			// itself renames "string" to Astring; "int" gets the same.
			exported := "A" + name.Name
			if taken[exported] {
				return fmt.Errorf("cannot export %s.%s as %s: the name is taken", typeName, name.Name, exported)
			}
			rep.Exported = append(rep.Exported, typeName+"."+name.Name+" → "+exported)
			name.Name = exported
		}

		key := xmlName
		if slices.Contains(opts[1:], "attr") {
			key = "@" + xmlName
		}
		if !required[key] {
			continue
		}
		found[typeName+"."+key] = true
		if i := slices.Index(opts, "omitempty"); i > 0 {
			tag.set("xml", strings.Join(slices.Delete(opts, i, i+1), ","))
			f.Tag.Value = tag.literal()
			rep.Required++
		}
	}
	return nil
}

// isClientCallContext matches service.client.CallContext(ctx, action,
// request, response), the call every generated operation makes.
func isClientCallContext(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "CallContext" || len(call.Args) != 4 {
		return false
	}
	recv, ok := sel.X.(*ast.SelectorExpr)
	return ok && recv.Sel.Name == "client"
}

// structTag is a struct tag as ordered key/value pairs, so that rewriting
// one key keeps the others as they were.
type structTag []struct{ key, value string }

// parseTag reads a tag literal as written in source (`xml:"a" json:"b"`),
// following the syntax reflect.StructTag accepts.
func parseTag(lit string) (structTag, error) {
	s, err := strconv.Unquote(lit)
	if err != nil {
		return nil, fmt.Errorf("tag %s: %w", lit, err)
	}
	var tag structTag
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		colon := strings.Index(s, `:"`)
		if colon <= 0 {
			return nil, fmt.Errorf("tag %s: malformed", lit)
		}
		key := s[:colon]
		rest := s[colon+1:]
		end := 1
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			return nil, fmt.Errorf("tag %s: unterminated value", lit)
		}
		value, err := strconv.Unquote(rest[:end+1])
		if err != nil {
			return nil, fmt.Errorf("tag %s: %w", lit, err)
		}
		tag = append(tag, struct{ key, value string }{key, value})
		s = rest[end+1:]
	}
	return tag, nil
}

func (t structTag) get(key string) (string, bool) {
	for _, kv := range t {
		if kv.key == key {
			return kv.value, true
		}
	}
	return "", false
}

func (t structTag) set(key, value string) {
	for i := range t {
		if t[i].key == key {
			t[i].value = value
		}
	}
}

// literal writes the tag back as a raw string literal.
func (t structTag) literal() string {
	parts := make([]string, len(t))
	for i, kv := range t {
		parts[i] = kv.key + ":" + strconv.Quote(kv.value)
	}
	return "`" + strings.Join(parts, " ") + "`"
}

// faultDetailSource is appended to each generated file. ASMX WSDLs declare
// no faults, so gowsdl generates no detail type, and soap.Client.CallContext
// skips the detail.
const faultDetailSource = `
// FaultDetail is the detail of a WSUS fault (MS-WUSP §2.2.2.4): the
// ErrorCode, Message, ID and Method a WSUS server writes into every
// SoapException it raises. When the fault comes with HTTP 200 (WSUS's
// default), an operation returns a *soap.SOAPFault whose Detail is a
// *FaultDetail. With HTTP 500, gowsdl returns a *soap.HTTPError with the
// body unparsed instead. Added by fixgen.
type FaultDetail struct {
	ErrorCode string ` + "`xml:\"ErrorCode\"`" + `
	Message   string ` + "`xml:\"Message\"`" + `
	ID        string ` + "`xml:\"ID\"`" + `
	Method    string ` + "`xml:\"Method\"`" + `
}

var _ soap.FaultError = (*FaultDetail)(nil)

// ErrorString is what (*soap.SOAPFault).Error says for a WSUS fault.
func (d *FaultDetail) ErrorString() string {
	s := "WSUS fault " + d.ErrorCode
	if d.Message != "" {
		s += ": " + d.Message
	}
	return s + " (ID " + d.ID + ")"
}

// HasData is false for a SOAP fault that is not a WSUS fault (its detail is
// empty), so (*soap.SOAPFault).Error falls back to the faultstring.
func (d *FaultDetail) HasData() bool { return d.ErrorCode != "" }
`
