package detect

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// HRESULTs of the two client forms of the fault (fact sheet §3.1).
const (
	hrSOAPServer    = "0x8024400E" // WU_E_PT_SOAP_SERVER, WUA 7.0/7.1
	hrSOAPClientSF  = "0x80244007" // WU_E_PT_SOAPCLIENT_SOAPFAULT, WUA 7.6
	soapFaultClient = 7            // ATL SOAPCLIENT_SOAPFAULT (fact sheet §3.2)
	errInternal     = "InternalServerError"
	syncUpdatesPath = "/clientwebservice/syncupdates" // compared in lower case
)

var (
	// failureLine is WUA 7.0/7.1's first line about a failed call
	// (fact sheet §3.3).
	failureLine = regexp.MustCompile(`(?i)^WARNING:\s*(\w+) failure,\s*error\s*=\s*0x([0-9a-f]{1,8}),\s*soap client error\s*=\s*(\d+),\s*soap error code\s*=\s*(\d+)(?:,\s*HTTP status code\s*=\s*(\d+))?`)
	// dumpLine is one line of the fault dump that follows it, in English
	// or the advisory's Dutch.
	dumpLine = regexp.MustCompile(`(?i)^WARNING:\s*(SOAP Fault|SOAP-fout|faultstring|ErrorCode|Message|Bericht|Method|De methode|ID)\s*:\s*(.*)$`)

	// WUA 7.6 (fact sheet §3.3, S9).
	wsFaultInfo   = regexp.MustCompile(`(?i)^WARNING:\s*Soap fault info\s*:?\s*$`)
	wsCode        = regexp.MustCompile(`(?i)^WARNING:\s*code\s*:\s*(\w+)`)
	wsDetail      = regexp.MustCompile(`(?i)^WARNING:\s*detail\s*:\s*(.*)$`)
	wsFaultDetail = regexp.MustCompile(`(?i)^WARNING:\s*Soap fault detail\s*:\s*(.*)$`)
	wsReason      = regexp.MustCompile(`(?i)^WARNING:\s*reason\s*:`)
	anyHR         = regexp.MustCompile(`(?i)hr\s*=\s*0x([0-9a-f]{1,8})`)
	ptError       = regexp.MustCompile(`(?i)^WARNING:\s*PTError\s*:\s*0x([0-9a-f]{1,8})`)
	withRecovery  = regexp.MustCompile(`(?i)^WARNING:\s*(\w+)_WithRecovery failed\.?\s*:\s*0x([0-9a-f]{1,8})`)
	xmlErrorCode  = regexp.MustCompile(`(?i)<ErrorCode>\s*([^<]*?)\s*</ErrorCode>`)
	xmlID         = regexp.MustCompile(`(?i)<ID>\s*([^<]*?)\s*</ID>`)
	xmlMethod     = regexp.MustCompile(`(?i)<Method>\s*([^<]*?)\s*</Method>`)
	kvErrorCode   = regexp.MustCompile(`(?i)errorCode\s*=\s*'([^']*)'`)
	kvID          = regexp.MustCompile(`(?i)\bid\s*=\s*'([^']*)'`)
	kvMethod      = regexp.MustCompile(`(?i)method\s*=\s*'([^']*)'`)

	// A sync cycle and the signs that its SyncUpdates succeeded.
	syncStart   = regexp.MustCompile(`(?i)PT\s*:\s*(Synchronizing server updates|Serverupdates worden gesynchroniseerd)`)
	syncExtInfo = regexp.MustCompile(`(?i)PT\s*:\s*Synchronizing extended update info`)
	foundN      = regexp.MustCompile(`(?i)^\*?\s*Found \d+ updates`)

	mention = regexp.MustCompile(`(?i)8024400E`)
)

type threadKey struct {
	pid int
	tid uint32
}

// block is a client fault being read: its first line and the dump lines
// of the same thread that follow.
type block struct {
	ws bool // WUA 7.6 form
	found
	op        string
	clientErr int
	done      bool
	lines     int
}

