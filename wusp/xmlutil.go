package wusp

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/beevik/etree"
)

// This file holds the small readers and writers every message type is built
// from. Readers match children by local name, whatever prefix or default
// namespace the sender chose, and treat xsi:nil="1" (WUA's habit) or
// xsi:nil="true" as absent.

// MissingError reports a required element that a message lacks; the server
// answers it with ErrorCode InvalidParameters naming the element.
type MissingError struct{ Path string }

func (e *MissingError) Error() string { return "missing required element " + e.Path }

// ValueError reports an element whose text is not of its schema type.
type ValueError struct {
	Path, Value, Type string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("element %s: %q is not a valid %s", e.Path, e.Value, e.Type)
}

// child returns the first child element with the local name, or nil when it
// is absent or nil.
func child(e *Element, name string) *Element {
	if e == nil {
		return nil
	}
	for c := e.firstChild(); c != nil; c = c.nextSibling() {
		if c.Tag() == name {
			if c.nilled {
				return nil
			}
			return c
		}
	}
	return nil
}

// children returns the non-nil child elements with the local name.
func children(e *Element, name string) []*Element {
	if e == nil {
		return nil
	}
	var out []*Element
	for c := e.firstChild(); c != nil; c = c.nextSibling() {
		if c.Tag() == name && !c.nilled {
			out = append(out, c)
		}
	}
	return out
}

