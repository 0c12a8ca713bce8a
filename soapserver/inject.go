package soapserver

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wsusmock/wsusmock/wusp"
)

// Transport effects of a fault rule: what a flaky network or a dying IIS
// worker did to a reply.
const (
	// TransportReset aborts the connection with a TCP RST: the client sees
	// "connection reset by peer".
	TransportReset = "reset"
	// TransportEmpty closes the connection without a reply: the client sees
	// EOF.
	TransportEmpty = "empty"
	// TransportTruncate sends the headers with the full Content-Length and
	// half the body, then closes: the client sees an unexpected EOF.
	TransportTruncate = "truncate"
	// TransportDrip sends the reply a few bytes at a time (see Drip).
	TransportDrip = "drip"
)

// maxInjectedDelay bounds latency and drip durations, so a rule cannot hold
// a connection for ever; every millisecond field of a rule is checked
// against it before it is turned into a time.Duration, which a large
// count of milliseconds would overflow.
const maxInjectedDelay = 10 * time.Minute

// Further bounds on a fault rule's fields, each refused with a
// *RuleError naming the field. maxRuleCount bounds nth and times, far
// beyond any test's exchange count; maxRuleText bounds client_id (a GUID
// in practice) and message, which go into replies and the server log;
// maxDripBytes is the largest piece a drip sends, the size of the
// largest request body the server reads.
const (
	maxRuleCount = 1_000_000_000
	maxRuleText  = 1024
	maxDripBytes = 1 << 20
)

// FaultRule is a fault-injection rule. It matches an exchange by operation
// and client; whether a matching exchange is hit depends on Nth, Times and
// Probability; a hit gets the rule's effect (ErrorCode or Transport) and
// Latency. Every rule counts each exchange it matches; the first rule, in
// the order added, that hits decides the exchange, so one exchange gets
// at most one rule's effect.
//
// Rules are decided after the operation ran, so a client named only by its
// cookie can be matched; the effect replaces the genuine reply. Exchanges
// that never reach an operation (unknown SOAPAction, unreadable XML) are
// not matched.
type FaultRule struct {
	// ID is assigned by AddFault ("f1", "f2", …).
	ID string `json:"id"`
	// Operation is an operation name such as "SyncUpdates"; empty matches
	// any.
	Operation string `json:"operation,omitempty"`
	// ClientID is a SusClientId; empty matches any client, including
	// exchanges that name none.
	ClientID string `json:"client_id,omitempty"`
	// Nth hits only the nth matching exchange, counting from 1; zero means
	// every one.
	Nth int64 `json:"nth,omitempty"`
	// Times bounds the hits; zero means no bound.
	Times int64 `json:"times,omitempty"`
	// Probability hits a matching exchange with this chance (0..1); nil
	// means always. The draws are a function of Seed and the exchange's
	// match count, so a rerun with the same seed hits the same exchanges.
	Probability *float64 `json:"probability,omitempty"`
	Seed        int64    `json:"seed,omitempty"`
	// ErrorCode is a WSUS ErrorCode to answer with, as a fault built and
	// presented like any other; Message goes into its detail.
	ErrorCode wusp.ErrorCode `json:"error_code,omitempty"`
	Message   string         `json:"message,omitempty"`
	// Transport is TransportReset, TransportEmpty, TransportTruncate or
	// TransportDrip; it excludes ErrorCode.
	Transport string `json:"transport,omitempty"`
	// Drip tunes TransportDrip; nil means the defaults.
	Drip *Drip `json:"drip,omitempty"`
	// Latency delays the reply, with or without another effect.
	Latency *Latency `json:"latency,omitempty"`

	// Matched and Hits are counters reported by Faults; AddFault ignores them.
	Matched int64 `json:"matched"`
	Hits    int64 `json:"hits"`
}

// Drip sends Bytes bytes every IntervalMS milliseconds (defaults 16 and
// 100), but never takes longer than MaxMS (default 5000): a longer reply is
// sent in larger pieces.
type Drip struct {
	Bytes      int `json:"bytes,omitempty"`
	IntervalMS int `json:"interval_ms,omitempty"`
	MaxMS      int `json:"max_ms,omitempty"`
}

// Latency is a fixed delay (FixedMS), or one drawn from a distribution:
// "uniform" between MinMS and MaxMS, or "normal" with MeanMS and StddevMS
// (negative draws count as zero). Draws are a function of Seed and the
// rule's hit count.
type Latency struct {
	FixedMS      int    `json:"fixed_ms,omitempty"`
	Distribution string `json:"distribution,omitempty"`
	MinMS        int    `json:"min_ms,omitempty"`
	MaxMS        int    `json:"max_ms,omitempty"`
	MeanMS       int    `json:"mean_ms,omitempty"`
	StddevMS     int    `json:"stddev_ms,omitempty"`
	Seed         int64  `json:"seed,omitempty"`
}

