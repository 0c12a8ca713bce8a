package wuaclient

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wusp"
)

// Defaults of the Client's optional fields.
const (
	// DefaultPID and DefaultTID are the process and thread of the
	// advisory's log lines (svchost 788, thread ee4).
	DefaultPID = 788
	DefaultTID = 0xee4
	// DefaultAUTID and DefaultReportTID are the threads of Automatic
	// Updates and of the reporter. In real logs each has a thread of its
	// own, apart from the one the agent, Setup and PT share (a 2016 WUA
	// 7.6 log: AU 2150, Agent/Setup/PT 1f40, Report aa4); the values are
	// arbitrary.
	DefaultAUTID     = 0xd3c
	DefaultReportTID = 0x5f8
	// DefaultRequestTimeout bounds one SOAP exchange.
	DefaultRequestTimeout = 60 * time.Second
	// MaxRecoveries bounds the fault recoveries of one cycle (new cookie,
	// new configuration, registration), so that a server answering every
	// call with CookieExpired cannot keep the client busy forever.
	MaxRecoveries = 4
)

// Event IDs and constants of the reporting events a detection cycle sends
// (docs/protocol-facts.md §1.8).
const (
	EventDetectionFinished = 147 // AGENT_DETECTION_FINISHED
	EventDetectionFailed   = 148 // AGENT_DETECTION_FAILED
	eventSourceID          = 101
	eventNamespaceID       = 1
	callerID               = "AutomaticUpdates"
	// searchCriteria is the criteria of Automatic Updates' scheduled search.
	searchCriteria = "IsInstalled=0 and DeploymentAction='Installation' or IsPresent=1 and DeploymentAction='Uninstallation' or IsInstalled=1 and DeploymentAction='Installation' and RebootRequired=1 or IsInstalled=0 and DeploymentAction='Uninstallation' and RebootRequired=1"
)

// Client is a simulated Windows Update Agent 7.x pointed at a WSUS server.
// Set its fields, then call Detect; a Client may run Detect any number of
// times, from one goroutine at a time. Each cycle starts as a freshly
// started agent would after a restart: no cached configuration or cookie.
type Client struct {
	// ServerURL is the server root, e.g. http://wsus01:8530/ (the WUServer
	// policy). The service paths are resolved beneath it.
	ServerURL string
	// Profile is the simulated machine. Required.
	Profile *Profile
	// ClientID is the machine's SusClientId, a GUID; empty means the
	// profile's. Give every simulated machine of one profile its own (see
	// ClientIDFromName) and the server tells them apart, as it told real
	// machines apart.
	ClientID string
	// DNSName is the machine's host name, sent in GetAuthorizationCookie
	// and RegisterComputer; empty means the profile's.
	DNSName string
	// HTTP sends the requests; nil means a client of its own with
	// keep-alive connections and no proxy.
	HTTP *http.Client
	// RequestTimeout bounds each exchange; zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Log receives the cycle's WindowsUpdate.log lines as they happen; nil
	// keeps them only in Result.Log.
	Log *wsuslog.ClientLogWriter
	// Lang is the rendering of the log lines (wsuslog.LangEnglish if empty).
	Lang wsuslog.Lang
	// Now is the clock of the log lines and of the requests' times; nil
	// means time.Now.
	Now func() time.Time
	// PID and TID are the process and the thread of the agent (Agent,
	// Setup, PT) the log lines name; AUTID and ReportTID the threads of
	// Automatic Updates and of the reporter. Zero means DefaultPID,
	// DefaultTID, DefaultAUTID and DefaultReportTID.
	PID                   int
	TID, AUTID, ReportTID uint32

	defaultHTTP *http.Client
}

func (c *Client) requestTimeout() time.Duration {
	if c.RequestTimeout > 0 {
		return c.RequestTimeout
	}
	return DefaultRequestTimeout
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	if c.defaultHTTP == nil {
		c.defaultHTTP = &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}}
	}
	return c.defaultHTTP
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Update names a leaf update the cycle found needed.
type Update struct {
	RevisionID     int
	UpdateID       string
	RevisionNumber int
	Title          string // from LocalizedProperties; empty if the server sent none
}

