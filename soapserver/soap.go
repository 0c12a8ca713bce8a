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
	// media is the request's Content-Type as dispatch reads it; soap12
	// marks a SOAP 1.2 envelope, answered in SOAP 1.2.
	media  requestMedia
	soap12 bool
	// out is the buffer replies are appended to, reused across exchanges;
	// nil outside serveSOAP.
	out *[]byte
	// length backs the Content-Length header.
	length [1]string
	// sync is the SyncUpdates request decoded into, reused across
	// exchanges so that its ID lists keep their arrays.
	sync *wusp.SyncUpdatesRequest
}

// scratch is what one exchange borrows from the server and gives back:
// the exchange itself, the request body, the Document the request is
// parsed into, the SyncUpdates request it is decoded into and the reply
// buffer. Reusing them is what keeps a request from allocating in
// proportion to its size.
type scratch struct {
	x     exchange
	body  bytes.Buffer
	doc   wusp.Document
	sync  wusp.SyncUpdatesRequest
	reply []byte
}

// maxKeptScratch bounds the buffers a scratch keeps for the next exchange,
// so that one large request does not pin its memory in the pool.
const maxKeptScratch = 64 << 10

func (s *Server) putScratch(sc *scratch) {
	sc.x = exchange{}
	sc.doc.Clear()
	if sc.body.Cap() > maxKeptScratch {
		sc.body = bytes.Buffer{}
	}
	sc.body.Reset()
	if cap(sc.reply) > maxKeptScratch {
		sc.reply = nil
	}
	p := &sc.sync.Parameters
	for _, ids := range []*[]int{&p.InstalledNonLeafUpdateIDs, &p.OtherCachedUpdateIDs, &p.CachedDriverIDs} {
		if cap(*ids) > maxKeptScratch/(strconv.IntSize/8) {
			*ids = nil
		}
	}
	s.scratch.Put(sc)
}

func (s *Server) serveSOAP(w http.ResponseWriter, r *http.Request, snap *snapshot, ep endpoint) {
	sc := s.scratch.Get().(*scratch)
	defer s.putScratch(sc)
	sc.x = exchange{r: r, snap: snap, actor: actor(r), thread: s.threadName(), start: time.Now(), out: &sc.reply,
		media: mediaOf(r.Header), sync: &sc.sync}
	x := &sc.x
	defer s.record(x)
	// ASMX took SOAP 1.2 for its guess when the request was
	// application/soap+xml; the envelope decides below.
	x.soap12 = x.media.soap12

	share, ok := s.inflight.acquire(r.Context(), r.ContentLength, s.cfg.MaxRequestBytes)
	if !ok {
		s.busy(w, x)
		return
	}
	defer s.inflight.release(share)

	buf := &sc.body
	if n := r.ContentLength; n > 0 && n <= s.cfg.MaxRequestBytes {
		buf.Grow(int(n) + bytes.MinRead)
	}
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

	if x.media.other {
		s.writeUnsupportedMedia(w, x)
		return
	}
	opEl, envNS, err := sc.doc.ParseEnvelope(buf.Bytes(), s.cfg.MaxDepth)
	if err != nil {
		s.writeUnreadable(w, x, err)
		return
	}
	x.soap12 = envNS == wusp.NSSoap12
	if !x.soap12 && x.media.soap12 {
		// A SOAP 1.1 envelope must come as text/xml; a SOAP 1.2 one may
		// come as either (SoapServerProtocol.ReadParameters).
		s.writeUnsupportedMedia(w, x)
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
		*x.out = wusp.AppendResponse((*x.out)[:0], op, resp)
		body = *x.out
	}
	if x.soap12 {
		body = wusp.AppendSOAP12(nil, body)
	}
	s.reply(w, x, http.StatusOK, body)
	if s.debug {
		s.log.Debug("exchange", "op", op.Name, "client", x.client, "status", http.StatusOK)
	}
}

