package yamlfile

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Fields is a YAML mapping whose keys have been checked against a list.
type Fields struct {
	File File
	Node *yaml.Node
	// What is the mapping's path in messages ("revision 8862", "os").
	What string
	// Vals holds the value node of each key present, aliases followed.
	Vals map[string]*yaml.Node
}

// Mapping checks that n is a mapping holding only the allowed keys, each
// once.
func (f File) Mapping(n *yaml.Node, what string, allowed ...string) (*Fields, error) {
	n = Deref(n)
	if n.Kind != yaml.MappingNode {
		return nil, f.At(n, what, "want a mapping, got %s", Describe(n))
	}
	m := &Fields{File: f, Node: n, What: what, Vals: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, f.At(k, what, "keys must be plain words")
		}
		if _, dup := m.Vals[k.Value]; dup {
			return nil, f.At(k, what, "duplicate key %q", k.Value)
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if !known {
			return nil, f.At(k, what, "unknown key %q (known: %s)", k.Value, strings.Join(allowed, ", "))
		}
		m.Vals[k.Value] = Deref(v)
	}
	return m, nil
}

// Has reports whether key is present.
func (m *Fields) Has(key string) bool { return m.Vals[key] != nil }

// Missing is the error of a required key that is absent.
func (m *Fields) Missing(key string) error {
	return m.File.At(m.Node, m.What, "missing required key %q", key)
}

// Wrong is the error of a key whose value has the wrong type.
func (m *Fields) Wrong(key, want string) error {
	n := m.Vals[key]
	return m.File.At(n, m.What, "%s: want %s, got %s", key, want, Describe(n))
}

// Str reads a string. Unquoted numbers are accepted (kb: 842532).
func (m *Fields) Str(key string, required bool) (string, error) {
	n := m.Vals[key]
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		if required {
			return "", m.Missing(key)
		}
		return "", nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!bool" {
		return "", m.Wrong(key, "a string")
	}
	if required && strings.TrimSpace(n.Value) == "" {
		return "", m.File.At(n, m.What, "%s must not be empty", key)
	}
	return n.Value, nil
}

// Int reads an integer.
func (m *Fields) Int(key string, required bool) (int, error) {
	n := m.Vals[key]
	if n == nil {
		if required {
			return 0, m.Missing(key)
		}
		return 0, nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, m.Wrong(key, "an integer")
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		return 0, m.Wrong(key, "an integer")
	}
	return v, nil
}

// Bool reads true or false; def when absent.
func (m *Fields) Bool(key string, def bool) (bool, error) {
	n := m.Vals[key]
	if n == nil {
		return def, nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, m.Wrong(key, "true or false")
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", nil
}

// Date reads 2008-06-10 or an RFC 3339 time, always as UTC.
func (m *Fields) Date(key string, required bool) (time.Time, error) {
	n := m.Vals[key]
	if n == nil {
		if required {
			return time.Time{}, m.Missing(key)
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
	return time.Time{}, m.Wrong(key, "a date like 2008-06-10 or 2008-06-10T07:12:44Z")
}

// List reads a list (nothing is an empty one), aliases followed.
func (m *Fields) List(key string) ([]*yaml.Node, error) {
	n := m.Vals[key]
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, m.Wrong(key, "a list")
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = Deref(c)
	}
	return out, nil
}

// IntList reads a list of integers (what names them in messages), with
// their nodes.
func (m *Fields) IntList(key, what string) ([]int, []*yaml.Node, error) {
	items, err := m.List(key)
	if err != nil {
		return nil, nil, err
	}
	var out []int
	for _, it := range items {
		v, err := strconv.Atoi(it.Value)
		if it.Kind != yaml.ScalarNode || it.Tag != "!!int" || err != nil {
			return nil, nil, m.File.At(it, m.What, "%s: want a list of %s, got %s", key, what, Describe(it))
		}
		out = append(out, v)
	}
	return out, items, nil
}

// StrList reads a list of strings, with their nodes.
func (m *Fields) StrList(key string) ([]string, []*yaml.Node, error) {
	items, err := m.List(key)
	if err != nil {
		return nil, nil, err
	}
	var out []string
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Tag != "!!str" {
			return nil, nil, m.File.At(it, m.What, "%s: want a list of strings, got %s", key, Describe(it))
		}
		out = append(out, it.Value)
	}
	return out, items, nil
}