// Result is the outcome of one detection cycle.
type Result struct {
	Succeeded bool
	// HResult is 0 on success, else the failure's code, e.g. 0x8024400E.
	HResult HRESULT
	// Operation is the operation whose reply ended the cycle, on failure;
	// "SelfUpdate" when the self-update check did.
	Operation string
	// HTTPStatus is the status of the reply that ended the cycle (0 when no
	// reply came), as the log line prints it.
	HTTPStatus int
	// Fault is the WSUS fault that ended the cycle, if one did; Fault.ID is
	// the GUID the server also wrote in its log.
	Fault *wusp.Fault
	// Err is the failure: a *wusp.Fault, *wusp.ProtocolFault,
	// *TransportError, *SelfUpdateError or ErrExceededMaxServerTrips.
	Err error
	// RoundTrips counts SyncUpdates requests, the failed one included.
	RoundTrips int
	// Offered lists the revision IDs SyncUpdates offered in NewUpdates, in
	// the order they came.
	Offered []int
	// Needed lists the leaf updates to install, in revision ID order.
	Needed []Update
	// Events are the reporting events of the cycle; Reported says whether
	// ReportEventBatch accepted them.
	Events   []wusp.ReportingEvent
	Reported bool
	// Calls lists every operation sent, in order.
	Calls []string
	// Log holds the WindowsUpdate.log lines of the cycle.
	Log []wsuslog.Entry
}

// Summary is the one-line verdict `wsusmock client` ends with.
func (r *Result) Summary() string {
	if r.Succeeded {
		return fmt.Sprintf("result: succeeded needed=%d round_trips=%d", len(r.Needed), r.RoundTrips)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "result: failed hresult=%s", r.HResult)
	if r.Fault != nil {
		fmt.Fprintf(&b, " fault=%s id=%s", r.Fault.Code, r.Fault.ID)
	}
	if r.Operation != "" {
		fmt.Fprintf(&b, " operation=%s", r.Operation)
	}
	if r.HTTPStatus != 0 {
		fmt.Fprintf(&b, " http_status=%d", r.HTTPStatus)
	}
	fmt.Fprintf(&b, " round_trips=%d", r.RoundTrips)
	return b.String()
}

// ErrExceededMaxServerTrips is the failure of a cycle that needed more than
// 200 SyncUpdates round trips (0x80244010, docs/protocol-facts.md §1.7).
var ErrExceededMaxServerTrips = errors.New("exceeded max server round trips")

// revision is a cached revision: what SyncUpdates said of it and how the
// client evaluated it.
type revision struct {
	id        int
	core      coreInfo
	isLeaf    bool
	action    string
	title     string
	titled    bool // LocalizedProperties were fetched
	installed bool
	evaluated bool
}

// cycle is the state of one Detect call.
type cycle struct {
	c                *Client
	ctx              context.Context
	text             wsuslog.ClientText
	res              *Result
	pid              int
	tid              uint32 // Agent, Setup, PT
	auTID, reportTID uint32

	root, clientURL, reportURL *url.URL
	authURL                    *url.URL

	cfg                      *wusp.Config
	auth                     *wusp.AuthorizationCookie
	cookie                   *wusp.Cookie
	oldCookie                *wusp.Cookie
	mustRegister, registered bool
	refresh                  bool
	recoveries               int

	revs   map[int]*revision
	logErr error
	callID string // AU's CallId of the search
}