// RuleError says which field of a fault rule is wrong.
type RuleError struct {
	Field  string
	Reason string
}

func (e *RuleError) Error() string { return "fault rule: " + e.Field + ": " + e.Reason }

// rule is an installed FaultRule with its counters.
type rule struct {
	FaultRule
	code    wusp.ErrorCode
	matched atomic.Int64
	hits    atomic.Int64
}

// validate checks r and returns it in canonical form.
func validateRule(r FaultRule) (FaultRule, wusp.ErrorCode, error) {
	bad := func(field, format string, args ...any) (FaultRule, wusp.ErrorCode, error) {
		return r, "", &RuleError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if r.Operation != "" {
		op, ok := lookupOperation(r.Operation)
		if !ok {
			return bad("operation", "unknown operation %q (known: %s)", r.Operation, strings.Join(operationNames(), ", "))
		}
		r.Operation = op
	}
	if len(r.ClientID) > maxRuleText {
		return bad("client_id", "%d bytes is longer than %d", len(r.ClientID), maxRuleText)
	}
	if r.Nth < 0 || r.Nth > maxRuleCount {
		return bad("nth", "%d is out of range 0..%d", r.Nth, maxRuleCount)
	}
	if r.Times < 0 || r.Times > maxRuleCount {
		return bad("times", "%d is out of range 0..%d", r.Times, maxRuleCount)
	}
	if p := r.Probability; p != nil && (math.IsNaN(*p) || *p < 0 || *p > 1) {
		return bad("probability", "%v is out of range 0..1", *p)
	}
	var code wusp.ErrorCode
	if r.ErrorCode != "" {
		c, err := wusp.ParseErrorCode(string(r.ErrorCode))
		if err != nil {
			return bad("error_code", "%v (known: %s)", err, errorCodeNames())
		}
		code = c
	} else if r.Message != "" {
		return bad("message", "goes with error_code")
	}
	if len(r.Message) > maxRuleText {
		return bad("message", "%d bytes is longer than %d", len(r.Message), maxRuleText)
	}
	switch r.Transport {
	case "", TransportReset, TransportEmpty, TransportTruncate, TransportDrip:
	default:
		return bad("transport", "unknown transport effect %q (known: reset, empty, truncate, drip)", r.Transport)
	}
	if r.Transport != "" && code != "" {
		return bad("transport", "a rule has one effect: error_code or transport, not both")
	}
	if r.Drip != nil {
		if r.Transport != TransportDrip {
			return bad("drip", "goes with transport \"drip\"")
		}
		d := *r.Drip
		maxMS := int(maxInjectedDelay.Milliseconds())
		switch {
		case d.Bytes < 0 || d.Bytes > maxDripBytes:
			return bad("drip.bytes", "%d is out of range 0..%d", d.Bytes, maxDripBytes)
		case d.IntervalMS < 0 || d.IntervalMS > maxMS:
			return bad("drip.interval_ms", "%d is out of range 0..%d", d.IntervalMS, maxMS)
		case d.MaxMS < 0 || d.MaxMS > maxMS:
			return bad("drip.max_ms", "%d is out of range 0..%d", d.MaxMS, maxMS)
		}
	}
	if l := r.Latency; l != nil {
		if err := l.validate(); err != nil {
			return r, "", err
		}
	}
	if code == "" && r.Transport == "" && r.Latency == nil {
		return bad("error_code", "the rule has no effect: give error_code, transport or latency")
	}
	r.Matched, r.Hits = 0, 0
	return r, code, nil
}

func (l *Latency) validate() error {
	maxMS := int(maxInjectedDelay.Milliseconds())
	inRange := func(field string, v int) error {
		if v < 0 || v > maxMS {
			return &RuleError{Field: "latency." + field, Reason: fmt.Sprintf("%d is out of range 0..%d", v, maxMS)}
		}
		return nil
	}
	switch l.Distribution {
	case "":
		return inRange("fixed_ms", l.FixedMS)
	case "uniform":
		if err := inRange("min_ms", l.MinMS); err != nil {
			return err
		}
		if err := inRange("max_ms", l.MaxMS); err != nil {
			return err
		}
		if l.MaxMS < l.MinMS {
			return &RuleError{Field: "latency.max_ms", Reason: "is below min_ms"}
		}
	case "normal":
		if err := inRange("mean_ms", l.MeanMS); err != nil {
			return err
		}
		if err := inRange("stddev_ms", l.StddevMS); err != nil {
			return err
		}
	default:
		return &RuleError{Field: "latency.distribution", Reason: fmt.Sprintf("unknown distribution %q (known: uniform, normal)", l.Distribution)}
	}
	if l.FixedMS != 0 {
		return &RuleError{Field: "latency.fixed_ms", Reason: "excludes distribution"}
	}
	return nil
}

// delay draws the latency of the rule's hit number n (from 0).
func (l *Latency) delay(n int64) time.Duration {
	var ms float64
	switch l.Distribution {
	case "":
		ms = float64(l.FixedMS)
	case "uniform":
		ms = float64(l.MinMS) + unit(l.Seed, uint64(2*n))*float64(l.MaxMS-l.MinMS)
	case "normal":
		// Box–Muller over two draws.
		u1, u2 := unit(l.Seed, uint64(2*n)), unit(l.Seed, uint64(2*n+1))
		z := math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2)
		ms = float64(l.MeanMS) + z*float64(l.StddevMS)
	}
	ms = min(max(ms, 0), float64(maxInjectedDelay.Milliseconds()))
	return time.Duration(ms * float64(time.Millisecond))
}

