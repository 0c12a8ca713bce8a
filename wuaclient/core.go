package wuaclient

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// coreInfo is what the client reads from a revision's Core fragment: the
// revision's global identity and its UpdateType. The fragment is not a
// well-formed document (several top-level elements, "b."-prefixed rule
// elements; docs/protocol-facts.md §1.4), so it is read token by token; the first
// UpdateIdentity is the revision's own, later ones are its relationships.
type coreInfo struct {
	UpdateID       string
	RevisionNumber int
	UpdateType     string
}

func parseCore(fragment string) coreInfo {
	var ci coreInfo
	d := xml.NewDecoder(strings.NewReader(fragment))
	d.Strict = false
	for ci.UpdateID == "" || ci.UpdateType == "" {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "UpdateIdentity":
			if ci.UpdateID == "" {
				ci.UpdateID = strings.ToLower(attr(se, "UpdateID"))
				ci.RevisionNumber = atoi(attr(se, "RevisionNumber"))
			}
		case "Properties":
			if ci.UpdateType == "" {
				ci.UpdateType = attr(se, "UpdateType")
			}
		}
	}
	return ci
}

// localizedTitle returns the Title of a LocalizedProperties fragment, and
// false for any other fragment type.
func localizedTitle(fragment string) (string, bool) {
	d := xml.NewDecoder(strings.NewReader(fragment))
	d.Strict = false
	first := true
	for {
		tok, err := d.Token()
		if err != nil {
			return "", false
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if first && se.Name.Local != "LocalizedProperties" {
			return "", false
		}
		first = false
		if se.Name.Local == "Title" {
			var t string
			if err := d.DecodeElement(&t, &se); err != nil && !errors.Is(err, io.EOF) {
				return "", false
			}
			return t, true
		}
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