// Detect runs one detection cycle (docs/protocol-facts.md §1.7): GetConfig,
// GetAuthorizationCookie, GetCookie, RegisterComputer when the server
// requires it, the SyncUpdates loop with client-side evaluation,
// GetExtendedUpdateInfo for the needed updates, and ReportEventBatch.
//
// A cycle that fails — a WSUS fault it cannot recover from, a transport
// error, too many round trips — is not an error: the Result says so, as
// the log does. Detect returns an error only for a Client it cannot run
// (no server, no profile), a cancelled context, or a log that cannot be
// written; the Result then holds what happened so far.
func (c *Client) Detect(ctx context.Context) (*Result, error) {
	res := &Result{}
	if c.Profile == nil {
		return res, errors.New("wuaclient: no profile")
	}
	if c.ClientID != "" {
		if err := CheckClientID(c.ClientID); err != nil {
			return res, fmt.Errorf("wuaclient: %w", err)
		}
	}
	root, err := serverRoot(c.ServerURL)
	if err != nil {
		return res, fmt.Errorf("wuaclient: %w", err)
	}
	cy := &cycle{c: c, ctx: ctx, res: res, root: root, revs: map[int]*revision{},
		text: wsuslog.ClientText{Lang: c.Lang, Agent: c.Profile.AgentVersion.String()},
		pid:  cmp.Or(c.PID, DefaultPID), tid: cmp.Or(c.TID, DefaultTID),
		auTID: cmp.Or(c.AUTID, DefaultAUTID), reportTID: cmp.Or(c.ReportTID, DefaultReportTID)}
	// The SimpleAuth path is a fallback: normally GetConfig's
	// AuthPlugInInfo/ServiceUrl names it.
	cy.clientURL, _ = resolve(root, wusp.ClientService.Path())
	cy.reportURL, _ = resolve(root, wusp.Reporting.Path())
	cy.authURL, _ = resolve(root, wusp.SimpleAuth.Path())

	err = cy.run()
	if cy.logErr != nil && err == nil {
		err = fmt.Errorf("wuaclient: writing the log: %w", cy.logErr)
	}
	return res, err
}

func (cy *cycle) log(msgs ...wsuslog.Message) {
	entries := make([]wsuslog.Entry, len(msgs))
	for i, m := range msgs {
		tid := cy.tid
		switch m.Component {
		case wsuslog.ComponentAU:
			tid = cy.auTID
		case componentReport:
			tid = cy.reportTID
		}
		entries[i] = m.At(cy.c.now(), cy.pid, tid)
	}
	cy.res.Log = append(cy.res.Log, entries...)
	if cy.c.Log != nil && cy.logErr == nil {
		cy.logErr = cy.c.Log.Log(entries...)
	}
}

func (cy *cycle) run() error {
	cy.callID = "{" + strings.ToUpper(wusp.NewGUID()) + "}"
	cy.log(cy.text.AUSearchStart(cy.callID)...)
	cy.log(cy.text.AgentSearchStart(callerID, searchCriteria)...)
	if err := cy.selfUpdate(); err != nil {
		return cy.fail(err)
	}
	cy.log(cy.text.SyncServerUpdates(), cy.text.ServerURL(cy.clientURL.String()))

	if err := cy.syncLoop(); err != nil {
		return cy.fail(err)
	}
	if err := cy.extendedInfo(); err != nil {
		return cy.fail(err)
	}
	cy.succeed()
	return nil
}

// syncLoop calls SyncUpdates until the server has nothing new and has not
// truncated its answer (MS-WUSP §3.1.5.7).
func (cy *cycle) syncLoop() error {
	for {
		var resp wusp.SyncUpdatesResponse
		err := cy.withRecovery(func() error {
			cy.res.RoundTrips++
			req := &wusp.SyncUpdatesRequest{Cookie: *cy.cookie, Parameters: cy.syncParameters()}
			resp = wusp.SyncUpdatesResponse{}
			return cy.call(cy.clientURL, wusp.OpSyncUpdates, req, &resp)
		})
		if err != nil {
			return err
		}
		cy.absorb(resp.Result)
		if err := cy.evaluate(); err != nil {
			return err
		}
		if len(resp.Result.NewUpdates) == 0 && !resp.Result.Truncated {
			return nil
		}
		if cy.res.RoundTrips >= maxServerRoundTrips {
			return ErrExceededMaxServerTrips
		}
	}
}

