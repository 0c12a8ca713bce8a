package wuaclient_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// xpProfile has Windows XP and no Office: in the fake catalog it reaches the
// Windows XP update and never the Office 2003 part.
const xpProfile = `
name: test-xp
protocol_version: "1.6"
agent_version: 7.1.6001.65
os: {version: 5.1.2600, service_pack: "3.0"}
installed:
  - update_id: 504eb6be-68e3-4a61-b56e-28524787cfcf   # Windows XP detectoid
`

// officeProfile has Office 2003 as well.
const officeProfile = xpProfile + `
  - update_id: a9822eb7-928b-45c2-aebb-d11e6cb9589b   # Office 2003 detectoid
  - update_id: 672b408a-1c66-4757-ba00-921b2a5cc155   # Office 2003
`

func profile(t *testing.T, yaml string) *wuaclient.Profile {
	t.Helper()
	p, err := wuaclient.ParseProfile("test.yaml", strings.NewReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fixedClock ticks one millisecond per reading from the advisory's minute.
func fixedClock() func() time.Time {
	t := time.Date(2008, 6, 13, 19, 59, 53, 383e6, time.UTC)
	return func() time.Time { t = t.Add(time.Millisecond); return t }
}

func newClient(t *testing.T, url, yaml string) *wuaclient.Client {
	return &wuaclient.Client{ServerURL: url, Profile: profile(t, yaml), Now: fixedClock()}
}

func detect(t *testing.T, c *wuaclient.Client) *wuaclient.Result {
	t.Helper()
	res, err := c.Detect(context.Background())
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	return res
}

func action(op string) string {
	ns := wusp.NSClient
	switch op {
	case "GetAuthorizationCookie":
		ns = wusp.NSSimpleAuth
	case "ReportEventBatch":
		ns = wusp.NSReporting
	}
	return `"` + ns + "/" + op + `"`
}

// A clean cycle walks the protocol in the order of docs/protocol-facts.md §1.7, with
// WUA's headers on every request.
func TestDetectSucceeds(t *testing.T) {
	fake, srv := newFake(t)
	res := detect(t, newClient(t, srv.URL, xpProfile))

	want := []string{
		"GetConfig", "GetAuthorizationCookie", "GetCookie", "RegisterComputer",
		"SyncUpdates", // offers the two root detectoids
		"SyncUpdates", // Windows XP detectoid installed: offers the XP update
		"SyncUpdates", // nothing new
		"GetExtendedUpdateInfo",
		"ReportEventBatch",
	}
	var wantActions []string
	for _, op := range want {
		wantActions = append(wantActions, action(op))
	}
	if got := fake.Actions(); !slices.Equal(got, wantActions) {
		t.Errorf("SOAPActions:\n got %q\nwant %q", got, wantActions)
	}
	for i, h := range fake.headers {
		for k, v := range map[string]string{
			"Content-Type": "text/xml; charset=utf-8",
			"User-Agent":   "Windows-Update-Agent",
			"Connection":   "Keep-Alive",
		} {
			if h.Get(k) != v {
				t.Errorf("request %d (%s): %s = %q, want %q", i, fake.actions[i], k, h.Get(k), v)
			}
		}
	}
	if fake.paths[0] != "HEAD /selfupdate/wuident.cab" ||
		fake.paths[2] != "/SimpleAuthWebService/SimpleAuth.asmx" || fake.paths[1] != "/ClientWebService/client.asmx" ||
		fake.paths[len(fake.paths)-1] != "/ReportingWebService/ReportingWebService.asmx" {
		t.Errorf("paths = %q", fake.paths)
	}

	if !res.Succeeded || res.HResult != 0 || res.RoundTrips != 3 {
		t.Errorf("Succeeded=%v HResult=%s RoundTrips=%d, want true 0x00000000 3", res.Succeeded, res.HResult, res.RoundTrips)
	}
	wantNeeded := []wuaclient.Update{{RevisionID: 8901, UpdateID: xpUpdate, RevisionNumber: 100, Title: "Security Update for Windows XP (KB950749)"}}
	if !slices.Equal(res.Needed, wantNeeded) {
		t.Errorf("Needed = %+v, want %+v", res.Needed, wantNeeded)
	}
	if !slices.Equal(res.Offered, []int{8010, 8011, 8901}) {
		t.Errorf("Offered = %v", res.Offered)
	}
	// The second round reports the installed detectoid as installed and
	// the other as merely cached.
	if p := fake.syncs[1]; !slices.Equal(p.InstalledNonLeafUpdateIDs, []int{8010}) || !slices.Equal(p.OtherCachedUpdateIDs, []int{8011}) {
		t.Errorf("second SyncUpdates: installed %v, other %v", p.InstalledNonLeafUpdateIDs, p.OtherCachedUpdateIDs)
	}
	if len(fake.reports) != 1 || fake.reports[0].EventID != 147 || fake.reports[0].SourceID != 101 ||
		fake.reports[0].NamespaceID != 1 || fake.reports[0].Win32HResult != 0 || !res.Reported {
		t.Errorf("reported %+v", fake.reports)
	}
	if r := res.Summary(); r != "result: succeeded needed=1 round_trips=3" {
		t.Errorf("Summary = %q", r)
	}
	assertLogHas(t, res.Log,
		"+++++++++++  PT: Synchronizing server updates  +++++++++++",
		"  + ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = "+srv.URL+"/ClientWebService/client.asmx",
		"+++++++++++  PT: Synchronizing extended update info  +++++++++++",
		"  * Found 1 updates and 0 categories in search; evaluated appl. rules of 3 out of 3 deployed entities",
		"**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]",
	)
}

// With Office 2003 installed the client goes one level deeper and needs
// both updates; GetExtendedUpdateInfo asks for at most
// MaxExtendedUpdatesPerRequest (1 on the fake) revisions per call.
func TestDetectBatchesExtendedUpdateInfo(t *testing.T) {
	fake, srv := newFake(t)
	res := detect(t, newClient(t, srv.URL, officeProfile))
	if !res.Succeeded || len(res.Needed) != 2 || res.RoundTrips != 4 {
		t.Fatalf("Succeeded=%v Needed=%v RoundTrips=%d", res.Succeeded, res.Needed, res.RoundTrips)
	}
	ops := fake.Ops()
	if got := ops[len(ops)-3:]; !slices.Equal(got, []string{"GetExtendedUpdateInfo", "GetExtendedUpdateInfo", "ReportEventBatch"}) {
		t.Errorf("last calls = %v", got)
	}
}

// A profile that names detectoids by title makes the client learn the
// titles of the non-leaf revisions it is offered, with
// GetExtendedUpdateInfo, before it evaluates them.
func TestDetectEvaluatesByTitle(t *testing.T) {
	fake, srv := newFake(t)
	res := detect(t, newClient(t, srv.URL, `
name: by-title
protocol_version: "1.0"
agent_version: 7.0.6000.374
os: {version: 5.1.2600}
installed:
  - title: windows xp DETECTOID
`))
	if !res.Succeeded || len(res.Needed) != 1 || res.Needed[0].RevisionID != 8901 {
		t.Fatalf("Succeeded=%v Needed=%v", res.Succeeded, res.Needed)
	}
	want := []string{"GetConfig", "GetAuthorizationCookie", "GetCookie", "RegisterComputer",
		"SyncUpdates", "GetExtendedUpdateInfo", "GetExtendedUpdateInfo", // titles of 8010 and 8011
		"SyncUpdates", "SyncUpdates", "GetExtendedUpdateInfo", "ReportEventBatch"}
	if got := fake.Ops(); !slices.Equal(got, want) {
		t.Errorf("calls:\n got %v\nwant %v", got, want)
	}
}

const advisoryFaultID = "c0a7445f-b989-43fa-ac20-11f8ca65fa8c"

// Advisory 954960: the Office 2003 client's SyncUpdates is answered with
// InternalServerError. The HRESULT and the log are the same whatever status
// carried the fault: WUA 7.x logs "HTTP status code = 200" for every SOAP
// fault (the advisory's line; ASP.NET sent the fault with 500), while the
// Result keeps the status that came.
func TestDetect954960Fault(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			fake, srv := newFake(t, faultSpec{op: "SyncUpdates", call: 2, code: wusp.InternalServerError, status: status, id: advisoryFaultID})
			res := detect(t, newClient(t, srv.URL, officeProfile))

			if res.Succeeded || res.HResult != 0x8024400E || res.Operation != "SyncUpdates" || res.HTTPStatus != status || res.RoundTrips != 2 {
				t.Errorf("Succeeded=%v HResult=%s Operation=%s HTTPStatus=%d RoundTrips=%d", res.Succeeded, res.HResult, res.Operation, res.HTTPStatus, res.RoundTrips)
			}
			if res.Fault == nil || res.Fault.Code != wusp.InternalServerError || res.Fault.ID != advisoryFaultID {
				t.Errorf("Fault = %+v", res.Fault)
			}
			want := "result: failed hresult=0x8024400E fault=InternalServerError id=" + advisoryFaultID +
				" operation=SyncUpdates http_status=" + itoa(status) + " round_trips=2"
			if res.Summary() != want {
				t.Errorf("Summary:\n got %s\nwant %s", res.Summary(), want)
			}
			assertLogHas(t, res.Log,
				"WARNING: SyncUpdates failure, error = 0x8024400E, soap client error = 7, soap error code = 400, HTTP status code = 200",
				"WARNING: SOAP Fault: 0x000190",
			)
			// The cycle still reports its failure: event 148 with the HRESULT.
			if len(fake.reports) != 1 {
				t.Fatalf("reported %d events", len(fake.reports))
			}
			ev := fake.reports[0]
			if ev.EventID != 148 || ev.Win32HResult != -2145107954 || !slices.Equal(ev.ReplacementStrings, []string{"0x8024400e"}) {
				t.Errorf("event = %+v", ev)
			}
			if ops := fake.Ops(); ops[len(ops)-1] != "ReportEventBatch" || slices.Contains(ops, "GetExtendedUpdateInfo") {
				t.Errorf("calls = %v", ops)
			}
		})
	}
}

