package detect_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/wsuslog"
)

// wu builds a WindowsUpdate.log from "TID component text" triples.
func wu(lines ...string) []byte {
	var b strings.Builder
	for _, l := range lines {
		tid, rest, _ := strings.Cut(l, " ")
		comp, text, _ := strings.Cut(rest, " ")
		fmt.Fprintf(&b, "2008-06-13\t19:59:56:617\t788\t%s\t%s\t%s\r\n", tid, comp, text)
	}
	return []byte(b.String())
}

const (
	failure     = "ee4 PT WARNING: SyncUpdates failure, error = 0x8024400E, soap client error = 7, soap error code = 400, HTTP status code = 200"
	soapFault   = "ee4 PT WARNING: SOAP Fault: 0x000190"
	faultStr    = "ee4 PT WARNING:     faultstring:Fault occurred"
	ise         = "ee4 PT WARNING:     ErrorCode:InternalServerError(5)"
	nullMsg     = "ee4 PT WARNING:     Message:(null)"
	syncMethod_ = `ee4 PT WARNING:     Method:"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`
	faultID     = "ee4 PT WARNING:     ID:c0a7445f-b989-43fa-ac20-11f8ca65fa8c"
)

func dump(replace map[string]string) []string {
	out := []string{failure, soapFault, faultStr, ise, nullMsg, syncMethod_, faultID}
	for i, l := range out {
		if r, ok := replace[l]; ok {
			out[i] = r
		}
	}
	return out
}

