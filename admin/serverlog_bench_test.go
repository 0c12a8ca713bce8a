package admin_test

import (
	"testing"

	"github.com/wsusmock/wsusmock/admin"
)

// BenchmarkLogRingFull is a server log line arriving at a full ring, as on
// every fault of a busy server: it must cost the same as on an empty one.
func BenchmarkLogRingFull(b *testing.B) {
	r := admin.NewLogRing(nil)
	line := []byte("2008-06-14 02:59:57.642 UTC Warning\tw3wp.8\tSoapUtilities.CreateException\tThrowException: actor = http://wsus01:8530/ClientWebService/client.asmx, ID=f401f52c-453e-40bd-866e-0bb82d65e6ac, ErrorCode=InternalServerError, Message=, Client=?\r\n")
	for range admin.MaxLogLines {
		r.Write(line)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Write(line)
	}
}