// A soap:Client fault is WU_E_PT_SOAP_CLIENT, SOAP_E_CLIENT (300 = 0x12c).
func TestDetectSOAPClientFault(t *testing.T) {
	_, srv := newFake(t, faultSpec{op: "SyncUpdates", call: 1, code: wusp.InvalidParameters})
	res := detect(t, newClient(t, srv.URL, xpProfile))
	if res.HResult != 0x8024400D || res.Fault.FaultCode() != "Client" {
		t.Errorf("HResult = %s, faultcode %s", res.HResult, res.Fault.FaultCode())
	}
	assertLogHas(t, res.Log,
		"WARNING: SyncUpdates failure, error = 0x8024400D, soap client error = 7, soap error code = 300, HTTP status code = 200",
		"WARNING: SOAP Fault: 0x00012c",
		"WARNING:     ErrorCode:InvalidParameters(7)",
		"WARNING: PTError: 0x8024400d",
	)
}

// Recovery per MS-WUSP §2.2.2.4 (docs/protocol-facts.md §1.7): the second SyncUpdates
// is answered with each ErrorCode in turn. Recoverable codes lead to the
// calls listed and a successful cycle; the others end the cycle, which
// still reports its failure.
func TestDetectRecoversPerErrorCode(t *testing.T) {
	restart := []string{"GetConfig", "GetAuthorizationCookie", "GetCookie", "RefreshCache"}
	finish := []string{"SyncUpdates", "SyncUpdates", "GetExtendedUpdateInfo", "ReportEventBatch"}
	tests := []struct {
		code      wusp.ErrorCode
		then      []string // the calls after the faulted SyncUpdates
		succeeded bool
		hresult   wuaclient.HRESULT
	}{
		{wusp.InvalidCookie, append(restart, finish...), true, 0},
		{wusp.ConfigChanged, append([]string{"GetConfig", "GetAuthorizationCookie", "GetCookie"}, finish...), true, 0},
		{wusp.RegistrationRequired, append([]string{"RegisterComputer"}, finish...), true, 0},
		{wusp.ServerChanged, append(restart, finish...), true, 0},
		{wusp.InternalServerError, []string{"ReportEventBatch"}, false, 0x8024400E},
		{wusp.CookieExpired, append([]string{"GetAuthorizationCookie", "GetCookie"}, finish...), true, 0},
		{wusp.InvalidParameters, []string{"ReportEventBatch"}, false, 0x8024400D},
		{wusp.InvalidAuthorizationCookie, []string{"ReportEventBatch"}, false, 0x8024400D},
		{wusp.RegistrationNotRequired, []string{"ReportEventBatch"}, false, 0x8024400D},
		{wusp.ServerBusy, []string{"ReportEventBatch"}, false, 0x8024400E},
		{wusp.FileLocationChanged, []string{"ReportEventBatch"}, false, 0x8024400D},
	}
	if len(tests) != len(wusp.ErrorCodes()) {
		t.Fatalf("table covers %d codes, MS-WUSP has %d", len(tests), len(wusp.ErrorCodes()))
	}
	for _, tc := range tests {
		t.Run(string(tc.code), func(t *testing.T) {
			fake, srv := newFake(t, faultSpec{op: "SyncUpdates", call: 2, code: tc.code})
			res := detect(t, newClient(t, srv.URL, xpProfile))
			ops := fake.Ops()
			// GetConfig, GetAuthorizationCookie, GetCookie, RegisterComputer,
			// SyncUpdates, SyncUpdates (the fault), then:
			if got := ops[6:]; !slices.Equal(got, tc.then) {
				t.Errorf("after the fault:\n got %v\nwant %v", got, tc.then)
			}
			if res.Succeeded != tc.succeeded || res.HResult != tc.hresult {
				t.Errorf("Succeeded=%v HResult=%s, want %v %s", res.Succeeded, res.HResult, tc.succeeded, tc.hresult)
			}
			assertLogHas(t, res.Log, "WARNING:     ErrorCode:"+string(tc.code)+"("+itoa(tc.code.Number())+")")
		})
	}
}