// syncParameters puts the installed non-leaf revisions in
// InstalledNonLeafUpdateIDs and every other cached revision in
// OtherCachedUpdateIDs (docs/protocol-facts.md §1.7).
func (cy *cycle) syncParameters() wusp.SyncUpdateParameters {
	var p wusp.SyncUpdateParameters
	for id, r := range cy.revs {
		if !r.isLeaf && r.installed {
			p.InstalledNonLeafUpdateIDs = append(p.InstalledNonLeafUpdateIDs, id)
		} else {
			p.OtherCachedUpdateIDs = append(p.OtherCachedUpdateIDs, id)
		}
	}
	slices.Sort(p.InstalledNonLeafUpdateIDs)
	slices.Sort(p.OtherCachedUpdateIDs)
	return p
}

func (cy *cycle) absorb(si wusp.SyncInfo) {
	for _, id := range si.OutOfScopeRevisionIDs {
		delete(cy.revs, id)
	}
	for _, u := range si.NewUpdates {
		cy.res.Offered = append(cy.res.Offered, u.ID)
		cy.revs[u.ID] = &revision{id: u.ID, core: parseCore(u.Xml), isLeaf: u.IsLeaf, action: u.Deployment.Action}
	}
	for _, u := range si.ChangedUpdates {
		if r, ok := cy.revs[u.ID]; ok {
			r.isLeaf, r.action = u.IsLeaf, u.Deployment.Action
		}
	}
	if len(si.NewCookie.EncryptedData) > 0 {
		c := si.NewCookie
		cy.cookie = &c
	}
}

