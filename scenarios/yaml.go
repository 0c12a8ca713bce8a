package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The loader walks yaml.Node trees by hand rather than decoding into
// structs: every message can then name the file, the line and the key, and
// unknown keys, duplicate keys and wrong types are all refused the same way.

// fileParser reports errors against one file.
type fileParser struct{ file string }

func (p fileParser) errAt(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &LoadError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses b and returns its root node, which must be a mapping.
func (p fileParser) document(b []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &LoadError{File: p.file, Line: 0, Msg: "empty file"}
		}
		if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &LoadError{File: p.file, Line: line, Msg: "invalid YAML: " + m[2]}
		}
		return nil, &LoadError{File: p.file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, p.errAt(root, "want a mapping at the top level, got %s", describe(root))
	}
	return root, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// describe names a node's kind for messages: "a list", "a string "abc"".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int":
			return "an integer " + n.Value
		case "!!bool":
			return "a boolean " + n.Value
		case "!!null":
			return "nothing"
		case "!!float":
			return "a number " + n.Value
		case "!!timestamp":
			return "a date " + n.Value
		}
		return strconv.Quote(n.Value)
	}
	return "an unexpected node"
}

// fields is a YAML mapping whose keys have been checked against a list.
type fields struct {
	p    fileParser
	node *yaml.Node
	what string
	vals map[string]*yaml.Node
}

// mapping checks that n is a mapping holding only the allowed keys, each once.
func (p fileParser) mapping(n *yaml.Node, what string, allowed ...string) (*fields, error) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil, p.errAt(n, "%s: want a mapping, got %s", what, describe(n))
	}
	f := &fields{p: p, node: n, what: what, vals: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, p.errAt(k, "%s: keys must be plain words", what)
		}
		if _, dup := f.vals[k.Value]; dup {
			return nil, p.errAt(k, "%s: duplicate key %q", what, k.Value)
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if !known {
			return nil, p.errAt(k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(allowed, ", "))
		}
		f.vals[k.Value] = deref(v)
	}
	return f, nil
}

func (f *fields) has(key string) bool { return f.vals[key] != nil }

func (f *fields) missing(key string) error {
	return f.p.errAt(f.node, "%s: missing required key %q", f.what, key)
}

func (f *fields) wrong(key, want string) error {
	n := f.vals[key]
	return f.p.errAt(n, "%s: %s: want %s, got %s", f.what, key, want, describe(n))
}

// str reads a string. Unquoted numbers are accepted (kb: 842532).
func (f *fields) str(key string, required bool) (string, error) {
	n := f.vals[key]
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		if required {
			return "", f.missing(key)
		}
		return "", nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!bool" {
		return "", f.wrong(key, "a string")
	}
	if required && strings.TrimSpace(n.Value) == "" {
		return "", f.p.errAt(n, "%s: %s must not be empty", f.what, key)
	}
	return n.Value, nil
}

func (f *fields) integer(key string, required bool) (int, error) {
	n := f.vals[key]
	if n == nil {
		if required {
			return 0, f.missing(key)
		}
		return 0, nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, f.wrong(key, "an integer")
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		return 0, f.wrong(key, "an integer")
	}
	return v, nil
}

func (f *fields) boolean(key string, def bool) (bool, error) {
	n := f.vals[key]
	if n == nil {
		return def, nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, f.wrong(key, "true or false")
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", nil
}

// date reads 2008-06-10 or an RFC 3339 time, always as UTC.
func (f *fields) date(key string, required bool) (time.Time, error) {
	n := f.vals[key]
	if n == nil {
		if required {
			return time.Time{}, f.missing(key)
		}
		return time.Time{}, nil
	}
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!timestamp" || n.Tag == "!!str") {
		for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, n.Value); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, f.wrong(key, "a date like 2008-06-10 or 2008-06-10T07:12:44Z")
}

func (f *fields) list(key string) ([]*yaml.Node, error) {
	n := f.vals[key]
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, f.wrong(key, "a list")
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out, nil
}

func (f *fields) intList(key string) ([]int, []*yaml.Node, error) {
	items, err := f.list(key)
	if err != nil {
		return nil, nil, err
	}
	var out []int
	for _, it := range items {
		v, err := strconv.Atoi(it.Value)
		if it.Kind != yaml.ScalarNode || it.Tag != "!!int" || err != nil {
			return nil, nil, f.p.errAt(it, "%s: %s: want a list of revision IDs, got %s", f.what, key, describe(it))
		}
		out = append(out, v)
	}
	return out, items, nil
}

func (f *fields) strList(key string) ([]string, []*yaml.Node, error) {
	items, err := f.list(key)
	if err != nil {
		return nil, nil, err
	}
	var out []string
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Tag != "!!str" {
			return nil, nil, f.p.errAt(it, "%s: %s: want a list of strings, got %s", f.what, key, describe(it))
		}
		out = append(out, it.Value)
	}
	return out, items, nil
}