// dispatch picks the operation: by SOAPAction, quotes stripped, or when the
// header is absent or empty, by the Body's first element. An action the
// endpoint does not have, or the build does not serve (StartCategoryScan
// before SP2), gets the fault ASMX gave for an unknown SOAPAction. A request
// in application/soap+xml is routed as ASMX routed SOAP 1.2 (dispatch12).
func (s *Server) dispatch(w http.ResponseWriter, x *exchange, ep endpoint, h http.Header, opEl *wusp.Element) (wusp.Operation, bool) {
	if x.media.soap12 {
		return s.dispatch12(w, x, ep, opEl)
	}
	action, present := h["Soapaction"]
	if present && len(action) > 0 && action[0] != "" && action[0] != `""` {
		if op, ok := wusp.LookupAction(ep.service, action[0]); ok && x.snap.build.Serves(op) {
			return op, true
		}
		s.writeUnknownAction(w, x, trimQuotes(action[0]))
		return wusp.Operation{}, false
	}
	if op, ok := wusp.LookupName(ep.service, opEl.Tag()); ok && opEl.NamespaceURI() == ep.service.Namespace() && x.snap.build.Serves(op) {
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
	s.writeRoutingFault(w, x, msg)
}

// writeRoutingFault is the soap:Client fault, HTTP 500 and no faultactor,
// of a request ASMX could not route to a method.
func (s *Server) writeRoutingFault(w http.ResponseWriter, x *exchange, msg string) {
	x.fault = msg
	f := &wusp.ProtocolFault{FaultCode: "Client", FaultString: msg}
	if x.soap12 {
		s.reply(w, x, http.StatusInternalServerError, wusp.MarshalProtocolFault12(f))
		return
	}
	s.reply(w, x, http.StatusInternalServerError, wusp.MarshalProtocolFault(f))
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
	// The handlers return these unwrapped: a type switch answers the
	// KB954960 fault without the allocations errors.As costs.
	switch e := err.(type) {
	case *wusp.Fault:
		s.writeFault(w, x, e)
	case *wusp.MissingError:
		s.writeFault(w, x, wusp.NewFault(wusp.InvalidParameters, e.Path))
	case *wusp.ValueError:
		s.writeFault(w, x, wusp.NewFault(wusp.InvalidParameters, e.Path))
	case *wusp.LimitError:
		s.writeFault(w, x, wusp.NewFault(wusp.InvalidParameters, e.Message()))
	default:
		s.log.Error("operation failed", "op", x.op.Name, "err", err)
		s.writeFault(w, x, wusp.NewFault(wusp.InternalServerError, ""))
	}
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
	var body []byte
	if x.soap12 {
		body = wusp.AppendFault12(nil, f)
	} else if x.out != nil {
		*x.out = wusp.AppendFault((*x.out)[:0], f)
		body = *x.out
	} else {
		body = wusp.MarshalFault(f)
	}
	s.reply(w, x, x.snap.faultStatus, body)
	if s.debug {
		s.log.Debug("exchange", "op", x.op.Name, "client", x.client, "fault", f.Code, "id", f.ID, "status", x.snap.faultStatus)
	}
}

func (s *Server) writeProtocolFault(w http.ResponseWriter, x *exchange, status int, code, msg string) {
	x.fault = msg
	f := &wusp.ProtocolFault{FaultCode: code, FaultString: msg, Actor: x.actor}
	var body []byte
	switch {
	case s.cfg.ASMXErrorBodies && (status == http.StatusBadRequest || status == http.StatusUnsupportedMediaType):
		// ASMX wrote a fault body only with 500 (docs/protocol-facts.md §2.3).
	case x.soap12:
		body = wusp.MarshalProtocolFault12(f)
	default:
		body = wusp.MarshalProtocolFault(f)
	}
	s.reply(w, x, status, body)
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
			s.writeTruncated(w, x, status, body)
			return
		case TransportDrip:
			s.writeDripped(w, x, status, body)
			return
		}
	}
	s.writeXML(w, x, status, body)
}

// writeXML sends a SOAP reply with an explicit Content-Length: WUA's
// transport has hung up on chunked replies.
func (s *Server) writeXML(w http.ResponseWriter, x *exchange, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = x.contentType()
	// The header value lives in the exchange: net/http reads it before
	// ServeHTTP returns, and the exchange outlives that.
	x.length[0] = strconv.Itoa(len(body))
	h["Content-Length"] = x.length[:]
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

var (
	contentTypeXML    = []string{"text/xml; charset=utf-8"}
	contentTypeSOAP12 = []string{"application/soap+xml; charset=utf-8"}
)

// contentType is the reply's Content-Type: SOAP 1.2's for a SOAP 1.2
// exchange, as ASMX sent it.
func (x *exchange) contentType() []string {
	if x.soap12 {
		return contentTypeSOAP12
	}
	return contentTypeXML
}

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
