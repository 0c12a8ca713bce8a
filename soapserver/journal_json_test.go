package soapserver_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/soapserver"
)

// encodingJSON is how the event stream encoded an entry before it had
// AppendJSON: what a page and the admin client parse.
func encodingJSON(t testing.TB, e *soapserver.JournalEntry) []byte {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(e); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestJournalEntryAppendJSONIsEncodingJSON(t *testing.T) {
	at := time.Date(2008, 6, 14, 2, 59, 57, 642_000_123, time.UTC)
	for _, e := range []soapserver.JournalEntry{
		{},
		{Seq: 1, Time: at, Remote: "127.0.0.1:50000", Path: "/ClientWebService/client.asmx", Status: 200, DurationMicros: 31},
		{Seq: 18446744073709551615, Time: at.In(time.FixedZone("CEST", 2*3600)), Remote: "[::1]:1", Path: "/x",
			Operation: "SyncUpdates", SOAPAction: `"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`,
			ClientID: "5b3f7a2e-1c44-4d3b-9a59-0e1f2a3b4c5d", ClientName: "PC-<ANNA> & co", Status: -1,
			Fault: "InternalServerError", FaultID: "c102044b-f068-4789-a970-d88cfede2707", Injected: "r1", Transport: "reset", DurationMicros: -5},
		{Remote: "a\x00b\tc\nd\re\x7f", Path: "\xff\xfe bad UTF-8", ClientName: "line\u2028sep\u2029 é ☃", Fault: `back\slash "quoted"`},
	} {
		got, err := e.AppendJSON([]byte("prefix"))
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		if want := append([]byte("prefix"), encodingJSON(t, &e)...); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON\n got %s\nwant %s", got, want)
		}
	}
	if _, err := (&soapserver.JournalEntry{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}).AppendJSON(nil); err == nil {
		t.Error("a time encoding/json refuses: AppendJSON did not fail")
	}
}

func FuzzJournalEntryAppendJSON(f *testing.F) {
	f.Add(uint64(7), int64(1213412397642000123), "127.0.0.1:1", "/ClientWebService/client.asmx", "SyncUpdates", "PC-<ANNA>", "Internal\"Server\\Error", 200, int64(31))
	f.Add(uint64(0), int64(0), "\x00\xff", "\u2028", "", "", "", 0, int64(-1))
	f.Fuzz(func(t *testing.T, seq uint64, nanos int64, remote, path, op, name, fault string, status int, micros int64) {
		e := soapserver.JournalEntry{Seq: seq, Time: time.Unix(0, nanos).UTC(), Remote: remote, Path: path,
			Operation: op, SOAPAction: op + name, ClientID: name, ClientName: name, Status: status,
			Fault: fault, FaultID: remote, Injected: path, Transport: fault, DurationMicros: micros}
		got, err := e.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, &e); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON\n got %s\nwant %s", got, want)
		}
	})
}