func TestClientRules(t *testing.T) {
	cases := []struct {
		name    string
		log     []byte
		verdict detect.Verdict
	}{
		{"the advisory's block", wu(dump(nil)...), detect.VerdictAffected},
		{"lower-case hex", wu(dump(map[string]string{failure: strings.Replace(failure, "0x8024400E", "0x8024400e", 1)})...), detect.VerdictAffected},
		{"another thread interleaves", wu(failure, soapFault, "afc AU # WARNING: Failed to find updates with error code 8024400E", faultStr, ise, nullMsg, syncMethod_, faultID), detect.VerdictAffected},
		{"dump without ID line", wu(failure, soapFault, faultStr, ise, nullMsg, syncMethod_), detect.VerdictAffected},
		{"ErrorCode ServerBusy", wu(dump(map[string]string{ise: "ee4 PT WARNING:     ErrorCode:ServerBusy(10)"})...), detect.VerdictOtherSOAPFault},
		{"Method GetCookie", wu(dump(map[string]string{syncMethod_: `ee4 PT WARNING:     Method:"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/GetCookie"`})...), detect.VerdictOtherSOAPFault},
		{"soap:Client", wu(dump(map[string]string{failure: "ee4 PT WARNING: SyncUpdates failure, error = 0x8024400D, soap client error = 7, soap error code = 300, HTTP status code = 200"})...), detect.VerdictOtherSOAPFault},
		{"GetCookie failure line", wu(dump(map[string]string{failure: strings.Replace(failure, "SyncUpdates failure", "GetCookie failure", 1)})...), detect.VerdictOtherSOAPFault},
		{"no dump", wu(failure, "ee4 PT WARNING: PTError: 0x8024400e"), detect.VerdictOtherSOAPFault},
		{"dump on another thread", wu(failure, "afc PT WARNING:     ErrorCode:InternalServerError(5)", `afc PT WARNING:     Method:"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`), detect.VerdictOtherSOAPFault},
		{"dump cut by another line of the thread", wu(failure, soapFault, "ee4 Agent   * WARNING: Exit code = 0x8024400E", ise, syncMethod_), detect.VerdictOtherSOAPFault},
		// No fault, but no sync that ran to its end: never clean.
		{"transport failure", wu("ee4 PT WARNING: SyncUpdates failure, error = 0x80244005, soap client error = 5, soap error code = 0, HTTP status code = 200"), detect.VerdictIncomplete},
		{"AU and Agent mentions only", wu("afc AU   # WARNING: Failed to find updates with error code 8024400E",
			"ee4 Agent   * WARNING: Exit code = 0x8024400E", "ee4 PT WARNING: SyncServerUpdatesInternal failed: 0x8024400e"), detect.VerdictIncomplete},
		{"transport failure, then a sync that succeeds", wu("ee4 PT WARNING: SyncUpdates failure, error = 0x80244005, soap client error = 5, soap error code = 0, HTTP status code = 200",
			"ee4 PT +++++++++++  PT: Synchronizing server updates  +++++++++++",
			"ee4 PT +++++++++++  PT: Synchronizing extended update info  +++++++++++"), detect.VerdictClean},
		{"fault then a failed retry", wu(append(dump(nil), "ee4 PT +++++++++++  PT: Synchronizing server updates  +++++++++++",
			failure, ise, syncMethod_)...), detect.VerdictAffected},
		{"fault, then a sync that only banners", wu(append(dump(nil), "ee4 PT +++++++++++  PT: Synchronizing server updates  +++++++++++")...), detect.VerdictAffected},
		{"fault, then Found without a new sync", wu(append(dump(nil), "ee4 Agent   * Found 0 updates and 0 categories in search")...), detect.VerdictAffected},
		{"fault, then a sync that succeeds", wu(append(dump(nil), "ee4 PT +++++++++++  PT: Synchronizing server updates  +++++++++++",
			"ee4 Agent   * Found 2 updates and 57 categories in search; evaluated appl. rules of 1 out of 2 deployed entities")...), detect.VerdictRecovered},
		{"success, then fault", wu(append([]string{"ee4 PT +++++++++++  PT: Synchronizing server updates  +++++++++++",
			"ee4 PT +++++++++++  PT: Synchronizing extended update info  +++++++++++"}, dump(nil)...)...), detect.VerdictAffected},

		// WUA 7.6, the texts of source S9 of docs/protocol-facts.md.
		{"7.6 InvalidParameters (S9 symptom 2)", wu(
			"1160 WS WARNING: Soap fault info:",
			"1160 WS WARNING: reason: Fault occurred",
			"1160 WS WARNING: code: Client",
			`1160 WS WARNING: detail: <detail><ErrorCode>InvalidParameters</ErrorCode><Message>parameters.OtherCachedUpdateIDs</Message><ID>8889e6f6-cc94-4b2b-9d0c-9818649a5dfc</ID><Method>"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"</Method></detail>`,
			"1160 WS FATAL: OnCallFailure failed with hr=0X80244007",
			"1160 PT WARNING: PTError: 0x80244007",
			"1160 PT WARNING: SyncUpdates_WithRecovery failed.: 0x80244007"), detect.VerdictOtherSOAPFault},
		{"7.6 InternalServerError on GetAuthorizationCookie (S9 symptom 3)", wu(
			"117c WS WARNING: Soap fault info:",
			"117c WS WARNING: reason: Fault occurred",
			"117c WS WARNING: code: Server",
			`117c WS WARNING: detail: <detail><ErrorCode> InternalServerError </ErrorCode><Message></Message><ID>9f8e13ac-3a64-41c6-a40b-cad7913fc1bb</ID><Method>"  http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService/GetAuthorizationCookie "</Method></detail>`,
			"117c WS FATAL: OnCallFailure failed with hr= 0X80244007"), detect.VerdictOtherSOAPFault},
		{"7.6 InternalServerError on SyncUpdates, padded as S9", wu(
			"117c WS WARNING: Soap fault info:",
			"117c WS WARNING: code: Server",
			`117c WS WARNING: detail: <detail><ErrorCode> InternalServerError </ErrorCode><Message></Message><ID>9f8e13ac-3a64-41c6-a40b-cad7913fc1bb</ID><Method>"  http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates "</Method></detail>`,
			"117c WS FATAL: OnCallFailure failed with hr= 0X80244007"), detect.VerdictAffected},
		{"7.6 without any hr", wu(
			"117c WS WARNING: Soap fault info:",
			"117c WS WARNING: code: Server",
			`117c WS WARNING: detail: <detail><ErrorCode>InternalServerError</ErrorCode><Method>"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"</Method></detail>`,
			"117c Agent   * WARNING: Exit code = 0x80244007"), detect.VerdictOtherSOAPFault},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := analyze(t, c.name, c.log)
			if rep.Kind != detect.KindClient || rep.Verdict != c.verdict {
				t.Errorf("kind %s verdict %s, want %s %s; summary %q notes %q", rep.Kind, rep.Verdict, detect.KindClient, c.verdict, rep.Summary, rep.Notes)
			}
		})
	}
}