// A server that answers every SyncUpdates with CookieExpired does not keep
// the client forever: after MaxRecoveries new cookies the cycle fails.
func TestDetectBoundsRecoveries(t *testing.T) {
	fake, srv := newFake(t)
	fake.faultAllOp, fake.faultAllCode = "SyncUpdates", wusp.CookieExpired
	res := detect(t, newClient(t, srv.URL, xpProfile))
	if res.Succeeded || res.HResult != 0x8024400D || res.RoundTrips != wuaclient.MaxRecoveries+1 {
		t.Errorf("Succeeded=%v HResult=%s RoundTrips=%d", res.Succeeded, res.HResult, res.RoundTrips)
	}
}

// WUA gives up after 200 SyncUpdates round trips with 0x80244010 (docs/protocol-facts.md
// §1.7, the WSUS support team's 2008 post).
func TestDetectRoundTripLimit(t *testing.T) {
	fake, srv := newFake(t)
	fake.truncateForever = true
	res := detect(t, newClient(t, srv.URL, xpProfile))
	if res.Succeeded || res.HResult != 0x80244010 || res.RoundTrips != 200 {
		t.Errorf("Succeeded=%v HResult=%s RoundTrips=%d", res.Succeeded, res.HResult, res.RoundTrips)
	}
	assertLogHas(t, res.Log, "WARNING: Exceeded max server round trips: 0x80244010", "WARNING: PTError: 0x80244010")
}

