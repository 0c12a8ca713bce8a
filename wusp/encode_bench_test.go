package wusp

import "testing"

// BenchmarkAppendFault appends the KB954960 fault as the server sends it
// to a Windows Update Agent, into a reused buffer.
func BenchmarkAppendFault(b *testing.B) {
	f := NewFault(InternalServerError, "")
	f.Actor = "http://wsus01:8530/ClientWebService/client.asmx"
	f.Method = OpSyncUpdates.QuotedSOAPAction()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFault(buf[:0], f)
	}
	b.SetBytes(int64(len(buf)))
}