func sd(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

const (
	dupLine  = "2008-06-14 02:59:57.642 UTC Error\tw3wp.12\tClientImplementation.SyncUpdates\tSystem.ArgumentException: Item has already been added. Key in dictionary: '8862'  Key being added: '8862'"
	addFrame = "   at System.Collections.Hashtable.Add(Object key, Object value)"
	gsiFrame = "   at Microsoft.UpdateServices.Internal.ClientImplementation.GetSyncInfo(DataAccess dataAccess, Hashtable stateTable, Hashtable deploymentTable, Boolean haveGroupsChanged, Boolean doChunking)"
	throwISE = "2008-06-14 02:59:57.642 UTC Warning\tw3wp.12\tSoapUtilities.CreateException\tThrowException: actor = http://wsusebc/ClientWebService/client.asmx, ID=c0a7445f-b989-43fa-ac20-11f8ca65fa8c, ErrorCode=InternalServerError, Message=, Client=?"
	info     = "2008-06-14 02:59:57.600 UTC Info\tw3wp.12\tClientImplementation.SyncUpdates\tSyncUpdates request, Client=?"
)

func TestServerRules(t *testing.T) {
	cases := []struct {
		name    string
		log     []byte
		verdict detect.Verdict
	}{
		{"the advisory's entries", sd(dupLine, addFrame, gsiFrame, throwISE), detect.VerdictAffected},
		{"another thread in between", sd(dupLine, addFrame, gsiFrame, strings.Replace(info, "w3wp.12", "w3wp.7", 1), throwISE), detect.VerdictAffected},
		{"Dutch frames (bij)", sd(dupLine, "   bij Microsoft.UpdateServices.Internal.ClientImplementation.GetSyncInfo(DataAccess dataAccess)", throwISE), detect.VerdictAffected},
		{"no GetSyncInfo frame", sd(dupLine, addFrame, throwISE), detect.VerdictOtherSOAPFault},
		{"GetSyncInfo after the next entry", sd(dupLine, addFrame, info, gsiFrame, throwISE), detect.VerdictOtherSOAPFault},
		{"fault on another thread", sd(dupLine, gsiFrame, strings.Replace(throwISE, "w3wp.12", "w3wp.3", 1)), detect.VerdictOtherSOAPFault},
		{"fault with another ErrorCode", sd(dupLine, gsiFrame, strings.Replace(throwISE, "InternalServerError", "InvalidParameters", 1)), detect.VerdictOtherSOAPFault},
		{"InternalServerError without the exception", sd(info, throwISE), detect.VerdictOtherSOAPFault},
		{"exception without a fault", sd(dupLine, addFrame, gsiFrame, info), detect.VerdictClean},
		{"ArgumentException of another kind", sd(strings.Replace(dupLine, "Item has already been added", "Value does not fall within the expected range", 1), gsiFrame, throwISE), detect.VerdictOtherSOAPFault},
		{"requests only", sd(info, info), detect.VerdictClean},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := analyze(t, c.name, c.log)
			if rep.Kind != detect.KindServer || rep.Verdict != c.verdict {
				t.Errorf("kind %s verdict %s, want %s %s; summary %q notes %q", rep.Kind, rep.Verdict, detect.KindServer, c.verdict, rep.Summary, rep.Notes)
			}
		})
	}
}

// scanLog streams a WindowsUpdate.log of n scans, every one of which
// fails as in the advisory, without holding it in memory.
type scanLog struct {
	n, i int
	buf  bytes.Buffer
}

func (s *scanLog) Read(p []byte) (int, error) {
	for s.buf.Len() < len(p) && s.i < s.n {
		s.i++
		s.buf.Write(wu("ee4 PT +++++++++++  PT: Synchronizing server updates  +++++++++++"))
		s.buf.Write(wu(dump(map[string]string{faultID: fmt.Sprintf("ee4 PT WARNING:     ID:%08x-0000-4000-8000-000000000000", s.i)})...))
		for j := 0; j < 20; j++ {
			s.buf.Write(wu("afc AU   # WARNING: Failed to find updates with error code 8024400E"))
		}
	}
	if s.buf.Len() == 0 {
		return 0, io.EOF
	}
	return s.buf.Read(p)
}

func TestAnalyzeLongLogIsBounded(t *testing.T) {
	const scans = 1000 // about 30,000 lines
	rep, err := detect.Analyze("long", &scanLog{n: scans})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != detect.VerdictAffected || rep.FaultCount != scans {
		t.Fatalf("verdict %s faults %d, want affected %d", rep.Verdict, rep.FaultCount, scans)
	}
	if len(rep.Faults) != detect.MaxFaultsKept || len(rep.Evidence) > 7*detect.MaxFaultsKept {
		t.Errorf("kept %d faults and %d evidence lines, want %d and at most %d", len(rep.Faults), len(rep.Evidence), detect.MaxFaultsKept, 7*detect.MaxFaultsKept)
	}
	if last := rep.Faults[len(rep.Faults)-1]; last.ID != fmt.Sprintf("%08x-0000-4000-8000-000000000000", scans) {
		t.Errorf("last kept fault %s, want the latest", last.ID)
	}
}