// Failures below SOAP map to WU_E_PT_* codes (docs/protocol-facts.md §3.1).
func TestDetectTransportErrors(t *testing.T) {
	t.Run("HTTP 503 without a SOAP body", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead { // the self-update check passes
				return
			}
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		res := detect(t, newClient(t, srv.URL, xpProfile))
		if res.HResult != 0x80244022 || res.Operation != "GetConfig" || res.HTTPStatus != 503 { // WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL
			t.Errorf("HResult=%s Operation=%s HTTPStatus=%d", res.HResult, res.Operation, res.HTTPStatus)
		}
		// An HTTP error without a SOAP fault is logged with its real status.
		assertLogHas(t, res.Log, "WARNING: GetConfig failure, error = 0x80244022, soap client error = 10, soap error code = 0, HTTP status code = 503")
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		res := detect(t, newClient(t, url, xpProfile))
		if res.HResult != wuaclient.SOAPClientConnect || res.Reported {
			t.Errorf("HResult=%s Reported=%v", res.HResult, res.Reported)
		}
	})
	t.Run("request timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		c := newClient(t, srv.URL, xpProfile)
		c.RequestTimeout = 50 * time.Millisecond
		res := detect(t, c)
		if res.HResult != wuaclient.SOAPClientSend {
			t.Errorf("HResult=%s, want %s", res.HResult, wuaclient.SOAPClientSend)
		}
	})
}

