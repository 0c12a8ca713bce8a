// Package yamlfile reads the project's YAML input files (scenarios,
// catalogs, client profiles) one way: bounded in size and in alias
// expansion before any work is done on them, and with every problem
// reported as "FILE:LINE: path: cause".
//
// Files are walked as yaml.Node trees rather than decoded into structs, so
// that every message can name the file, the line and the key, and unknown
// keys, duplicate keys and wrong types are all refused the same way.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxBytes bounds a file. The built-in scenarios, catalog and profiles are
// a few kilobytes each.
const MaxBytes = 1 << 20

// MaxNodes bounds the nodes a file holds once its aliases are expanded: a
// walker that follows aliases does that much work at most. yaml.v3 guards
// its own decoding into values against alias amplification, but a
// yaml.Node tree keeps aliases as pointers, and walking them multiplies.
const MaxNodes = 1 << 20

// Error is a problem in a file, at a line: "FILE:LINE: path: cause". Line
// is 0 when the problem has none, Path empty when it concerns no key.
type Error struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(filepath.ToSlash(e.File))
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// File reports problems against one file.
type File struct{ Name string }

// Errorf is a problem at n (nil: no line).
func (f File) Errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: f.Name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// At is a problem at n under path.
func (f File) At(n *yaml.Node, path, format string, args ...any) error {
	e := f.Errorf(n, format, args...).(*Error)
	e.Path = path
	return e
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Read reads a file of at most MaxBytes from r and returns its top-level
// node, which must be a mapping.
func (f File) Read(r io.Reader) (*yaml.Node, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if len(b) > MaxBytes {
		return nil, &Error{File: f.Name, Msg: fmt.Sprintf("larger than %d bytes; refused unread", MaxBytes)}
	}
	return f.Parse(b)
}

// Parse parses b (at most MaxBytes) and returns its top-level node, which
// must be a mapping.
func (f File) Parse(b []byte) (*yaml.Node, error) {
	if len(b) > MaxBytes {
		return nil, &Error{File: f.Name, Msg: fmt.Sprintf("larger than %d bytes; refused unread", MaxBytes)}
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: f.Name, Msg: "empty file"}
		}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &Error{File: f.Name, Line: line, Msg: "invalid YAML: " + m[2]}
		}
		return nil, &Error{File: f.Name, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: f.Name, Msg: "empty file"}
	}
	if n := overBudget(&doc); n != nil {
		return nil, f.Errorf(n, "aliases expand to more than %d nodes; refused", MaxNodes)
	}
	root := Deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, f.Errorf(root, "want a mapping at the top level, got %s", Describe(root))
	}
	return root, nil
}

// overBudget returns the first node whose expanded size passes MaxNodes,
// or nil. Sizes are memoised per node, so the check is linear in the file
// however the aliases nest.
func overBudget(doc *yaml.Node) *yaml.Node {
	size := map[*yaml.Node]int{}
	var over *yaml.Node
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if over != nil {
			return MaxNodes + 1
		}
		if s, ok := size[n]; ok {
			return s
		}
		size[n] = MaxNodes + 1 // an alias cycle counts as too big
		s := 1
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			s += walk(n.Alias)
		}
		for _, c := range n.Content {
			s = min(s+walk(c), MaxNodes+1)
		}
		if s > MaxNodes && over == nil {
			over = n
		}
		size[n] = s
		return s
	}
	walk(doc)
	return over
}

// Deref follows aliases to the node they name.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// Describe names a node's kind for messages: "a list", "a string "abc"".
func Describe(n *yaml.Node) string {
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