func TestCorrelate(t *testing.T) {
	reports := []detect.Report{
		analyze(t, "wu-en-affected.log", readFixture(t, "wu-en-affected.log")),
		analyze(t, "wu-en-affected-utf16.log", readFixture(t, "wu-en-affected-utf16.log")),
		analyze(t, "sd-en-affected.log", readFixture(t, "sd-en-affected.log")),
		analyze(t, "not-a-log.txt", readFixture(t, "not-a-log.txt")),
	}
	detect.Correlate(reports)
	if c := reports[0].Correlations; len(c) != 1 || c[0].With != "sd-en-affected.log" || c[0].Matched[0] != advisoryID || reports[0].UnmatchedFaultIDs != nil {
		t.Errorf("client correlations %+v unmatched %v", c, reports[0].UnmatchedFaultIDs)
	}
	if c := reports[1].Correlations; len(c) != 0 || len(reports[1].UnmatchedFaultIDs) != 1 || reports[1].UnmatchedFaultIDs[0] != utf16ID {
		t.Errorf("utf16 correlations %+v unmatched %v", c, reports[1].UnmatchedFaultIDs)
	}
	if c := reports[2].Correlations; len(c) != 1 || c[0].With != "wu-en-affected.log" {
		t.Errorf("server correlations %+v", c)
	}
	if reports[3].Correlations != nil || reports[3].UnmatchedFaultIDs != nil {
		t.Errorf("non-log correlated: %+v", reports[3])
	}
	// One kind alone: nothing to correlate with.
	one := reports[:2]
	detect.Correlate(one)
	if one[1].UnmatchedFaultIDs != nil {
		t.Errorf("correlated without a server log: %v", one[1].UnmatchedFaultIDs)
	}
}

// What package wsuslog writes now, the simulator's and the mock server's
// log lines, is recognised in both languages.
func TestWsuslogWritersAreRecognised(t *testing.T) {
	for _, lang := range []wsuslog.Lang{wsuslog.LangEnglish, wsuslog.LangDutch} {
		t.Run(string(lang), func(t *testing.T) {
			var cb bytes.Buffer
			text := wsuslog.ClientText{Lang: lang}
			var block []wsuslog.Entry
			now := time.Date(2008, 6, 13, 19, 59, 56, 0, time.UTC)
			for _, m := range append([]wsuslog.Message{text.SyncServerUpdates(), text.ServerURL("http://wsus/ClientWebService/client.asmx")},
				text.SyncUpdatesFault(wsuslog.SyncFault{HResult: 0x8024400E, SOAPClientError: 7, SOAPErrorCode: 400, HTTPStatus: 500,
					FaultString: "Fault occurred", ErrorCode: "InternalServerError", ErrorNumber: 5, Method: "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates", ID: advisoryID})...) {
				block = append(block, m.At(now, 788, 0xee4))
			}
			for _, m := range text.SyncFailed(0x8024400E) {
				block = append(block, m.At(now, 788, 0xee4))
			}
			if err := wsuslog.NewClientLogWriter(&cb).Log(block...); err != nil {
				t.Fatal(err)
			}
			if rep := analyze(t, "client", cb.Bytes()); rep.Verdict != detect.VerdictAffected {
				t.Errorf("client log: %s (%s)", rep.Verdict, rep.Summary)
			}

			var sb bytes.Buffer
			l := wsuslog.NewServerLog(&sb, lang, func() time.Time { return now })
			l.Request("w3wp.12", "SyncUpdates", "")
			l.DuplicateKey("w3wp.12", "8862")
			l.ThrowException("w3wp.12", "http://wsus/ClientWebService/client.asmx", advisoryID, "InternalServerError", "", "")
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			rep := analyze(t, "server", sb.Bytes())
			if rep.Verdict != detect.VerdictAffected || len(rep.Keys) != 1 || rep.Keys[0] != "8862" {
				t.Errorf("server log: %s keys %v (%s)", rep.Verdict, rep.Keys, rep.Summary)
			}
		})
	}
}