// Cancelling the context stops the cycle at once; it is not reported as a
// failed detection.
func TestDetectCancelled(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	start := time.Now()
	res, err := newClient(t, srv.URL, xpProfile).Detect(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second || res.Succeeded || len(res.Events) != 0 {
		t.Errorf("took %v, Succeeded=%v, events %d", time.Since(start), res.Succeeded, len(res.Events))
	}
}

// The advisory's client log (advisory-954960-nl.md), as the Dutch edition
// prints it. A simulated Office 2003 client against a failing server must
// write these lines, consecutively and in this order, timestamps, PID/TID,
// server name and fault ID aside.
var advisoryLines = []string{
	"2008-06-13    19:59:53:383  788   ee4    PT     +++++++++++  PT: Serverupdates worden gesynchroniseerd +++++++++++",
	"2008-06-13    19:59:53:383  788   ee4    PT       + ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = http://<WSUS Server>/ClientWebService/client.asmx",
	"2008-06-13    19:59:56:617  788   ee4    PT     WARNING: SyncUpdates failure, error = 0x8024400E, soap client error = 7, soap error code = 400, HTTP status code = 200",
	"2008-06-13    19:59:56:617  788   ee4    PT     WARNING: SOAP-fout: 0x000190",
	"2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     faultstring:Er is een fout opgetreden",
	"2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     ErrorCode:InternalServerError(5)",
	"2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     Bericht:(null)",
	"2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     De methode:\"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates\"",
	"2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     ID:c0a7445f-b989-43fa-ac20-11f8ca65fa8c",
}

// The lines after the fault dump, in the order of docs/protocol-facts.md (§3.3), in
// WUA 7.1's wording (the Office profile's agent is 7.1.6001.65), then
// Automatic Updates closing its search.
var failureTail = []string{
	"PT WARNING: PTError: 0x8024400e",
	"PT WARNING: SyncUpdates_WithRecovery failed : 0x8024400e",
	"PT WARNING: Sync of Updates: 0x8024400e",
	"PT WARNING: SyncServerUpdatesInternal failed: 0x8024400e",
	"Agent * WARNING: Failed to synchronize, error = 0x8024400E",
	"Agent * WARNING: Exit code = 0x8024400E",
	"Agent *********",
	"Agent ** END ** Agent: Finding updates [CallerId = AutomaticUpdates]",
	"Agent *************",
	"Agent WARNING: WU client failed Searching for update with error 0x8024400e",
	"AU >>## RESUMED ## AU: Search for updates [CallId = <call>]",
	"AU # WARNING: Search callback failed, result = 0x8024400E",
	"AU # WARNING: Failed to find updates with error code 8024400E",
	"AU #########",
	"AU ## END ## AU: Search for updates [CallId = <call>]",
	"AU #############",
}

// The advisory's PT block comes out line for line whether the server sends
// the fault with 200 (the default) or 500 (serve --fault-status 500): WUA
// logs "HTTP status code = 200" for a SOAP fault either way.
func TestDetectLogMatchesAdvisory(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			_, srv := newFake(t, faultSpec{op: "SyncUpdates", call: 2, code: wusp.InternalServerError, status: status,
				id: "0badc0de-0000-4000-8000-000000000000", faultString: "Er is een fout opgetreden"})
			var file bytes.Buffer
			c := newClient(t, srv.URL, officeProfile)
			c.Lang = wsuslog.LangDutch
			c.Log = wsuslog.NewClientLogWriter(&file)
			res := detect(t, c)

			// What the client wrote to the file is what Result.Log holds.
			// Agent, Setup and PT share the advisory's thread; AU and the
			// reporter have threads of their own, as in real logs.
			var got []string
			callID := ""
			for _, line := range strings.Split(strings.TrimSuffix(file.String(), "\r\n"), "\r\n") {
				e, ok := wsuslog.ParseClientLine(line)
				if !ok {
					t.Fatalf("unparsable log line %q", line)
				}
				wantTID := map[string]uint32{"AU": wuaclient.DefaultAUTID, "Report": wuaclient.DefaultReportTID}[e.Component]
				if wantTID == 0 {
					wantTID = 0xee4
				}
				if e.PID != 788 || e.TID != wantTID {
					t.Errorf("PID/TID %d/%x in %q, want 788/%x", e.PID, e.TID, line, wantTID)
				}
				if i := strings.Index(e.Text, "[CallId = "); i >= 0 && callID == "" {
					callID = strings.TrimSuffix(e.Text[i+len("[CallId = "):], "]")
				}
				got = append(got, strings.ReplaceAll(normalize(e, srv.URL, res.Fault.ID), callID, "<call>"))
			}
			if len(got) != len(res.Log) {
				t.Errorf("file has %d lines, Result.Log %d", len(got), len(res.Log))
			}
			var want []string
			for _, line := range advisoryLines {
				e, ok := wsuslog.ParseClientLine(line)
				if !ok {
					t.Fatalf("unparsable advisory line %q", line)
				}
				want = append(want, normalize(e, "http://<WSUS Server>", "c0a7445f-b989-43fa-ac20-11f8ca65fa8c"))
			}
			want = append(want, failureTail...)
			i := slices.Index(got, want[0])
			if i < 0 || i+len(want) > len(got) || !slices.Equal(got[i:i+len(want)], want) {
				t.Errorf("log does not hold the advisory's lines in order.\n got:\n  %s\nwant (consecutive):\n  %s",
					strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			// The self-update check comes between the agent's banner and
			// the protocol talker's (a 2008 WUA 7.1.6001.65 log).
			check := slices.Index(got, "Setup Checking for agent SelfUpdate")
			if check < 0 || check > i || got[check+1] != "Setup Client version: Core: 7.1.6001.65 Aux: 7.1.6001.65" ||
				got[check+2] != "Setup SelfUpdate check completed. SelfUpdate is NOT required." || check+3 != i {
				t.Errorf("no self-update check right before the PT banner:\n  %s", strings.Join(got, "\n  "))
			}
		})
	}
}

