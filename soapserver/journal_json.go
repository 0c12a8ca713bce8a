package soapserver

import (
	"encoding/json"
	"strconv"
	"strings"
)

// AppendJSON appends e as encoding/json encodes it (with an Encoder's
// default HTML escaping), without the newline an Encoder adds, and fails
// where encoding/json fails: on a time whose year is outside 0–9999. A
// page's event stream encodes every exchange of a busy server, and
// reflection would make that a noticeable part of each request's cost.
func (e *JournalEntry) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	var err error
	if b, err = e.Time.AppendText(b); err != nil {
		return b, err
	}
	b = append(b, '"')
	b = appendJSONField(b, "remote", e.Remote, false)
	b = appendJSONField(b, "path", e.Path, false)
	b = appendJSONField(b, "operation", e.Operation, true)
	b = appendJSONField(b, "soap_action", e.SOAPAction, true)
	b = appendJSONField(b, "client_id", e.ClientID, true)
	b = appendJSONField(b, "client_name", e.ClientName, true)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = appendJSONField(b, "fault", e.Fault, true)
	b = appendJSONField(b, "fault_id", e.FaultID, true)
	b = appendJSONField(b, "injected", e.Injected, true)
	b = appendJSONField(b, "transport", e.Transport, true)
	b = append(b, `,"duration_us":`...)
	b = strconv.AppendInt(b, e.DurationMicros, 10)
	return append(b, '}'), nil
}

// appendJSONField appends ,"name":value; an empty value is left out when
// omitEmpty, as the field's omitempty tag says.
func appendJSONField(b []byte, name, value string, omitEmpty bool) []byte {
	if omitEmpty && value == "" {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":`...)
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			// encoding/json's escapes (HTML characters, control
			// characters, invalid UTF-8, U+2028) for the rare value
			// that needs one; a string always encodes.
			j, _ := json.Marshal(value)
			return append(b, j...)
		}
	}
	// A quoted SOAPAction is the one common value with characters to
	// escape: its quotes.
	b = append(b, '"')
	for {
		i := strings.IndexAny(value, `"\`)
		if i < 0 {
			break
		}
		b = append(b, value[:i]...)
		b = append(b, '\\', value[i])
		value = value[i+1:]
	}
	b = append(b, value...)
	return append(b, '"')
}