// maxBlockLines ends a fault dump that never ends (a garbled file).
const maxBlockLines = 24

// maxPending bounds the faults being read at once (one per thread).
const maxPending = 64

type clientAnalyzer struct {
	pending map[threadKey]*block
	kb      keeper
	other   keeper
	notes   notes

	lastFaultStart int // start line of the latest SOAP fault of any thread
	syncLine       *Evidence
	success        []Evidence // banner and marker of the latest successful sync
	mentions       int
	firstMention   int
	transport      int // "<Op> failure" lines that are not SOAP faults
}

func newClientAnalyzer() *clientAnalyzer {
	return &clientAnalyzer{pending: map[threadKey]*block{}}
}

// line takes one line that wsuslog.ParseClientLine accepted.
func (c *clientAnalyzer) line(n int, raw string, e wsuslog.Entry) {
	key := threadKey{e.PID, e.TID}
	text := strings.TrimSpace(e.Text)
	ev := evidence(n, raw)

	if b := c.pending[key]; b != nil {
		if c.absorb(b, e.Component, text, ev) {
			if b.done || b.lines >= maxBlockLines {
				c.finish(key)
			}
			return
		}
		c.finish(key)
	}

	switch {
	case strings.EqualFold(e.Component, "PT") && failureLine.MatchString(text):
		m := failureLine.FindStringSubmatch(text)
		ce, _ := strconv.Atoi(m[3])
		if ce != soapFaultClient {
			// A send, connect or parse error: no fault came back.
			c.transport++
			c.noteMention(n, text)
			return
		}
		code, _ := strconv.Atoi(m[4])
		b := &block{op: m[1], clientErr: ce}
		b.f = Fault{Line: n, HResult: normHR(m[2]), FaultCode: faultCodeOf(code)}
		b.ev = []Evidence{ev}
		c.start(key, b)
	case strings.EqualFold(e.Component, "WS") && wsFaultInfo.MatchString(text):
		b := &block{ws: true}
		b.f = Fault{Line: n}
		b.ev = []Evidence{ev}
		c.start(key, b)
	case syncStart.MatchString(text):
		c.syncLine = &ev
	case syncExtInfo.MatchString(text) || (strings.EqualFold(e.Component, "Agent") && foundN.MatchString(text)):
		if c.syncLine != nil && c.syncLine.Line > c.lastFaultStart {
			if len(c.success) == 0 || c.success[0].Line != c.syncLine.Line {
				c.success = []Evidence{*c.syncLine, ev}
			}
		}
	default:
		c.noteMention(n, text)
	}
}

func (c *clientAnalyzer) noteMention(n int, text string) {
	if mention.MatchString(text) {
		c.mentions++
		if c.firstMention == 0 {
			c.firstMention = n
		}
	}
}

func (c *clientAnalyzer) start(key threadKey, b *block) {
	if len(c.pending) >= maxPending {
		c.finishAll()
	}
	c.pending[key] = b
	c.lastFaultStart = b.f.Line
}

