package wusp

import (
	"testing"
	"time"
)

// BenchmarkDecodeWUASyncUpdates parses and decodes the SyncUpdates a WUA
// 7.x agent sends (8 installed non-leaf IDs, 120 cached ones, ATL shape)
// into a reused Document, as the server does.
func BenchmarkDecodeWUASyncUpdates(b *testing.B) {
	req := &SyncUpdatesRequest{Cookie: Cookie{Expiration: time.Now(), EncryptedData: make([]byte, 110)}}
	for i := range 8 {
		req.Parameters.InstalledNonLeafUpdateIDs = append(req.Parameters.InstalledNonLeafUpdateIDs, 8000+i)
	}
	for i := range 120 {
		req.Parameters.OtherCachedUpdateIDs = append(req.Parameters.OtherCachedUpdateIDs, 1_000_000+i)
	}
	body := MarshalSyncUpdatesWUA(req)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var doc Document
	for b.Loop() {
		op, err := doc.ParseRequest(body, DefaultMaxDepth)
		if err != nil {
			b.Fatal(err)
		}
		var got SyncUpdatesRequest
		if err := DecodeRequest(op, &got); err != nil {
			b.Fatal(err)
		}
	}
}