// normalize reduces a log entry to what the advisory comparison looks at:
// component and text, runs of blanks collapsed (copies on web pages
// collapse tabs and padding), server URL and fault ID replaced.
func normalize(e wsuslog.Entry, serverURL, id string) string {
	text := strings.NewReplacer(serverURL, "<server>", id, "<id>").Replace(e.Text)
	return strings.Join(strings.Fields(e.Component+" "+text), " ")
}

func assertLogHas(t *testing.T, log []wsuslog.Entry, texts ...string) {
	t.Helper()
	i := 0
	for _, e := range log {
		if i < len(texts) && e.Text == texts[i] {
			i++
		}
	}
	if i < len(texts) {
		var all []string
		for _, e := range log {
			all = append(all, e.Component+"\t"+e.Text)
		}
		t.Errorf("log lacks (in order) %q; log:\n%s", texts[i], strings.Join(all, "\n"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A server without the self-update directory stops the scan before any
// SOAP call, as a WSUS 3.0 SP1 client logged it in March 2008 (J. Jameson,
// "WSUS Clients Failing with Error 0x80244019 After Installing WSUS SP1"):
// the file transport's 0x80190194, the agent's 0x80244019, "Skipping scan".
func TestDetectSelfUpdateNotFoundSkipsScan(t *testing.T) {
	fake, srv := newFake(t)
	fake.selfUpdateStatus = http.StatusNotFound
	res := detect(t, newClient(t, srv.URL, officeProfile))

	if res.Succeeded || res.HResult != 0x80244019 || res.Operation != "SelfUpdate" || res.HTTPStatus != 404 || res.RoundTrips != 0 {
		t.Errorf("%s", res.Summary())
	}
	var se *wuaclient.SelfUpdateError
	if !errors.As(res.Err, &se) || se.URL != srv.URL+"/selfupdate/wuident.cab" {
		t.Errorf("Err = %v", res.Err)
	}
	if ops := fake.Ops(); len(ops) != 0 {
		t.Errorf("SOAP calls after a failed self-update check: %v", ops)
	}
	url := srv.URL + "/selfupdate/wuident.cab"
	assertLogHas(t, res.Log,
		"Checking for agent SelfUpdate",
		"WARNING: WinHttp: SendRequestToServerForFileInformation failed with 0x80190194",
		"WARNING: WinHttp: ShouldFileBeDownloaded failed with 0x80190194",
		"WARNING: DownloadFileInternal failed for "+url+": error 0x80190194",
		"FATAL: IsUpdateRequired failed with error 0x80244019",
		"WARNING: SelfUpdate: Default Service: IsUpdateRequired failed: 0x80244019",
		"WARNING: SelfUpdate: Default Service: IsUpdateRequired failed, error = 0x80244019",
		"  * WARNING: Skipping scan, self-update check returned 0x80244019",
		"  * WARNING: Exit code = 0x80244019",
		"**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]",
		"WARNING: WU client failed Searching for update with error 0x80244019",
		"  # WARNING: Search callback failed, result = 0x80244019",
	)
	for _, e := range res.Log {
		if e.Component == "PT" {
			t.Errorf("PT line after a skipped scan: %q", e.Text)
		}
	}
	// No cookie, so the failure event is logged but cannot be uploaded.
	if len(res.Events) != 1 || res.Events[0].EventID != 148 || res.Reported {
		t.Errorf("events %+v, reported %v", res.Events, res.Reported)
	}
}

// WUA 7.6 words the recovery line "failed.: 0x…" where 7.0 and 7.1 write
// "failed : 0x…"; the profile's agent version picks the wording.
func TestDetectRecoveryWordingFollowsAgentVersion(t *testing.T) {
	for version, want := range map[string]string{
		"7.0.6000.374": "WARNING: SyncUpdates_WithRecovery failed : 0x8024400e",
		"7.1.6001.65":  "WARNING: SyncUpdates_WithRecovery failed : 0x8024400e",
		"7.6.7600.256": "WARNING: SyncUpdates_WithRecovery failed.: 0x8024400e",
	} {
		t.Run(version, func(t *testing.T) {
			_, srv := newFake(t, faultSpec{op: "SyncUpdates", call: 2, code: wusp.InternalServerError})
			yaml := strings.Replace(officeProfile, "agent_version: 7.1.6001.65", "agent_version: "+version, 1)
			res := detect(t, newClient(t, srv.URL, yaml))
			assertLogHas(t, res.Log, "Client version: Core: "+version+"  Aux: "+version, "WARNING: PTError: 0x8024400e", want)
		})
	}
}

// A successful search closes Automatic Updates' block with the count.
func TestDetectClosesAUBlock(t *testing.T) {
	_, srv := newFake(t)
	res := detect(t, newClient(t, srv.URL, xpProfile))
	n := len(res.Needed)
	assertLogHas(t, res.Log,
		"## START ##  AU: Search for updates",
		"**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]",
		"  # "+itoa(n)+" updates detected",
		"#########",
		"#############",
	)
	last := res.Log[len(res.Log)-1]
	if last.Component != "Report" {
		t.Errorf("last line %s %q, want the reporter's", last.Component, last.Text)
	}
}

// The requests have the shape ATL Server's SOAP client gives them
// (atlsoap.h: CResponseGenerator::StartEnvelope, GenerateArrayInfo,
// GenerateNull), which is what WUA 7.x sent.
func TestRequestsHaveATLShape(t *testing.T) {
	fake, srv := newFake(t)
	detect(t, newClient(t, srv.URL, xpProfile))
	body := func(op string) string {
		for i, a := range fake.Ops() {
			if a == op {
				return fake.bodies[i]
			}
		}
		t.Fatalf("no %s request", op)
		return ""
	}
	for i, b := range fake.bodies {
		if !strings.HasPrefix(b, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">`) {
			t.Errorf("request %d (%s) does not open as ATL does: %.200s", i, fake.Ops()[i], b)
		}
	}
	getCookie := body("GetCookie")
	for _, want := range []string{
		`<authCookies xmlns:q1="http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService" soapenc:arrayType="q1:AuthorizationCookie[1]"><AuthorizationCookie>`,
		`<oldCookie><Expiration>0001-01-01T00:00:00Z</Expiration><EncryptedData xsi:nil="1"/></oldCookie>`,
	} {
		if !strings.Contains(getCookie, want) {
			t.Errorf("GetCookie lacks %s:\n%s", want, getCookie)
		}
	}
	if !regexp.MustCompile(`<currentTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</currentTime>`).MatchString(getCookie) {
		t.Errorf("currentTime not to the second:\n%s", getCookie)
	}
	// The first SyncUpdates has nothing cached: NULL arrays.
	firstSync := body("SyncUpdates")
	for _, want := range []string{`<InstalledNonLeafUpdateIDs xsi:nil="1"/>`, `<OtherCachedUpdateIDs xsi:nil="1"/>`, `<CachedDriverIDs xsi:nil="1"/>`} {
		if !strings.Contains(firstSync, want) {
			t.Errorf("first SyncUpdates lacks %s:\n%s", want, firstSync)
		}
	}
	if !regexp.MustCompile(`<OtherCachedUpdateIDs soapenc:arrayType="xsd:int\[\d+\]"><int>`).MatchString(strings.Join(fake.bodies, "")) {
		t.Errorf("no later SyncUpdates with an int array")
	}
	report := body("ReportEventBatch")
	for _, want := range []string{
		`<eventBatch xmlns:q1="http://www.microsoft.com/SoftwareDistribution" soapenc:arrayType="q1:ReportingEvent[1]">`,
		`<ReplacementStrings soapenc:arrayType="xsd:string[1]"><string>`,
		`<MiscData xsi:nil="1"/>`,
		`<ProcessorArchitecture>X86Compatible</ProcessorArchitecture><OSVersion><Major>5</Major><Minor>1</Minor><Build>2600</Build><Revision>0</Revision><ServicePackMajor>3</ServicePackMajor><ServicePackMinor>0</ServicePackMinor></OSVersion><OSLocaleID>1033</OSLocaleID>`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("ReportEventBatch lacks %s:\n%s", want, report)
		}
	}
	if m := regexp.MustCompile(`<EventInstanceID>([^<]*)</EventInstanceID>`).FindStringSubmatch(report); m == nil || m[1] != strings.ToUpper(m[1]) {
		t.Errorf("EventInstanceID not in upper case: %v", m)
	}
}
