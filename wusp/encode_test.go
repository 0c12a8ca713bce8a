package wusp

import (
	"testing"
	"time"
)

// FuzzAppendedRepliesMatchEtree holds the appended replies to the etree
// rendering every other reply gets, byte for byte, whatever text they
// carry: markup characters, carriage returns, control characters, invalid
// UTF-8, empty strings and empty lists, ready-made fragments or not.
func FuzzAppendedRepliesMatchEtree(f *testing.F) {
	f.Add("<UpdateIdentity UpdateID=\"cc750251\" />", "Install", "2008-06-10", 8862, true, 2)
	f.Add("a\r\nb & <c> \"d\" 'e' ]]>", "", "", 0, false, 0)
	f.Add("\x00\x1f\x7f\xc3\x28 \xef\xbf\xbe \xed\xa0\x80 \U0001F600", "Evaluate", "0", -1, true, 1)
	f.Fuzz(func(t *testing.T, xml, action, text string, id int, leaf bool, n int) {
		n = max(0, min(n, 3))
		d := Deployment{ID: id, Action: action, Deadline: text, IsAssigned: leaf, LastChangeTime: text, DownloadPriority: "1", FlagBitmask: text}
		var infos []UpdateInfo
		var data []UpdateData
		var ints []int
		if n > 0 {
			infos, data, ints = []UpdateInfo{}, []UpdateData{}, []int{}
		}
		for i := 1; i < n; i++ {
			u := UpdateInfo{ID: id + i, Deployment: d, IsLeaf: leaf, Xml: xml}
			ud := UpdateData{ID: id + i, Xml: xml}
			if i == 2 {
				u.CacheEncoding()
				ud.CacheEncoding()
			}
			infos, data, ints = append(infos, u), append(data, ud), append(ints, id-i)
		}
		cookie := Cookie{Expiration: time.Date(2008, 6, 14, 2, 59, 53, 123456789, time.UTC), EncryptedData: []byte(text)}
		for _, c := range []struct {
			op  Operation
			msg Message
		}{
			{OpSyncUpdates, &SyncUpdatesResponse{Result: SyncInfo{NewUpdates: infos, OutOfScopeRevisionIDs: ints, ChangedUpdates: infos, Truncated: leaf, NewCookie: cookie}}},
			{OpGetExtendedUpdateInfo, &GetExtendedUpdateInfoResponse{Result: ExtendedUpdateInfo{Updates: data, OutOfScopeRevisionIDs: ints}}},
			{OpGetExtendedUpdateInfo, &GetExtendedUpdateInfoResponse{Result: ExtendedUpdateInfo{FileLocations: []FileLocation{{FileDigest: []byte(xml), URL: text}}}}},
		} {
			if got, want := string(AppendResponse(nil, c.op, c.msg)), string(MarshalResponse(c.op, c.msg)); got != want {
				t.Fatalf("%s reply differs from etree's\n got %s\nwant %s", c.op.Name, got, want)
			}
		}
		fault := &Fault{Code: InvalidParameters, Message: xml, ID: text, Method: action, Actor: text, FaultString: DefaultFaultString}
		if got, want := string(MarshalFault(fault)), MarshalFaultWithEtree(fault); got != want {
			t.Fatalf("fault differs from etree's\n got %s\nwant %s", got, want)
		}
	})
}