// unit is a uniform draw in [0, 1) fixed by seed and n (SplitMix64), so
// concurrent exchanges need no shared generator and reruns repeat.
func unit(seed int64, n uint64) float64 {
	z := uint64(seed) + (n+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

func lookupOperation(name string) (string, bool) {
	for _, n := range operationNames() {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}

func operationNames() []string {
	var names []string
	for _, svc := range []wusp.Service{wusp.SimpleAuth, wusp.ClientService, wusp.Reporting} {
		for _, op := range wusp.Operations(svc) {
			names = append(names, op.Name)
		}
	}
	return names
}

func errorCodeNames() string {
	var names []string
	for _, c := range wusp.ErrorCodes() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

// matchRule counts x against every rule it matches and returns the first
// that hits, with the delay it asks for in x.delay.
func matchRule(rs []*rule, x *exchange) *rule {
	var hit *rule
	for _, r := range rs {
		if r.Operation != "" && r.Operation != x.op.Name || r.ClientID != "" && r.ClientID != x.client {
			continue
		}
		n := r.matched.Add(1)
		if hit != nil || r.Nth > 0 && n != r.Nth ||
			r.Probability != nil && unit(r.Seed, uint64(n)) >= *r.Probability {
			continue
		}
		if h, ok := r.claim(); ok {
			hit = r
			if r.Latency != nil {
				x.delay = r.Latency.delay(h)
			}
		}
	}
	return hit
}

// claim takes one of the rule's hits, if Times leaves one, and returns its
// number (from 0).
func (r *rule) claim() (int64, bool) {
	for {
		h := r.hits.Load()
		if r.Times > 0 && h >= r.Times {
			return 0, false
		}
		if r.hits.CompareAndSwap(h, h+1) {
			return h, true
		}
	}
}

// inject applies x.rule's latency and connection-cutting effects. It
// reports whether the exchange is over (the connection was cut, or the
// client left during the delay); otherwise the caller sends the reply.
func (s *Server) inject(w http.ResponseWriter, x *exchange) (done bool) {
	if x.delay > 0 {
		// The server's timeouts run from the request's arrival; an
		// expired read deadline would also cancel the request's context.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(x.delay + writeGrace))
		_ = rc.SetWriteDeadline(time.Now().Add(x.delay + writeGrace))
		t := time.NewTimer(x.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.done:
		case <-x.r.Context().Done():
			return true
		}
	}
	switch x.rule.Transport {
	case TransportReset, TransportEmpty:
		s.record(x)
		cut(w, x.rule.Transport == TransportReset)
		return true
	}
	return false
}

// writeGrace is the time an injected slow reply gets beyond its delay.
const writeGrace = 30 * time.Second

// cut closes the request's connection without a reply; with reset, by an
// RST rather than a FIN. Where the connection cannot be taken over (HTTP/2),
// the stream is aborted instead.
func cut(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	c := conn
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = c.Close()
}

// writeTruncated promises the whole body and sends half: net/http closes a
// connection whose handler wrote less than its Content-Length.
func (s *Server) writeTruncated(w http.ResponseWriter, x *exchange, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = x.contentType()
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body[:len(body)/2])
	_ = http.NewResponseController(w).Flush()
}

// plan returns how a reply of n bytes is dripped under d (nil means the
// defaults): the pause between pieces, the piece size and the longest the
// whole may take. d's fields are validated; plan clamps them again, so no
// value can stop the ticker or overflow a duration.
func (o *Drip) plan(n int) (interval time.Duration, chunk int, total time.Duration) {
	d := Drip{Bytes: 16, IntervalMS: 100, MaxMS: 5000}
	maxMS := int(maxInjectedDelay.Milliseconds())
	if o != nil {
		if o.Bytes > 0 {
			d.Bytes = min(o.Bytes, maxDripBytes)
		}
		if o.IntervalMS > 0 {
			d.IntervalMS = min(o.IntervalMS, maxMS)
		}
		if o.MaxMS > 0 {
			d.MaxMS = min(o.MaxMS, maxMS)
		}
	}
	steps := max(d.MaxMS/d.IntervalMS, 1)
	chunk = max(d.Bytes, (n+steps-1)/steps)
	return time.Duration(d.IntervalMS) * time.Millisecond, chunk, time.Duration(d.MaxMS) * time.Millisecond
}

// writeDripped sends the body in small pieces, flushing each.
func (s *Server) writeDripped(w http.ResponseWriter, x *exchange, status int, body []byte) {
	interval, chunk, total := x.rule.Drip.plan(len(body))

	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(total + writeGrace))
	_ = rc.SetWriteDeadline(time.Now().Add(total + writeGrace))
	h := w.Header()
	h["Content-Type"] = x.contentType()
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	t := time.NewTicker(interval)
	defer t.Stop()
	for len(body) > 0 {
		n := min(chunk, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		body = body[n:]
		if err := rc.Flush(); err != nil || len(body) == 0 {
			return
		}
		select {
		case <-t.C:
		case <-s.done:
			chunk = len(body) // closing: send the rest at once
		case <-x.r.Context().Done():
			return
		}
	}
}

// AddFault installs a fault rule after the existing ones and returns it with
// its ID. A rule that does not validate is refused with a *RuleError.
func (s *Server) AddFault(fr FaultRule) (FaultRule, error) {
	fr, code, err := validateRule(fr)
	if err != nil {
		return FaultRule{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextRule++
	fr.ID = "f" + strconv.Itoa(s.nextRule)
	var next []*rule
	if cur := s.rules.Load(); cur != nil {
		next = slices.Clone(*cur)
	}
	next = append(next, &rule{FaultRule: fr, code: code})
	s.rules.Store(&next)
	return fr, nil
}

// Faults lists the installed rules with their counters.
func (s *Server) Faults() []FaultRule {
	out := []FaultRule{}
	if cur := s.rules.Load(); cur != nil {
		for _, r := range *cur {
			fr := r.FaultRule
			fr.Matched, fr.Hits = r.matched.Load(), r.hits.Load()
			out = append(out, fr)
		}
	}
	return out
}

// RemoveFault removes the rule with the given ID and reports whether there
// was one.
func (s *Server) RemoveFault(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.rules.Load()
	if cur == nil {
		return false
	}
	next := slices.DeleteFunc(slices.Clone(*cur), func(r *rule) bool { return r.ID == id })
	if len(next) == len(*cur) {
		return false
	}
	s.setRules(next)
	return true
}

// ClearFaults removes every rule and returns how many there were.
func (s *Server) ClearFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if cur := s.rules.Load(); cur != nil {
		n = len(*cur)
	}
	s.setRules(nil)
	return n
}

// setRules publishes rules, nil when empty. Callers hold mu.
func (s *Server) setRules(rs []*rule) {
	if len(rs) == 0 {
		s.rules.Store(nil)
		return
	}
	s.rules.Store(&rs)
}

// ValidateFault checks a rule as AddFault does and returns it in canonical
// form; a rule that does not validate is refused with a *RuleError.
func ValidateFault(fr FaultRule) (FaultRule, error) {
	fr, _, err := validateRule(fr)
	return fr, err
}

// SetFaults replaces every rule with rs, whose IDs are already given (by a
// store that replicas share). A rule whose ID the server holds already
// keeps its counters; IDs are never reused. A rule that does not validate
// is refused with a *RuleError, and nothing changes.
func (s *Server) SetFaults(rs []FaultRule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	held := map[string]*rule{}
	if cur := s.rules.Load(); cur != nil {
		for _, r := range *cur {
			held[r.ID] = r
		}
	}
	next := make([]*rule, 0, len(rs))
	for _, fr := range rs {
		if r, ok := held[fr.ID]; ok {
			next = append(next, r)
			continue
		}
		v, code, err := validateRule(fr)
		if err != nil {
			return err
		}
		v.ID = fr.ID
		next = append(next, &rule{FaultRule: v, code: code})
	}
	s.setRules(next)
	return nil
}
