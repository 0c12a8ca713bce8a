package wsuslog_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// The advisory's client: svchost PID 788, thread 0xee4, local time.
const (
	clientPID = 788
	clientTID = 0xee4
)

var (
	syncStart = time.Date(2008, 6, 13, 19, 59, 53, 383*int(time.Millisecond), time.UTC)
	syncFault = time.Date(2008, 6, 13, 19, 59, 56, 617*int(time.Millisecond), time.UTC)
)

// The Dutch advisory's WindowsUpdate.log excerpt, verbatim.
var advisoryClientLines = []string{
	`2008-06-13    19:59:53:383  788   ee4    PT     +++++++++++  PT: Serverupdates worden gesynchroniseerd +++++++++++`,
	`2008-06-13    19:59:53:383  788   ee4    PT       + ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = http://<WSUS Server>/ClientWebService/client.asmx`,
	`2008-06-13    19:59:56:617  788   ee4    PT     WARNING: SyncUpdates failure, error = 0x8024400E, soap client error = 7, soap error code = 400, HTTP status code = 200`,
	`2008-06-13    19:59:56:617  788   ee4    PT     WARNING: SOAP-fout: 0x000190`,
	`2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     faultstring:Er is een fout opgetreden`,
	`2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     ErrorCode:InternalServerError(5)`,
	`2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     Bericht:(null)`,
	`2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     De methode:"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`,
	`2008-06-13    19:59:56:617  788   ee4    PT     WARNING:     ID:c0a7445f-b989-43fa-ac20-11f8ca65fa8c`,
}

// advisoryFault is the fault the advisory's client received, with the
// faultstring in the server's language.
func advisoryFault(faultString string) wsuslog.SyncFault {
	return wsuslog.SyncFault{
		HResult:         0x8024400E,
		SOAPClientError: 7,
		SOAPErrorCode:   400,
		HTTPStatus:      200,
		FaultString:     faultString,
		ErrorCode:       "InternalServerError",
		ErrorNumber:     5,
		Method:          `"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`,
		ID:              "c0a7445f-b989-43fa-ac20-11f8ca65fa8c",
	}
}

// scanEntries renders what the advisory's client logged.
func scanEntries(text wsuslog.ClientText, faultString string) []wsuslog.Entry {
	var entries []wsuslog.Entry
	for _, m := range []wsuslog.Message{
		text.SyncServerUpdates(),
		text.ServerURL("http://<WSUS Server>/ClientWebService/client.asmx"),
	} {
		entries = append(entries, m.At(syncStart, clientPID, clientTID))
	}
	for _, m := range text.SyncUpdatesFault(advisoryFault(faultString)) {
		entries = append(entries, m.At(syncFault, clientPID, clientTID))
	}
	return entries
}

func TestClientTextDutchMatchesAdvisory(t *testing.T) {
	entries := scanEntries(wsuslog.ClientText{Lang: wsuslog.LangDutch}, "Er is een fout opgetreden")
	if len(entries) != len(advisoryClientLines) {
		t.Fatalf("got %d lines, want %d", len(entries), len(advisoryClientLines))
	}
	for i, want := range advisoryClientLines {
		got := entries[i].Format()
		if normalize(got) != normalize(want) {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, normalize(got), normalize(want))
		}
		// The columns' padding is the copy's, but the text itself,
		// indentation included, must be the advisory's.
		if !strings.HasSuffix(want, "  "+entries[i].Text) {
			t.Errorf("line %d: text %q is not verbatim the advisory's %q", i+1, entries[i].Text, want)
		}
	}
}

