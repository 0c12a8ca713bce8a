package wusp

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"
)

// This file appends the replies a load test hammers — the WSUS fault,
// SyncUpdates and GetExtendedUpdateInfo — to a caller's buffer instead of
// building an etree document per reply. The bytes are the etree rendering
// exactly (XmlTextWriter's, see newEnvelope and asmxWriter): the golden
// files and TestAppendedRepliesMatchEtree hold them to it. Per-revision
// elements can be rendered once (UpdateInfo.CacheEncoding,
// UpdateData.CacheEncoding), so a reply is copies of ready-made fragments.

const (
	envelopeOpen = `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + NSSoap + `" xmlns:xsi="` + NSXSI + `" xmlns:xsd="` + NSXSD + `">` +
		`<soap:Body>`
	envelopeClose = `</soap:Body></soap:Envelope>`
)

// AppendFault appends MarshalFault(f) to b.
func AppendFault(b []byte, f *Fault) []byte {
	b = append(b, envelopeOpen...)
	b = append(b, "<soap:Fault><faultcode>soap:"...)
	b = appendEscaped(b, f.FaultCode())
	b = append(b, "</faultcode>"...)
	b = appendTextElement(b, "faultstring", f.FaultString)
	if f.Actor != "" { // ASMX leaves faultactor out when the exception has no actor
		b = appendTextElement(b, "faultactor", f.Actor)
	}
	b = appendDetail(b, f)
	return append(b, "</soap:Fault>"+envelopeClose...)
}

// appendDetail appends a WSUS fault's detail: un-namespaced ErrorCode,
// Message, ID and Method.
func appendDetail(b []byte, f *Fault) []byte {
	b = append(b, "<detail>"...)
	b = appendTextElement(b, "ErrorCode", string(f.Code))
	b = appendTextElement(b, "Message", f.Message)
	b = appendTextElement(b, "ID", f.ID)
	b = appendTextElement(b, "Method", f.Method)
	return append(b, "</detail>"...)
}

// appender is a response that appends itself without etree.
type appender interface {
	appendResult(b []byte) []byte
}

// AppendResponse appends MarshalResponse(op, msg) to b: without building a
// document for the responses that have an appender, through etree for the
// others.
func AppendResponse(b []byte, op Operation, msg Message) []byte {
	a, ok := msg.(appender)
	if !ok {
		return append(b, MarshalResponse(op, msg)...)
	}
	b = append(b, envelopeOpen+"<"...)
	b = append(b, op.Name...)
	b = append(b, `Response xmlns="`...)
	b = append(b, op.Service.Namespace()...)
	b = append(b, `">`...)
	b = a.appendResult(b)
	b = append(append(append(b, "</"...), op.Name...), "Response>"...)
	return append(b, envelopeClose...)
}

func (r *SyncUpdatesResponse) appendResult(b []byte) []byte {
	b = append(b, "<SyncUpdatesResult>"...)
	b = appendUpdateInfoList(b, "NewUpdates", r.Result.NewUpdates)
	b = appendIntsElement(b, "OutOfScopeRevisionIDs", r.Result.OutOfScopeRevisionIDs)
	b = appendUpdateInfoList(b, "ChangedUpdates", r.Result.ChangedUpdates)
	b = appendBoolElement(b, "Truncated", r.Result.Truncated)
	b = appendCookie(b, "NewCookie", r.Result.NewCookie)
	b = appendIntsElement(b, "DeployedOutOfScopeRevisionIds", r.Result.DeployedOutOfScopeRevisionIDs)
	if r.Result.DriverSyncNotNeeded != "" {
		b = appendTextElement(b, "DriverSyncNotNeeded", r.Result.DriverSyncNotNeeded)
	}
	return append(b, "</SyncUpdatesResult>"...)
}

func (r *GetExtendedUpdateInfoResponse) appendResult(b []byte) []byte {
	open := len(b)
	b = append(b, "<GetExtendedUpdateInfoResult>"...)
	children := len(b)
	if u := r.Result.Updates; u != nil {
		if len(u) == 0 {
			b = append(b, "<Updates />"...)
		} else {
			b = append(b, "<Updates>"...)
			for i := range u {
				b = u[i].appendElement(b)
			}
			b = append(b, "</Updates>"...)
		}
	}
	if fl := r.Result.FileLocations; fl != nil {
		if len(fl) == 0 {
			b = append(b, "<FileLocations />"...)
		} else {
			b = append(b, "<FileLocations>"...)
			for _, f := range fl {
				b = append(b, "<FileLocation>"...)
				b = appendBase64Element(b, "FileDigest", f.FileDigest)
				b = appendTextElement(b, "Url", f.URL)
				b = append(b, "</FileLocation>"...)
			}
			b = append(b, "</FileLocations>"...)
		}
	}
	b = appendIntsElement(b, "OutOfScopeRevisionIDs", r.Result.OutOfScopeRevisionIDs)
	if len(b) == children {
		return append(b[:open], "<GetExtendedUpdateInfoResult />"...)
	}
	return append(b, "</GetExtendedUpdateInfoResult>"...)
}

// CacheEncoding renders u's <UpdateInfo> element once, so that every reply
// that carries u copies it. u must not change afterwards.
func (u *UpdateInfo) CacheEncoding() {
	u.encoded = nil
	u.encoded = u.appendElement(nil)
}