// evaluate decides, for every revision not yet evaluated, whether it is
// installed on the profile's machine. Non-leaf revisions match the
// profile's Installed list by UpdateID, or by title when the profile names
// titles; titles are not in the Core fragment, so they are fetched first.
func (cy *cycle) evaluate() error {
	if cy.c.Profile.needsTitles() {
		var ids []int
		for id, r := range cy.revs {
			if !r.isLeaf && !r.titled && !cy.c.Profile.installed(r.core.UpdateID, "") {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		if err := cy.fetchTitles(ids); err != nil {
			return err
		}
	}
	for _, r := range cy.revs {
		if r.evaluated {
			continue
		}
		r.evaluated = true
		if r.isLeaf {
			r.installed = cy.c.Profile.leafInstalled(r.core.UpdateID)
		} else {
			r.installed = cy.c.Profile.installed(r.core.UpdateID, r.title)
		}
	}
	return nil
}

// maxPerRequest is the server's MaxExtendedUpdatesPerRequest, 50 if it
// names none.
func (cy *cycle) maxPerRequest() int {
	if cy.cfg != nil {
		if v, ok := cy.cfg.Property("MaxExtendedUpdatesPerRequest"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	return 50
}

// extendedUpdateInfo fetches fragments for revisions in batches of at most
// MaxExtendedUpdatesPerRequest (MS-WUSP §2.2.2.2.6) and hands each
// UpdateData to fn.
func (cy *cycle) extendedUpdateInfo(ids []int, types []string, fn func(wusp.UpdateData)) error {
	max := cy.maxPerRequest()
	for len(ids) > 0 {
		batch := ids[:min(max, len(ids))]
		ids = ids[len(batch):]
		var resp wusp.GetExtendedUpdateInfoResponse
		err := cy.withRecovery(func() error {
			resp = wusp.GetExtendedUpdateInfoResponse{}
			req := &wusp.GetExtendedUpdateInfoRequest{Cookie: *cy.cookie, RevisionIDs: batch, InfoTypes: types, Locales: []string{"en"}}
			return cy.call(cy.clientURL, wusp.OpGetExtendedUpdateInfo, req, &resp)
		})
		if err != nil {
			return err
		}
		for _, u := range resp.Result.Updates {
			fn(u)
		}
	}
	return nil
}

func (cy *cycle) fetchTitles(ids []int) error {
	for _, id := range ids {
		cy.revs[id].titled = true
	}
	return cy.extendedUpdateInfo(ids, []string{"LocalizedProperties"}, func(u wusp.UpdateData) {
		if r, ok := cy.revs[u.ID]; ok {
			if t, ok := localizedTitle(u.Xml); ok {
				r.title = t
			}
		}
	})
}

// extendedInfo fetches the Extended and LocalizedProperties fragments of
// the needed leaf updates, as the agent does after a successful
// SyncUpdates.
func (cy *cycle) extendedInfo() error {
	var needed []int
	for id, r := range cy.revs {
		if r.isLeaf && !r.installed && r.action == "Install" {
			needed = append(needed, id)
		}
	}
	slices.Sort(needed)
	if len(needed) == 0 {
		return nil
	}
	cy.log(cy.text.SyncExtendedUpdateInfo(), cy.text.ServerURL(cy.clientURL.String()))
	err := cy.extendedUpdateInfo(needed, []string{"Extended", "LocalizedProperties"}, func(u wusp.UpdateData) {
		if r, ok := cy.revs[u.ID]; ok {
			if t, ok := localizedTitle(u.Xml); ok {
				r.title = t
			}
		}
	})
	if err != nil {
		return err
	}
	for _, id := range needed {
		r := cy.revs[id]
		cy.res.Needed = append(cy.res.Needed, Update{RevisionID: id, UpdateID: r.core.UpdateID,
			RevisionNumber: r.core.RevisionNumber, Title: r.title})
	}
	return nil
}

func (cy *cycle) succeed() {
	r := cy.res
	r.Succeeded = true
	categories := 0
	for _, rev := range cy.revs {
		if rev.core.UpdateType == "Category" {
			categories++
		}
	}
	for _, u := range r.Needed {
		cy.log(addedUpdate(u))
	}
	cy.log(foundUpdates(len(r.Needed), categories, len(cy.revs), len(cy.revs)))
	cy.log(cy.text.AgentSearchEnd(callerID)...)
	cy.log(cy.text.AUSearchEnd(cy.callID, len(r.Needed))...)
	cy.report(EventDetectionFinished, 0, "Success",
		fmt.Sprintf("Windows Update Client successfully detected %d updates.", len(r.Needed)),
		[]string{strconv.Itoa(len(r.Needed))})
}

// fail logs and reports a failed cycle. A cancelled context is returned
// as the error instead: nobody is left to report to.
func (cy *cycle) fail(err error) error {
	if cy.ctx.Err() != nil {
		return fmt.Errorf("wuaclient: detection cancelled: %w", cy.ctx.Err())
	}
	r := cy.res
	r.Err = err
	var xe *exchangeError
	var wf *wusp.Fault
	var pf *wusp.ProtocolFault
	var te *TransportError
	var se *SelfUpdateError
	if errors.As(err, &xe) {
		r.Operation, r.HTTPStatus = xe.op, xe.status
	}
	switch {
	case errors.As(err, &se):
		r.Operation, r.HTTPStatus, r.HResult = "SelfUpdate", se.Status, se.HR
		cy.log(cy.text.SelfUpdateFailed(se.URL, uint32(se.WinHTTP), uint32(se.HR))...)
	case errors.As(err, &wf):
		r.Fault = wf
		hr, code := faultHRESULT(wf.FaultCode())
		r.HResult = hr
		cy.log(cy.faultDump(xe, wf, hr, code)...)
	case errors.As(err, &pf) && xe != nil:
		hr, code := faultHRESULT(pf.FaultCode)
		r.HResult = hr
		dump := cy.text.OperationFault(xe.op, wsuslog.SyncFault{HResult: uint32(hr), SOAPClientError: soapClientErrorSoapFault,
			SOAPErrorCode: code, HTTPStatus: wsuslog.FaultLoggedStatus, FaultString: pf.FaultString})
		cy.log(dump[:3]...)
	case errors.As(err, &te):
		r.HResult = te.HR
		cy.log(cy.text.TransportFailure(te.Op, uint32(te.HR), te.SOAPClientError, te.Status))
	case errors.Is(err, ErrExceededMaxServerTrips):
		r.HResult = ExceededMaxServerTrips
		cy.log(exceededRoundTrips())
	default:
		return fmt.Errorf("wuaclient: %w", err)
	}
	if se == nil {
		cy.log(cy.text.OperationFailed(cmp.Or(r.Operation, wusp.OpSyncUpdates.Name), uint32(r.HResult))...)
	}
	cy.log(cy.text.AgentSearchEnd(callerID)...)
	cy.log(cy.text.SearchFailed(uint32(r.HResult)))
	cy.log(cy.text.AUSearchFailed(cy.callID, uint32(r.HResult))...)
	hex := fmt.Sprintf("0x%08x", uint32(r.HResult))
	cy.report(EventDetectionFailed, r.HResult, "Failure",
		"Windows Update Client failed to detect with error "+hex+".", []string{hex})
	if cy.ctx.Err() != nil {
		return fmt.Errorf("wuaclient: detection cancelled: %w", cy.ctx.Err())
	}
	return nil
}

// faultDump is the dump of a WSUS fault answering xe's operation. The
// status line says 200 whatever status carried the fault, as WUA 7.x
// logs (see wsuslog.SyncFault.HTTPStatus); Result.HTTPStatus keeps the
// status that came.
func (cy *cycle) faultDump(xe *exchangeError, f *wusp.Fault, hr HRESULT, code int) []wsuslog.Message {
	op := ""
	if xe != nil {
		op = xe.op
	}
	return cy.text.OperationFault(op, wsuslog.SyncFault{
		HResult: uint32(hr), SOAPClientError: soapClientErrorSoapFault, SOAPErrorCode: code, HTTPStatus: wsuslog.FaultLoggedStatus,
		FaultString: f.FaultString, ErrorCode: string(f.Code), ErrorNumber: f.Code.Number(), Message: f.Message, Method: f.Method, ID: f.ID,
	})
}

// report logs the cycle's event and sends it with ReportEventBatch. Without
// a cookie there is nothing to report with; a failed upload is left in the
// Result (Reported false) and does not change the cycle's outcome.
func (cy *cycle) report(eventID int, hr HRESULT, status, text string, replacement []string) {
	now := cy.c.now()
	ev := wusp.ReportingEvent{
		ClientID:           cy.c.clientID(),
		TimeAtTarget:       now.UTC(),
		EventInstanceID:    strings.ToUpper(wusp.NewGUID()),
		NamespaceID:        eventNamespaceID,
		EventID:            eventID,
		SourceID:           eventSourceID,
		UpdateID:           wusp.UpdateIdentity{UpdateID: "00000000-0000-0000-0000-000000000000"},
		Win32HResult:       hr.Int32(),
		AppName:            callerID,
		ReplacementStrings: replacement,
	}
	cy.c.Profile.describe(&ev)
	cy.res.Events = append(cy.res.Events, ev)
	cy.log(reportEvent(ev.EventInstanceID, now, eventID, eventSourceID, hr, status, text))
	if cy.cookie == nil || cy.ctx.Err() != nil {
		return
	}
	cy.log(uploadingEvents(1, cy.reportURL.String()))
	req := &wusp.ReportEventBatchRequest{Cookie: *cy.cookie, ClientTime: now.UTC(), EventBatch: []wusp.ReportingEvent{ev}}
	var resp wusp.ReportEventBatchResponse
	if err := cy.call(cy.reportURL, wusp.OpReportEventBatch, req, &resp); err == nil && resp.Result {
		cy.res.Reported = true
		cy.log(uploadedEvents(1))
	}
}
