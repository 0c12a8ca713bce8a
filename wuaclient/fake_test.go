package wuaclient_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// The fake WSUS server of these tests: a tiny catalog of two root
// detectoids, one product category below the Office detectoid and two leaf
// updates, answered with canned replies built by package wusp. A test
// scripts faults by operation and call number.

const (
	winDetectoid    = "504eb6be-68e3-4a61-b56e-28524787cfcf"
	officeDetectoid = "a9822eb7-928b-45c2-aebb-d11e6cb9589b"
	officeProduct   = "672b408a-1c66-4757-ba00-921b2a5cc155"
	xpUpdate        = "62e21f26-6e09-42e1-b07b-40b76753cd72"
	officeUpdate    = "cc750251-d324-4187-8241-603a8445ad33"
)

type fakeRevision struct {
	id       int
	updateID string
	typ      string
	title    string
	leaf     bool
	requires int // revision that must be installed first; 0 for a root
}

var fakeCatalog = []fakeRevision{
	{8010, winDetectoid, "Detectoid", "Windows XP detectoid", false, 0},
	{8011, officeDetectoid, "Detectoid", "Office 2003 detectoid", false, 0},
	{8004, officeProduct, "Category", "Office 2003", false, 8011},
	{8901, xpUpdate, "Software", "Security Update for Windows XP (KB950749)", true, 8010},
	{8862, officeUpdate, "Software", "Office 2003 Service Pack 1", true, 8004},
}

func (r fakeRevision) core() string {
	return `<UpdateIdentity UpdateID="` + r.updateID + `" RevisionNumber="100" /><Properties UpdateType="` + r.typ +
		`" /><ApplicabilityRules><IsInstalled><b.True /></IsInstalled></ApplicabilityRules>`
}

// faultSpec makes the fake answer call number N (1-based) of an operation
// with a WSUS fault.
type faultSpec struct {
	op     string
	call   int
	code   wusp.ErrorCode
	status int    // 0 means 200
	id     string // "" means a fresh GUID
	// faultString replaces "Fault occurred".
	faultString string
}

type fakeServer struct {
	t *testing.T
	// faults are answered instead of the normal reply.
	faults []faultSpec
	// faultAll answers every call of an operation with this fault.
	faultAllOp   string
	faultAllCode wusp.ErrorCode
	// truncateForever answers every SyncUpdates with Truncated=true.
	truncateForever bool
	mu              sync.Mutex // guards the fields below
	actions         []string
	headers         []http.Header
	counts          map[string]int
	reports         []wusp.ReportingEvent
	syncs           []wusp.SyncUpdateParameters
	paths           []string
	bodies          []string
	// selfUpdateStatus answers the self-update check; zero means 200.
	selfUpdateStatus int
	selfUpdateChecks int
}

func newFake(t *testing.T, faults ...faultSpec) (*fakeServer, *httptest.Server) {
	f := &fakeServer{t: t, faults: faults, counts: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeServer) Actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.actions...)
}

// Ops is Actions without the namespace: the operation names.
func (f *fakeServer) Ops() []string {
	var out []string
	for _, a := range f.Actions() {
		a = strings.Trim(a, `"`)
		out = append(out, a[strings.LastIndexByte(a, '/')+1:])
	}
	return out
}

