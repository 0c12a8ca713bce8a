package soapserver

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wsusmock/wsusmock/wusp"
)

// requestMedia is what the request's Content-Type tells the server. ASMX
// read SOAP from text/xml and application/soap+xml, the latter being SOAP
// 1.2 with the action as a parameter (SoapServerProtocol.GuessVersion and
// ReadParameters, decompiled); anything else got HTTP 415.
type requestMedia struct {
	soap12 bool   // application/soap+xml
	other  bool   // neither of the two
	action string // application/soap+xml's action parameter, URL-decoded
	value  string // the header, when other, for the fault's text
}

// mediaOf reads the Content-Type once per request. WUA's text/xml is
// decided without parsing or allocating. A request without a Content-Type
// is read as SOAP 1.1: ASMX refused it, but test harnesses and hand-made
// requests often send none, and nothing else about them is wrong.
func mediaOf(h http.Header) requestMedia {
	v := h["Content-Type"]
	if len(v) == 0 || v[0] == "" || isTextXML(v[0]) {
		return requestMedia{}
	}
	mt, params, err := mime.ParseMediaType(v[0])
	switch {
	case err != nil:
		return requestMedia{other: true, value: v[0]}
	case mt == "text/xml":
		return requestMedia{}
	case mt == "application/soap+xml":
		action := params["action"]
		if dec, err := url.QueryUnescape(action); err == nil {
			action = dec
		}
		return requestMedia{soap12: true, action: action}
	}
	return requestMedia{other: true, value: v[0]}
}

// isTextXML reports a Content-Type whose media type is text/xml, in any
// case, with or without parameters.
func isTextXML(v string) bool {
	const base = "text/xml"
	return len(v) >= len(base) && strings.EqualFold(v[:len(base)], base) &&
		(len(v) == len(base) || v[len(base)] == ';' || v[len(base)] == ' ')
}

// maxQuotedMedia bounds how much of a refused Content-Type the fault
// quotes.
const maxQuotedMedia = 100

// writeUnsupportedMedia answers a Content-Type ASMX would not read, or a
// SOAP 1.1 envelope sent as application/soap+xml, with HTTP 415, as ASMX
// did. ASMX sent no body with it; by default the mock says what was wrong
// in a soap:Client fault (Config.ASMXErrorBodies sends none).
func (s *Server) writeUnsupportedMedia(w http.ResponseWriter, x *exchange) {
	got := x.r.Header.Get("Content-Type")
	if len(got) > maxQuotedMedia {
		got = got[:maxQuotedMedia] + "…"
	}
	s.writeProtocolFault(w, x, http.StatusUnsupportedMediaType, "Client",
		"Content-Type "+strconv.Quote(got)+" is not supported: a SOAP 1.1 request is text/xml, a SOAP 1.2 request application/soap+xml.")
}

// writeUnreadable answers a body that is no SOAP envelope. ASMX answered an
// XmlException with 400, an envelope in no SOAP namespace with a
// soap:VersionMismatch fault (in SOAP 1.1, which it preferred when it spoke
// both), other unreadable envelopes with 500; the rest as soap:Client
// (docs/protocol-facts.md §2.3).
func (s *Server) writeUnreadable(w http.ResponseWriter, x *exchange, err error) {
	var env *wusp.EnvelopeError
	if errors.As(err, &env) && env.VersionMismatch {
		x.soap12 = false
		s.writeProtocolFault(w, x, http.StatusInternalServerError, "VersionMismatch",
			"Possible SOAP version mismatch: Envelope namespace "+env.Namespace+" was unexpected. Expecting "+wusp.NSSoap+".")
		return
	}
	status := http.StatusInternalServerError
	var syn *wusp.SyntaxError
	if errors.As(err, &syn) {
		status = http.StatusBadRequest
	}
	s.writeProtocolFault(w, x, status, "Client", "Server was unable to read request. "+err.Error())
}

// dispatch12 routes a request in application/soap+xml as ASMX's
// Soap12ServerProtocolHelper.RouteRequest did: by the Content-Type's action
// parameter, else by the Body's first element; with neither, a soap:Client
// (Sender) fault.
func (s *Server) dispatch12(w http.ResponseWriter, x *exchange, ep endpoint, opEl *wusp.Element) (wusp.Operation, bool) {
	if a := x.media.action; a != "" {
		if op, ok := wusp.LookupAction(ep.service, a); ok && x.snap.build.Serves(op) {
			return op, true
		}
	}
	if op, ok := wusp.LookupName(ep.service, opEl.Tag()); ok && opEl.NamespaceURI() == ep.service.Namespace() && x.snap.build.Serves(op) {
		return op, true
	}
	if x.media.action == "" {
		s.writeRoutingFault(w, x, "Unable to handle request without a valid action parameter. Please supply a valid soap action.")
	} else {
		s.writeRoutingFault(w, x, "Unable to handle request. The action '"+x.media.action+"' was not recognized.")
	}
	return wusp.Operation{}, false
}