func (u *UpdateInfo) appendElement(b []byte) []byte {
	if u.encoded != nil {
		return append(b, u.encoded...)
	}
	b = append(b, "<UpdateInfo>"...)
	b = appendIntElement(b, "ID", u.ID)
	b = append(b, "<Deployment>"...)
	b = u.Deployment.appendFields(b)
	b = append(b, "</Deployment>"...)
	b = appendBoolElement(b, "IsLeaf", u.IsLeaf)
	b = appendTextElement(b, "Xml", u.Xml)
	return append(b, "</UpdateInfo>"...)
}

func appendUpdateInfoList(b []byte, name string, v []UpdateInfo) []byte {
	if v == nil {
		return b
	}
	if len(v) == 0 {
		return append(append(append(b, '<'), name...), " />"...)
	}
	b = append(append(append(b, '<'), name...), '>')
	for i := range v {
		b = v[i].appendElement(b)
	}
	return append(append(append(b, "</"...), name...), '>')
}

// appendFields writes the Deployment's children, as Deployment.appendXML.
func (d *Deployment) appendFields(b []byte) []byte {
	b = appendIntElement(b, "ID", d.ID)
	b = appendTextElement(b, "Action", d.Action)
	if d.Deadline != "" {
		b = appendTextElement(b, "Deadline", d.Deadline)
	}
	b = appendBoolElement(b, "IsAssigned", d.IsAssigned)
	b = appendTextElement(b, "LastChangeTime", d.LastChangeTime)
	for _, f := range [...]struct{ name, v string }{
		{"DownloadPriority", d.DownloadPriority}, {"AutoSelect", d.AutoSelect},
		{"AutoDownload", d.AutoDownload}, {"SupersedenceBehavior", d.SupersedenceBehavior},
		{"FlagBitmask", d.FlagBitmask},
	} {
		if f.v != "" {
			b = appendTextElement(b, f.name, f.v)
		}
	}
	return b
}

// CacheEncoding renders d's <Update> element once, so that every reply
// that carries d copies it. d must not change afterwards.
func (d *UpdateData) CacheEncoding() {
	d.encoded = nil
	d.encoded = d.appendElement(nil)
}

func (d *UpdateData) appendElement(b []byte) []byte {
	if d.encoded != nil {
		return append(b, d.encoded...)
	}
	b = append(b, "<Update>"...)
	b = appendIntElement(b, "ID", d.ID)
	b = appendTextElement(b, "Xml", d.Xml)
	return append(b, "</Update>"...)
}

func appendCookie(b []byte, name string, c Cookie) []byte {
	b = append(append(append(b, '<'), name...), "><Expiration>"...)
	b = c.Expiration.UTC().Truncate(100*time.Nanosecond).AppendFormat(b, dateTimeLayout)
	b = append(b, "</Expiration>"...)
	b = appendBase64Element(b, "EncryptedData", c.EncryptedData)
	return append(append(append(b, "</"...), name...), '>')
}

func appendBase64Element(b []byte, name string, v []byte) []byte {
	if len(v) == 0 {
		return append(append(append(b, '<'), name...), " />"...)
	}
	b = append(append(append(b, '<'), name...), '>')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(append(append(b, "</"...), name...), '>')
}

func appendIntElement(b []byte, name string, v int) []byte {
	b = append(append(append(b, '<'), name...), '>')
	b = strconv.AppendInt(b, int64(v), 10)
	return append(append(append(b, "</"...), name...), '>')
}

func appendBoolElement(b []byte, name string, v bool) []byte {
	b = append(append(append(b, '<'), name...), '>')
	b = strconv.AppendBool(b, v)
	return append(append(append(b, "</"...), name...), '>')
}

// appendIntsElement writes an ArrayOfInt as addInts does.
func appendIntsElement(b []byte, name string, v []int) []byte {
	if v == nil {
		return b
	}
	if len(v) == 0 {
		return append(append(append(b, '<'), name...), " />"...)
	}
	b = append(append(append(b, '<'), name...), '>')
	for _, n := range v {
		b = appendIntElement(b, "int", n)
	}
	return append(append(append(b, "</"...), name...), '>')
}

// appendTextElement writes <name>text</name>, or <name /> for empty text,
// as XmlTextWriter did.
func appendTextElement(b []byte, name, text string) []byte {
	if text == "" {
		return append(append(append(b, '<'), name...), " />"...)
	}
	b = append(append(append(b, '<'), name...), '>')
	b = appendEscaped(b, text)
	return append(append(append(b, "</"...), name...), '>')
}

// appendEscaped escapes text as etree's CanonicalText does: &, < and > as
// entities, a carriage return as &#xD;, and what is no XML character
// (invalid UTF-8 included) as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	// Nearly every text the server writes (a faultstring, a GUID, a URL,
	// an UpdateID) is printable ASCII without markup: it is found so and
	// copied whole before the rune-by-rune loop below is entered.
	i := 0
	for i < len(s) && plainASCII(s[i]) {
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	last := 0
	for i < len(s) {
		c := s[i]
		var esc string
		width := 1
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\r':
			esc = "&#xD;"
		case c == '\t' || c == '\n':
		case c < 0x20:
			esc = "\uFFFD"
		case c >= utf8.RuneSelf:
			var r rune
			r, width = utf8.DecodeRuneInString(s[i:])
			if !isXMLChar(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
			}
		}
		i += width
		if esc != "" {
			b = append(append(b, s[last:i-width]...), esc...)
			last = i
		}
	}
	return append(b, s[last:]...)
}

// plainASCII reports whether c is printable ASCII that XML text carries
// as it is.
func plainASCII(c byte) bool { return plainASCIITable[c] }

// plainASCIITable is plainASCII's answer for every byte, computed once: a
// table lookup scans text about twice as fast as the comparisons. It is
// never written after.
var plainASCIITable = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '&' && c != '<' && c != '>'
	}
	return t
}()
