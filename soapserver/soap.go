package soapserver

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/wsusmock/wsusmock/wusp"
)

// exchange is one SOAP request in flight: what the handlers need to know
// about it, and what the transport records about it.
type exchange struct {
	r      *http.Request
	snap   *snapshot
	op     wusp.Operation
	actor  string
	thread string
	// client is the client id, once a cookie or parameter names it.
	client string
	// clientName is the DNS name the client gave, once known.
	clientName string

	// What the journal records once the reply is decided.
	start   time.Time
	status  int    // HTTP status sent; 0 when the connection was cut instead
	fault   string // the ErrorCode, or a protocol fault's faultstring
	faultID string
	// encoded is a reply the snapshot holds ready-made (GetConfig's),
	// used instead of encoding the handler's message.
	encoded []byte
	rule    *rule         // the injection rule that hit, if any
	delay   time.Duration // the latency it asks for
	// recorded is set once the exchange is in the journal.
	recorded bool
}

func (s *Server) serveSOAP(w http.ResponseWriter, r *http.Request, snap *snapshot, ep endpoint) {
	x := &exchange{r: r, snap: snap, actor: actor(r), thread: s.threadName(), start: time.Now()}
	defer s.record(x)

	buf := s.bufs.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); s.bufs.Put(buf) }()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeProtocolFault(w, x, http.StatusRequestEntityTooLarge, "Client",
				"Maximum request length exceeded: the limit is "+strconv.FormatInt(tooBig.Limit, 10)+" bytes.")
			return
		}
		s.writeProtocolFault(w, x, http.StatusBadRequest, "Client", "Server was unable to read request. "+err.Error())
		return
	}

	opEl, err := wusp.ParseRequest(buf.Bytes(), s.cfg.MaxDepth)
	if err != nil {
		// ASMX answers an XmlException with 400, other unreadable
		// envelopes with 500; both as soap:Client (docs/protocol-facts.md §2.3).
		status := http.StatusInternalServerError
		var syn *wusp.SyntaxError
		if errors.As(err, &syn) {
			status = http.StatusBadRequest
		}
		s.writeProtocolFault(w, x, status, "Client", "Server was unable to read request. "+err.Error())
		return
	}

	op, ok := s.dispatch(w, x, ep, r.Header, opEl)
	if !ok {
		return
	}
	x.op = op
	resp, err := s.invoke(x, opEl)
	// Rules are decided after the operation ran, so that client_id matches
	// a client named by its cookie as well as by a parameter; a firing
	// rule's effect replaces the genuine reply.
	if rs := s.rules.Load(); rs != nil {
		if x.rule = matchRule(*rs, x); x.rule != nil {
			if done := s.inject(w, x); done {
				return
			}
			if x.rule.code != "" {
				s.writeFault(w, x, wusp.NewFault(x.rule.code, x.rule.Message))
				return
			}
		}
	}
	if err != nil {
		s.writeError(w, x, err)
		return
	}
	body := x.encoded
	if body == nil {
		body = wusp.MarshalResponse(op, resp)
	}
	s.reply(w, x, http.StatusOK, body)
	if s.debug {
		s.log.Debug("exchange", "op", op.Name, "client", x.client, "status", http.StatusOK)
	}
}

// dispatch picks the operation: by SOAPAction, quotes stripped, or when the
// header is absent or empty, by the Body's first element. An action the
// endpoint does not have gets the fault ASMX gave for an unknown SOAPAction.
func (s *Server) dispatch(w http.ResponseWriter, x *exchange, ep endpoint, h http.Header, opEl *wusp.Element) (wusp.Operation, bool) {
	action, present := h["Soapaction"]
	if present && len(action) > 0 && action[0] != "" && action[0] != `""` {
		if op, ok := wusp.LookupAction(ep.service, action[0]); ok {
			return op, true
		}
		s.writeUnknownAction(w, x, trimQuotes(action[0]))
		return wusp.Operation{}, false
	}
	if op, ok := wusp.LookupName(ep.service, opEl.Tag); ok && opEl.NamespaceURI() == ep.service.Namespace() {
		return op, true
	}
	s.writeUnknownAction(w, x, "")
	return wusp.Operation{}, false
}

// writeUnknownAction is ASMX's answer to an action the endpoint lacks: a
// soap:Client fault with HTTP 500 and, unlike the server's other faults,
// no faultactor, since ASMX raised it before any WSUS code ran.
func (s *Server) writeUnknownAction(w http.ResponseWriter, x *exchange, action string) {
	msg := "Server did not recognize the value of HTTP Header SOAPAction: " + action + "."
	x.fault = msg
	s.reply(w, x, http.StatusInternalServerError, wusp.MarshalProtocolFault(&wusp.ProtocolFault{FaultCode: "Client", FaultString: msg}))
}