func TestClientTextEnglish(t *testing.T) {
	text := wsuslog.ClientText{Lang: wsuslog.LangEnglish}
	var buf bytes.Buffer
	w := wsuslog.NewClientLogWriter(&buf)
	if err := w.Log(scanEntries(text, "Fault occurred")...); err != nil {
		t.Fatal(err)
	}
	var rest []wsuslog.Entry
	for _, m := range text.SyncFailed(0x8024400E) {
		rest = append(rest, m.At(syncFault, clientPID, clientTID))
	}
	for _, m := range text.AgentSearchEnd("AutomaticUpdates") {
		rest = append(rest, m.At(syncFault, clientPID, clientTID))
	}
	rest = append(rest, text.SearchFailed(0x8024400E).At(syncFault, clientPID, clientTID))
	if err := w.Log(rest...); err != nil {
		t.Fatal(err)
	}

	want := strings.Join([]string{
		"2008-06-13\t19:59:53:383\t788\tee4\tPT\t+++++++++++  PT: Synchronizing server updates  +++++++++++",
		"2008-06-13\t19:59:53:383\t788\tee4\tPT\t  + ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = http://<WSUS Server>/ClientWebService/client.asmx",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: SyncUpdates failure, error = 0x8024400E, soap client error = 7, soap error code = 400, HTTP status code = 200",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: SOAP Fault: 0x000190",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     faultstring:Fault occurred",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     ErrorCode:InternalServerError(5)",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     Message:(null)",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     Method:\"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates\"",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     ID:c0a7445f-b989-43fa-ac20-11f8ca65fa8c",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: PTError: 0x8024400e",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: SyncUpdates_WithRecovery failed.: 0x8024400e",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: Sync of Updates: 0x8024400e",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: SyncServerUpdatesInternal failed: 0x8024400e",
		"2008-06-13\t19:59:56:617\t788\tee4\tAgent\t  * WARNING: Failed to synchronize, error = 0x8024400E",
		"2008-06-13\t19:59:56:617\t788\tee4\tAgent\t  * WARNING: Exit code = 0x8024400E",
		"2008-06-13\t19:59:56:617\t788\tee4\tAgent\t*********",
		"2008-06-13\t19:59:56:617\t788\tee4\tAgent\t**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]",
		"2008-06-13\t19:59:56:617\t788\tee4\tAgent\t*************",
		"2008-06-13\t19:59:56:617\t788\tee4\tAgent\tWARNING: WU client failed Searching for update with error 0x8024400e",
	}, "\r\n") + "\r\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSyncUpdatesFaultDetails(t *testing.T) {
	tests := []struct {
		name  string
		fault wsuslog.SyncFault
		want  []string // the detail lines Message, Method
	}{
		{
			name:  "method without quotes gets them",
			fault: wsuslog.SyncFault{Method: "http://x/GetCookie"},
			want:  []string{"WARNING:     Message:(null)", `WARNING:     Method:"http://x/GetCookie"`},
		},
		{
			name:  "message printed as given",
			fault: wsuslog.SyncFault{Message: "parameters.InstalledNonLeafUpdateIDs", Method: `"m"`},
			want:  []string{"WARNING:     Message:parameters.InstalledNonLeafUpdateIDs", `WARNING:     Method:"m"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := wsuslog.ClientText{Lang: wsuslog.LangEnglish}.SyncUpdatesFault(tt.fault)
			if got := []string{lines[4].Text, lines[5].Text}; got[0] != tt.want[0] || got[1] != tt.want[1] {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseClientLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want wsuslog.Entry
		ok   bool
	}{
		{
			name: "tab separated, indentation kept",
			line: "2008-06-13\t19:59:53:383\t788\tee4\tPT\t  + ServiceId = x\r",
			want: wsuslog.Entry{Time: syncStart, PID: 788, TID: 0xee4, Component: "PT", Text: "  + ServiceId = x"},
			ok:   true,
		},
		{
			name: "advisory copy, padded with spaces",
			line: advisoryClientLines[4],
			want: wsuslog.Entry{Time: syncFault, PID: 788, TID: 0xee4, Component: "PT", Text: "WARNING:     faultstring:Er is een fout opgetreden"},
			ok:   true,
		},
		{
			name: "period before milliseconds",
			line: "2008-06-13 19:59:56.617 788 ee4 Agent * WARNING: Exit code = 0x8024400E",
			want: wsuslog.Entry{Time: syncFault, PID: 788, TID: 0xee4, Component: "Agent", Text: "* WARNING: Exit code = 0x8024400E"},
			ok:   true,
		},
		{
			name: "WUA 5.x, no milliseconds",
			line: "2005-05-27\t18:30:03\t992\t810\tMisc\t= Logging initialized",
			want: wsuslog.Entry{Time: time.Date(2005, 5, 27, 18, 30, 3, 0, time.UTC), PID: 992, TID: 0x810, Component: "Misc", Text: "= Logging initialized"},
			ok:   true,
		},
		{name: "server line", line: advisoryServerLines[0]},
		{name: "TID not hex", line: "2008-06-13\t19:59:56:617\t788\txyz\tPT\tx"},
		{name: "no component", line: "2008-06-13\t19:59:56:617\t788\tee4"},
		{name: "blank", line: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := wsuslog.ParseClientLine(tt.line)
			if ok != tt.ok || ok && (!got.Time.Equal(tt.want.Time) || got.PID != tt.want.PID || got.TID != tt.want.TID || got.Component != tt.want.Component || got.Text != tt.want.Text) {
				t.Errorf("ParseClientLine(%q) =\n %+v, %v\nwant\n %+v, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestClientEntryRoundTrip(t *testing.T) {
	for _, lang := range []wsuslog.Lang{wsuslog.LangEnglish, wsuslog.LangDutch} {
		for _, e := range scanEntries(wsuslog.ClientText{Lang: lang}, "Fault occurred") {
			got, ok := wsuslog.ParseClientLine(e.Format())
			if !ok || got != e {
				t.Errorf("ParseClientLine(%q) = %+v, %v; want %+v", e.Format(), got, ok, e)
			}
		}
	}
}

// TestClientLogWriterKeepsBlocksTogether logs fault blocks from several
// goroutines and checks that each block stays contiguous.
func TestClientLogWriterKeepsBlocksTogether(t *testing.T) {
	var buf bytes.Buffer
	w := wsuslog.NewClientLogWriter(&buf)
	w.LineEnding = "\n"
	text := wsuslog.ClientText{Lang: wsuslog.LangEnglish}
	var wg sync.WaitGroup
	for tid := range uint32(8) {
		wg.Go(func() {
			var block []wsuslog.Entry
			for _, m := range text.SyncUpdatesFault(advisoryFault("Fault occurred")) {
				block = append(block, m.At(syncFault, clientPID, tid))
			}
			for range 50 {
				if err := w.Log(block...); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 8*50*7 {
		t.Fatalf("got %d lines, want %d", len(lines), 8*50*7)
	}
	for i := 0; i < len(lines); i += 7 {
		first, _ := wsuslog.ParseClientLine(lines[i])
		for _, l := range lines[i : i+7] {
			if e, ok := wsuslog.ParseClientLine(l); !ok || e.TID != first.TID {
				t.Fatalf("block at line %d interleaved: %q", i+1, l)
			}
		}
	}
}

func TestParseLang(t *testing.T) {
	tests := []struct {
		in   string
		want wsuslog.Lang
		ok   bool
	}{
		{"en", wsuslog.LangEnglish, true},
		{"en-US", wsuslog.LangEnglish, true},
		{"nl", wsuslog.LangDutch, true},
		{"nl-NL", wsuslog.LangDutch, true},
		{"Dutch", wsuslog.LangDutch, true},
		{"de", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := wsuslog.ParseLang(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseLang(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// The fault dump names the failed operation in its first line, and the
// status WUA 7.x logs for any SOAP fault is 200.
func TestOperationFault(t *testing.T) {
	f := advisoryFault("Fault occurred")
	f.HTTPStatus = wsuslog.FaultLoggedStatus
	lines := wsuslog.ClientText{}.OperationFault("GetCookie", f)
	want := "WARNING: GetCookie failure, error = 0x8024400E, soap client error = 7, soap error code = 400, HTTP status code = 200"
	if len(lines) != 7 || lines[0].Text != want || lines[0].Component != "PT" {
		t.Errorf("first line %+v, want %q", lines[0], want)
	}
}

// The "_WithRecovery" line is worded by the agent's version: "failed.:" in
// WUA 7.6 (and when no version is given), "failed :" in 7.0 and 7.1.
func TestOperationFailedWording(t *testing.T) {
	for agent, want := range map[string]string{
		"":             "WARNING: GetCookie_WithRecovery failed.: 0x8024400e",
		"7.6.7600.256": "WARNING: GetCookie_WithRecovery failed.: 0x8024400e",
		"7.1.6001.65":  "WARNING: GetCookie_WithRecovery failed : 0x8024400e",
		"7.0.6000.374": "WARNING: GetCookie_WithRecovery failed : 0x8024400e",
	} {
		if got := (wsuslog.ClientText{Agent: agent}).OperationFailed("GetCookie", 0x8024400E)[1].Text; got != want {
			t.Errorf("agent %q: %q, want %q", agent, got, want)
		}
	}
}