func path(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func text(e *Element) string { return strings.TrimSpace(e.Text()) }

func reqChild(e *Element, p, name string) (*Element, error) {
	c := child(e, name)
	if c == nil {
		return nil, &MissingError{path(p, name)}
	}
	return c, nil
}

func optString(e *Element, name string) string {
	if c := child(e, name); c != nil {
		return c.Text()
	}
	return ""
}

func reqString(e *Element, p, name string) (string, error) {
	s, err := reqText(e, p, name)
	return strings.Clone(s), err
}

// reqText is the text of a required child as a view into the Document, for
// readers that parse it rather than keep it.
func reqText(e *Element, p, name string) (string, error) {
	c, err := reqChild(e, p, name)
	if err != nil {
		return "", err
	}
	return c.rawText(), nil
}

// The parse functions take the element's parent path and name apart and
// join them only for an error: a request decodes without building strings.

func parseInt(p, name, s string) (int, error) {
	v, err := atoi(s)
	if err != nil {
		return 0, &ValueError{path(p, name), truncated(s), "int"}
	}
	return v, nil
}

// atoi is strconv.Atoi of s with its white space trimmed. The text of an
// int element is nearly always a few plain digits (120 of them in the
// SyncUpdates a WUA agent sends), and those are read here without trimming
// or strconv's checks; anything else (a sign, white space, a number that
// that might overflow a 32-bit int, an error) takes strconv's path, so the
// result and the errors are strconv's own.
func atoi(s string) (int, error) {
	if n := len(s); n > 0 && n < 10 {
		v := 0
		for i := 0; i < n; i++ {
			c := s[i] - '0'
			if c > 9 {
				return strconv.Atoi(strings.TrimSpace(s))
			}
			v = v*10 + int(c)
		}
		return v, nil
	}
	return strconv.Atoi(strings.TrimSpace(s))
}

func reqInt(e *Element, p, name string) (int, error) {
	s, err := reqText(e, p, name)
	if err != nil {
		return 0, err
	}
	return parseInt(p, name, s)
}

func optInt(e *Element, p, name string) (int, error) {
	c := child(e, name)
	if c == nil {
		return 0, nil
	}
	return parseInt(p, name, c.rawText())
}

func parseBool(p, name, s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, &ValueError{path(p, name), truncated(s), "boolean"}
}

func reqBool(e *Element, p, name string) (bool, error) {
	s, err := reqText(e, p, name)
	if err != nil {
		return false, err
	}
	return parseBool(p, name, s)
}

func optBool(e *Element, p, name string) (bool, error) {
	c := child(e, name)
	if c == nil {
		return false, nil
	}
	return parseBool(p, name, c.rawText())
}

func parseTime(p, name, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &ValueError{path(p, name), truncated(s), "dateTime"}
}

func reqTime(e *Element, p, name string) (time.Time, error) {
	s, err := reqText(e, p, name)
	if err != nil {
		return time.Time{}, err
	}
	return parseTime(p, name, s)
}

func optTime(e *Element, p, name string) (time.Time, error) {
	c := child(e, name)
	if c == nil {
		return time.Time{}, nil
	}
	return parseTime(p, name, c.rawText())
}

func parseBase64(p, name, s string) ([]byte, error) { return parseBase64Into(p, name, s, nil) }

// parseBase64Into is parseBase64 decoding into dst's array when it has room.
func parseBase64Into(p, name, s string, dst []byte) ([]byte, error) {
	t := strings.TrimSpace(s)
	n := base64.StdEncoding.DecodedLen(len(t))
	if cap(dst) < n || dst == nil {
		dst = make([]byte, n)
	}
	// Decode only reads its source: a view of t spares copying it.
	m, err := base64.StdEncoding.Decode(dst[:n], unsafe.Slice(unsafe.StringData(t), len(t)))
	if err != nil {
		return nil, &ValueError{path(p, name), truncated(s), "base64Binary"}
	}
	return dst[:m], nil
}

// ints reads an ArrayOfInt of a response; an absent or nil array is an
// empty slice.
func ints(e *Element, p, name string) ([]int, error) {
	return intsMax(e, p, name, MaxElements, false, nil)
}

// intsMax reads an ArrayOfInt of at most max items; wsus marks a limit of
// WSUS's own (see LimitError). The items are read in one pass into dst's
// array when it has room; past max they are only counted, so an array
// over the limit costs no more memory than one at it, and is refused for
// its length whatever its values. Without an array to reuse the items are
// counted first, so that the one made is the right size.
func intsMax(e *Element, p, name string, max int, wsus bool, dst []int) ([]int, error) {
	arr := child(e, name)
	if arr == nil {
		return nil, nil
	}
	out := dst[:0]
	if cap(out) == 0 {
		// No array to reuse: size the one to make, counting first.
		out = make([]int, 0, min(countChildren(arr, "int"), max))
	}
	n := 0
	var bad *Element
	for c := arr.firstChild(); c != nil; c = c.nextSibling() {
		if c.nilled || c.Tag() != "int" {
			continue
		}
		if n++; n > max || bad != nil {
			continue
		}
		v, err := atoi(c.rawText())
		if err != nil {
			bad = c
			continue
		}
		out = append(out, v)
	}
	switch {
	case n > max:
		return nil, &LimitError{Path: path(p, name), Limit: max, Unit: "items", WSUS: wsus}
	case bad != nil:
		return nil, &ValueError{path(p, name) + ".int", truncated(bad.rawText()), "int"}
	}
	return out, nil
}

// countChildren counts the non-nil children with the local name.
func countChildren(e *Element, name string) int {
	n := 0
	for c := e.firstChild(); c != nil; c = c.nextSibling() {
		if c.Tag() == name && !c.nilled {
			n++
		}
	}
	return n
}

// strsMax reads an array of strings of at most maxItems items of at most
// maxLen characters each.
func strsMax(e *Element, p, name, item string, maxItems, maxLen int) ([]string, error) {
	arr := child(e, name)
	if arr == nil {
		return nil, nil
	}
	n := countChildren(arr, item)
	if n > maxItems {
		return nil, &LimitError{Path: path(p, name), Limit: maxItems, Unit: "items"}
	}
	out := make([]string, 0, n)
	for c := arr.firstChild(); c != nil; c = c.nextSibling() {
		if c.Tag() != item || c.nilled {
			continue
		}
		if err := checkLen(path(p, name), item, c.rawText(), maxLen); err != nil {
			return nil, err
		}
		out = append(out, c.Text())
	}
	return out, nil
}

// reqStringMax and optStringMax read a string of at most max characters.
func reqStringMax(e *Element, p, name string, max int) (string, error) {
	s, err := reqTextMax(e, p, name, max)
	return strings.Clone(s), err
}

// reqTextMax is reqText bounded to max characters.
func reqTextMax(e *Element, p, name string, max int) (string, error) {
	s, err := reqText(e, p, name)
	if err != nil {
		return "", err
	}
	if err := checkLen(p, name, s, max); err != nil {
		return "", err
	}
	return s, nil
}

func optStringMax(e *Element, p, name string, max int) (string, error) {
	var s string
	if c := child(e, name); c != nil {
		s = c.rawText()
	}
	if err := checkLen(p, name, s, max); err != nil {
		return "", err
	}
	return strings.Clone(s), nil
}

// Writers. Elements are created without a prefix: they inherit the default
// namespace declared on the operation element, as ASMX writes them.

func add(parent *etree.Element, name string) *etree.Element { return parent.CreateElement(name) }

func addString(parent *etree.Element, name, v string) { parent.CreateElement(name).SetText(v) }

func addInt(parent *etree.Element, name string, v int) {
	parent.CreateElement(name).SetText(strconv.Itoa(v))
}

func addBool(parent *etree.Element, name string, v bool) {
	parent.CreateElement(name).SetText(strconv.FormatBool(v))
}

func addTime(parent *etree.Element, name string, t time.Time) {
	parent.CreateElement(name).SetText(FormatDateTime(t))
}

func addBase64(parent *etree.Element, name string, b []byte) {
	parent.CreateElement(name).SetText(base64.StdEncoding.EncodeToString(b))
}

// addInts writes an ArrayOfInt; nil writes nothing (XmlSerializer omits a
// null array), an empty non-nil slice writes the empty wrapper.
func addInts(parent *etree.Element, name string, v []int) {
	if v == nil {
		return
	}
	arr := parent.CreateElement(name)
	for _, n := range v {
		addInt(arr, "int", n)
	}
}

func addStrs(parent *etree.Element, name, item string, v []string) {
	if v == nil {
		return
	}
	arr := parent.CreateElement(name)
	for _, s := range v {
		addString(arr, item, s)
	}
}

// FormatDateTime writes a time as .NET's XmlSerializer writes a UTC DateTime:
// up to seven fractional digits with trailing zeros dropped, and a Z
// (e.g. 2006-05-26T16:58:01.8749472Z, MS-WUSP §4 samples).
func FormatDateTime(t time.Time) string {
	return t.UTC().Truncate(100 * time.Nanosecond).Format(dateTimeLayout)
}

const dateTimeLayout = "2006-01-02T15:04:05.9999999Z07:00"