// absorb adds a line of b's thread to b and reports whether it belongs
// to the fault.
func (c *clientAnalyzer) absorb(b *block, component, text string, ev Evidence) bool {
	b.lines++
	if !b.ws {
		if !strings.EqualFold(component, "PT") {
			return false
		}
		m := dumpLine.FindStringSubmatch(text)
		if m == nil {
			return false
		}
		val := strings.TrimSpace(m[2])
		switch strings.ToLower(m[1]) {
		case "errorcode":
			b.f.ErrorCode = errorCodeName(val)
		case "method", "de methode":
			b.f.Method = trimMethod(val)
		case "id":
			b.f.ID = val
			b.done = true
		}
		b.ev = append(b.ev, ev)
		return true
	}

	switch {
	case strings.EqualFold(component, "WS"):
		if wsFaultInfo.MatchString(text) {
			return false // the next fault
		}
		keep := false
		if m := wsCode.FindStringSubmatch(text); m != nil {
			b.f.FaultCode, keep = m[1], true
		} else if m := wsDetail.FindStringSubmatch(text); m != nil {
			b.fromDetail(m[1], xmlErrorCode, xmlID, xmlMethod)
			keep = true
		} else if m := wsFaultDetail.FindStringSubmatch(text); m != nil {
			b.fromDetail(m[1], kvErrorCode, kvID, kvMethod)
			keep = true
		} else if m := anyHR.FindStringSubmatch(text); m != nil {
			if b.f.HResult == "" {
				b.f.HResult = normHR(m[1])
			}
			keep = true
		} else if wsReason.MatchString(text) {
			keep = true
		}
		if keep {
			b.ev = append(b.ev, ev)
		}
		return true
	case strings.EqualFold(component, "PT"):
		if m := ptError.FindStringSubmatch(text); m != nil {
			if b.f.HResult == "" {
				b.f.HResult = normHR(m[1])
			}
			b.ev = append(b.ev, ev)
			return true
		}
		if m := withRecovery.FindStringSubmatch(text); m != nil {
			b.op = m[1]
			if b.f.HResult == "" {
				b.f.HResult = normHR(m[2])
			}
			b.ev = append(b.ev, ev)
			b.done = true
			return true
		}
	}
	return false
}

// fromDetail fills in what the detail text names and is not known yet.
func (b *block) fromDetail(s string, code, id, method *regexp.Regexp) {
	if m := code.FindStringSubmatch(s); m != nil && b.f.ErrorCode == "" {
		b.f.ErrorCode = errorCodeName(m[1])
	}
	if m := id.FindStringSubmatch(s); m != nil && b.f.ID == "" {
		b.f.ID = strings.TrimSpace(m[1])
	}
	if m := method.FindStringSubmatch(s); m != nil && b.f.Method == "" {
		b.f.Method = trimMethod(m[1])
	}
}

// finish classifies the pending fault of key.
func (c *clientAnalyzer) finish(key threadKey) {
	b := c.pending[key]
	delete(c.pending, key)
	if b == nil {
		return
	}
	syncMethod := strings.HasSuffix(strings.ToLower(b.f.Method), syncUpdatesPath)
	if b.ws {
		b.f.KB954960 = b.f.HResult == hrSOAPClientSF &&
			(b.f.FaultCode == "" || strings.EqualFold(b.f.FaultCode, "Server")) &&
			b.f.ErrorCode == errInternal && syncMethod
	} else {
		b.f.KB954960 = strings.EqualFold(b.op, "SyncUpdates") && b.f.HResult == hrSOAPServer &&
			b.f.ErrorCode == errInternal && syncMethod
	}
	if b.f.ErrorCode == "" || b.f.Method == "" {
		c.notes.add(fmt.Sprintf("line %d: fault dump without %s; counted as another SOAP fault", b.f.Line, missing(b.f)))
	}
	if b.f.KB954960 {
		c.kb.add(b.found)
	} else {
		c.other.add(b.found)
	}
}

func missing(f Fault) string {
	switch {
	case f.ErrorCode == "" && f.Method == "":
		return "ErrorCode and Method"
	case f.ErrorCode == "":
		return "ErrorCode"
	}
	return "Method"
}

// finishAll classifies every pending fault in the order they started.
func (c *clientAnalyzer) finishAll() {
	keys := make([]threadKey, 0, len(c.pending))
	for k := range c.pending {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return c.pending[keys[i]].f.Line < c.pending[keys[j]].f.Line })
	for _, k := range keys {
		c.finish(k)
	}
}

