package soapserver

import (
	"io"
	"net/http"
	"strconv"
)

// Floor returns the handler the server's cost is measured against: it
// reads the request body and writes reply as a SOAP reply, with its
// Content-Type and Content-Length, and does nothing else. No SOAP server
// can answer for less, so a benchmark or a load run that puts Floor beside
// the server in the same run measures what the server adds, whatever the
// machine (README, "Performance").
func Floor(reply []byte) http.Handler {
	length := []string{strconv.Itoa(len(reply))}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = contentTypeXML
		h["Content-Length"] = length
		_, _ = w.Write(reply)
	})
}