var services = map[string]wusp.Service{
	"/simpleauthwebservice/simpleauth.asmx":         wusp.SimpleAuth,
	"/clientwebservice/client.asmx":                 wusp.ClientService,
	"/reportingwebservice/reportingwebservice.asmx": wusp.Reporting,
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if strings.EqualFold(r.URL.Path, "/"+wuaclient.SelfUpdatePath) {
		f.mu.Lock()
		f.selfUpdateChecks++
		f.paths = append(f.paths, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		if f.selfUpdateStatus != 0 {
			w.WriteHeader(f.selfUpdateStatus)
		}
		return
	}
	svc, ok := services[strings.ToLower(r.URL.Path)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	op, ok := wusp.LookupAction(svc, r.Header.Get("SOAPAction"))
	if !ok {
		http.Error(w, "unknown action", http.StatusInternalServerError)
		return
	}
	f.mu.Lock()
	f.actions = append(f.actions, r.Header.Get("SOAPAction"))
	f.headers = append(f.headers, r.Header.Clone())
	f.paths = append(f.paths, r.URL.Path)
	f.bodies = append(f.bodies, string(body))
	f.counts[op.Name]++
	n := f.counts[op.Name]
	f.mu.Unlock()

	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	for _, fs := range f.faults {
		if fs.op == op.Name && fs.call == n {
			f.writeFault(w, op, fs)
			return
		}
	}
	if f.faultAllOp == op.Name {
		f.writeFault(w, op, faultSpec{code: f.faultAllCode})
		return
	}
	elem, err := wusp.ParseRequest(body, wusp.DefaultMaxDepth)
	if err != nil {
		f.t.Errorf("fake server: %s: %v", op.Name, err)
		return
	}
	_, _ = w.Write(wusp.MarshalResponse(op, f.reply(op, elem)))
}

func (f *fakeServer) writeFault(w http.ResponseWriter, op wusp.Operation, fs faultSpec) {
	fault := wusp.NewFault(fs.code, "")
	if fs.id != "" {
		fault.ID = fs.id
	}
	if fs.faultString != "" {
		fault.FaultString = fs.faultString
	}
	status := fs.status
	fault.Method = op.QuotedSOAPAction()
	fault.Actor = "http://wsus01:8530/ClientWebService/client.asmx"
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(wusp.MarshalFault(fault))
}

var fakeCookie = wusp.Cookie{Expiration: time.Date(2008, 6, 14, 19, 59, 0, 0, time.UTC), EncryptedData: []byte("session")}

func (f *fakeServer) reply(op wusp.Operation, elem *wusp.Element) wusp.Message {
	switch op {
	case wusp.OpGetConfig:
		return &wusp.GetConfigResponse{Result: wusp.Config{
			LastChange:             time.Date(2008, 6, 10, 7, 12, 44, 0, time.UTC),
			IsRegistrationRequired: true,
			AuthInfo:               []wusp.AuthPlugInInfo{{PlugInID: "SimpleTargeting", ServiceURL: "SimpleAuthWebService/SimpleAuth.asmx"}},
			Properties:             []wusp.ConfigurationProperty{{Name: "MaxExtendedUpdatesPerRequest", Value: "1"}, {Name: "ProtocolVersion", Value: "3.1"}},
		}}
	case wusp.OpGetAuthorizationCookie:
		return &wusp.GetAuthorizationCookieResponse{Result: wusp.AuthorizationCookie{PlugInID: "SimpleTargeting", CookieData: []byte("auth")}}
	case wusp.OpGetCookie:
		return &wusp.GetCookieResponse{Result: fakeCookie}
	case wusp.OpRegisterComputer:
		return &wusp.RegisterComputerResponse{}
	case wusp.OpSyncUpdates:
		return f.sync(elem)
	case wusp.OpRefreshCache:
		return f.refresh(elem)
	case wusp.OpGetExtendedUpdateInfo:
		return f.extended(elem)
	case wusp.OpReportEventBatch:
		return f.report(elem)
	}
	f.t.Errorf("fake server: unexpected %s", op.Name)
	return &wusp.RegisterComputerResponse{}
}

func (f *fakeServer) decode(elem *wusp.Element, msg wusp.Message) {
	if err := wusp.DecodeRequest(elem, msg); err != nil {
		f.t.Errorf("fake server: %v", err)
	}
}

// sync offers every revision whose requirement is installed and that the
// client does not hold yet, as WSUS computes NewUpdates (MS-WUSP §3.1.5.7).
func (f *fakeServer) sync(elem *wusp.Element) wusp.Message {
	var req wusp.SyncUpdatesRequest
	f.decode(elem, &req)
	f.mu.Lock()
	f.syncs = append(f.syncs, req.Parameters)
	f.mu.Unlock()
	installed, cached := map[int]bool{}, map[int]bool{}
	for _, id := range req.Parameters.InstalledNonLeafUpdateIDs {
		installed[id], cached[id] = true, true
	}
	for _, id := range req.Parameters.OtherCachedUpdateIDs {
		cached[id] = true
	}
	var si wusp.SyncInfo
	for _, r := range fakeCatalog {
		if cached[r.id] || r.requires != 0 && !installed[r.requires] {
			continue
		}
		action := "Evaluate"
		if r.leaf {
			action = "Install"
		}
		si.NewUpdates = append(si.NewUpdates, wusp.UpdateInfo{ID: r.id, IsLeaf: r.leaf, Xml: r.core(),
			Deployment: wusp.Deployment{ID: 20000 + r.id, Action: action, IsAssigned: true, LastChangeTime: "2008-06-10"}})
	}
	si.NewCookie = fakeCookie
	if f.truncateForever {
		si.NewUpdates, si.Truncated = nil, true
	}
	return &wusp.SyncUpdatesResponse{Result: si}
}

func (f *fakeServer) refresh(elem *wusp.Element) wusp.Message {
	var req wusp.RefreshCacheRequest
	f.decode(elem, &req)
	var resp wusp.RefreshCacheResponse
	for _, g := range req.GlobalIDs {
		for _, r := range fakeCatalog {
			if r.updateID == g.UpdateID {
				resp.Result = append(resp.Result, wusp.RefreshCacheResult{RevisionID: r.id, GlobalID: g, IsLeaf: r.leaf,
					Deployment: wusp.Deployment{ID: 20000 + r.id, Action: "Evaluate"}})
			}
		}
	}
	return &resp
}

func (f *fakeServer) extended(elem *wusp.Element) wusp.Message {
	var req wusp.GetExtendedUpdateInfoRequest
	f.decode(elem, &req)
	var resp wusp.GetExtendedUpdateInfoResponse
	for _, id := range req.RevisionIDs {
		for _, r := range fakeCatalog {
			if r.id != id {
				continue
			}
			for _, t := range req.InfoTypes {
				switch t {
				case "Extended":
					resp.Result.Updates = append(resp.Result.Updates, wusp.UpdateData{ID: id, Xml: `<ExtendedProperties DefaultPropertiesLanguage="en" />`})
				case "LocalizedProperties":
					resp.Result.Updates = append(resp.Result.Updates, wusp.UpdateData{ID: id,
						Xml: "<LocalizedProperties><Language>en</Language><Title>" + r.title + "</Title></LocalizedProperties>"})
				}
			}
		}
	}
	return &resp
}

func (f *fakeServer) report(elem *wusp.Element) wusp.Message {
	var req wusp.ReportEventBatchRequest
	f.decode(elem, &req)
	f.mu.Lock()
	f.reports = append(f.reports, req.EventBatch...)
	f.mu.Unlock()
	return &wusp.ReportEventBatchResponse{Result: true}
}