func trimQuotes(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// writeError presents a handler's error. Decoding errors become
// InvalidParameters naming the element; anything unexpected becomes
// InternalServerError, as an unhandled exception in WSUS did.
func (s *Server) writeError(w http.ResponseWriter, x *exchange, err error) {
	var f *wusp.Fault
	var missing *wusp.MissingError
	var bad *wusp.ValueError
	switch {
	case errors.As(err, &f):
	case errors.As(err, &missing):
		f = wusp.NewFault(wusp.InvalidParameters, missing.Path)
	case errors.As(err, &bad):
		f = wusp.NewFault(wusp.InvalidParameters, bad.Path)
	default:
		s.log.Error("operation failed", "op", x.op.Name, "err", err)
		f = wusp.NewFault(wusp.InternalServerError, "")
	}
	s.writeFault(w, x, f)
}

// writeFault is the one place a WSUS fault leaves the server: it completes
// the fault from the exchange, logs the SoapUtilities line WSUS wrote, and
// sends it with the configured status.
func (s *Server) writeFault(w http.ResponseWriter, x *exchange, f *wusp.Fault) {
	f.Actor = x.actor
	f.Method = x.op.QuotedSOAPAction()
	if f.FaultString == "" || f.FaultString == wusp.DefaultFaultString {
		f.FaultString = x.snap.faultString
	}
	if sl := s.cfg.ServerLog; sl != nil {
		// WSUS names the client when it raises a fault itself, and "?"
		// when it converts an unexpected exception into
		// InternalServerError, as the advisory's KB954960 line shows
		// (ErrorCode=InternalServerError, Message=, Client=?).
		client := x.client
		if client == "" || f.Code == wusp.InternalServerError {
			client = "?"
		}
		sl.ThrowException(x.thread, f.Actor, f.ID, string(f.Code), f.Message, client)
	}
	x.fault, x.faultID = string(f.Code), f.ID
	s.reply(w, x, x.snap.faultStatus, wusp.MarshalFault(f))
	if s.debug {
		s.log.Debug("exchange", "op", x.op.Name, "client", x.client, "fault", f.Code, "id", f.ID, "status", x.snap.faultStatus)
	}
}

func (s *Server) writeProtocolFault(w http.ResponseWriter, x *exchange, status int, code, msg string) {
	x.fault = msg
	s.reply(w, x, status, wusp.MarshalProtocolFault(&wusp.ProtocolFault{FaultCode: code, FaultString: msg, Actor: x.actor}))
	if s.debug {
		s.log.Debug("exchange", "soap_fault", msg, "status", status)
	}
}

// reply sends a decided SOAP reply: as is, or truncated or dripped when an
// injection rule says so.
func (s *Server) reply(w http.ResponseWriter, x *exchange, status int, body []byte) {
	x.status = status
	// Recorded before sending, so a client that has its reply finds the
	// exchange in the journal.
	s.record(x)
	if x.rule != nil {
		switch x.rule.Transport {
		case TransportTruncate:
			s.writeTruncated(w, status, body)
			return
		case TransportDrip:
			s.writeDripped(w, x, status, body)
			return
		}
	}
	s.writeXML(w, status, body)
}

// writeXML sends a SOAP reply with an explicit Content-Length: WUA's
// transport has hung up on chunked replies.
func (s *Server) writeXML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = contentTypeXML
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

var contentTypeXML = []string{"text/xml; charset=utf-8"}

// logRequest writes an Info line per web-service call when
// Config.LogRequests asks for it.
func (s *Server) logRequest(x *exchange) {
	if sl := s.cfg.ServerLog; sl != nil && s.cfg.LogRequests {
		sl.Request(x.thread, logSource(x.op), x.client)
	}
}

// logSource is the Class.Method the log line names. ClientImplementation is
// WSUS's class for the client web service (advisory 954960's stack); the
// reporting service's class, WebService, is named in MS-WUSP's fault
// samples; SimpleAuth's class name is our guess.
func logSource(op wusp.Operation) string {
	switch op.Service {
	case wusp.SimpleAuth:
		return "SimpleAuth." + op.Name
	case wusp.Reporting:
		return "WebService." + op.Name
	}
	return op.Name
}

// threadName names the w3wp worker "thread" of an exchange in the server
// log, handed out round-robin as IIS's pool did.
func (s *Server) threadName() string { return s.threads[s.thread.Add(1)%uint32(len(s.threads))] }