// report fills in the verdict of a WindowsUpdate.log.
func (c *clientAnalyzer) report(r *Report) {
	c.finishAll()
	r.Faults = faultsOf(&c.kb, &c.other)
	r.FaultCount = c.kb.count + c.other.count
	recoveredAt := 0
	if len(c.success) == 2 && c.kb.count > 0 && c.success[0].Line > c.kb.last {
		recoveredAt = c.success[0].Line
	}
	switch {
	case c.kb.count > 0 && recoveredAt == 0:
		r.Verdict = VerdictAffected
		r.Summary = fmt.Sprintf("954960: SyncUpdates answered with InternalServerError %s, the last at line %d; no successful sync after it",
			times(c.kb.count), c.kb.last)
		r.Evidence = c.kb.evidence()
	case c.kb.count > 0:
		r.Verdict = VerdictRecovered
		r.Summary = fmt.Sprintf("954960: SyncUpdates answered with InternalServerError %s, the last at line %d; the sync that started at line %d succeeded",
			times(c.kb.count), c.kb.last, recoveredAt)
		r.Evidence = append(c.kb.evidence(), c.success...)
	case c.other.count > 0:
		r.Verdict = VerdictOtherSOAPFault
		f := c.other.kept[0].f
		r.Summary = fmt.Sprintf("%s, none of them 954960's; the first at line %d: %s", soapFaults(c.other.count), f.Line, describe(f))
		r.Evidence = c.other.evidence()
	default:
		r.Verdict = VerdictClean
		if len(c.success) == 2 {
			r.Summary = fmt.Sprintf("no SOAP fault; the sync that started at line %d succeeded", c.success[0].Line)
			r.Evidence = c.success
		} else {
			r.Summary = "no SOAP fault (and no completed sync in the log)"
		}
	}
	if c.kb.count > 0 && c.other.count > 0 {
		c.notes.add(fmt.Sprintf("also %s of other kinds, the first at line %d: %s",
			soapFaults(c.other.count), c.other.kept[0].f.Line, describe(c.other.kept[0].f)))
	}
	if c.mentions > 0 && c.kb.count == 0 {
		c.notes.add(fmt.Sprintf("8024400E appears on %d line(s) outside any fault dump, the first at line %d; not evidence of 954960",
			c.mentions, c.firstMention))
	}
	if c.transport > 0 {
		c.notes.add(fmt.Sprintf("%d call failure(s) without a SOAP fault (soap client error other than 7)", c.transport))
	}
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func soapFaults(n int) string {
	if n == 1 {
		return "1 SOAP fault"
	}
	return fmt.Sprintf("%d SOAP faults", n)
}

// describe sums up a fault in a few words.
func describe(f Fault) string {
	var parts []string
	if f.ErrorCode != "" {
		parts = append(parts, "ErrorCode "+f.ErrorCode)
	}
	if f.Method != "" {
		m := f.Method
		if i := strings.LastIndexByte(m, '/'); i >= 0 {
			m = m[i+1:]
		}
		parts = append(parts, "on "+m)
	}
	if f.HResult != "" {
		parts = append(parts, f.HResult)
	}
	if f.FaultCode != "" {
		parts = append(parts, "soap:"+f.FaultCode)
	}
	if len(parts) == 0 {
		return "no detail"
	}
	return strings.Join(parts, ", ")
}

// normHR writes an HRESULT as WUA's "SyncUpdates failure" line does:
// 0x and eight upper-case digits.
func normHR(hex string) string {
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return "0x" + strings.ToUpper(hex)
	}
	return fmt.Sprintf("0x%08X", v)
}

// faultCodeOf maps ATL's SOAP_ERROR_CODE to the faultcode (fact sheet §3.2).
func faultCodeOf(code int) string {
	switch code {
	case 300:
		return "Client"
	case 400:
		return "Server"
	case 100:
		return "VersionMismatch"
	case 200:
		return "MustUnderstand"
	}
	return ""
}

// errorCodeName strips WUA's "(5)" from "InternalServerError(5)".
func errorCodeName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// trimMethod removes the quotes and blanks around a SOAPAction.
func trimMethod(s string) string {
	return strings.Trim(s, "\" \t")
}
