package wuaclient

import (
	"fmt"
	"time"

	"github.com/wsusmock/wsusmock/wusp"
)

// Caller sends one request and decodes its response into resp, over HTTP
// or straight into a handler.
type Caller func(op wusp.Operation, req, resp wusp.Message) error

// Shaped request sizes: what a WUA 7.x agent with Office 2003 sent in its
// third SyncUpdates, 8 installed non-leaf revisions and 120 cached ones.
const (
	shapedInstalled = 8
	shapedCached    = 120
	// shapedUnknownBase numbers the cached revisions the catalog does not
	// hold: a small catalog cannot fill an agent's cache.
	shapedUnknownBase = 1_000_000
)

// ThirdSyncUpdates walks an Office 2003 agent's handshake and its first two
// SyncUpdates rounds through call, and returns the third SyncUpdates: the
// one that fails with KB954960 on an affected server and offers updates on
// a fixed one. The request carries 8 installed non-leaf revision IDs (those
// the server offered, then revisions it does not know) and 120
// OtherCachedUpdateIDs (the leaf revisions it offered, then unknown ones),
// and MarshalSyncUpdatesWUA writes it in the agent's ATL shape, about
// 3.5 KB. Benchmarks and load runs repeat it.
func ThirdSyncUpdates(call Caller, now time.Time) (*wusp.SyncUpdatesRequest, error) {
	var config wusp.GetConfigResponse
	if err := call(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}, &config); err != nil {
		return nil, fmt.Errorf("GetConfig: %w", err)
	}
	var auth wusp.GetAuthorizationCookieResponse
	if err := call(wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: wusp.NewGUID(), DNSName: "load.example.test"}, &auth); err != nil {
		return nil, fmt.Errorf("GetAuthorizationCookie: %w", err)
	}
	var cookie wusp.GetCookieResponse
	if err := call(wusp.OpGetCookie, &wusp.GetCookieRequest{AuthCookies: []wusp.AuthorizationCookie{auth.Result},
		LastChange: config.Result.LastChange, CurrentTime: now, ProtocolVersion: "1.0"}, &cookie); err != nil {
		return nil, fmt.Errorf("GetCookie: %w", err)
	}
	req := &wusp.SyncUpdatesRequest{Cookie: cookie.Result}
	p := &req.Parameters
	for round := 1; round <= 2; round++ {
		var sync wusp.SyncUpdatesResponse
		if err := call(wusp.OpSyncUpdates, req, &sync); err != nil {
			return nil, fmt.Errorf("SyncUpdates round %d: %w", round, err)
		}
		for _, u := range sync.Result.NewUpdates {
			if u.IsLeaf {
				p.OtherCachedUpdateIDs = append(p.OtherCachedUpdateIDs, u.ID)
			} else {
				p.InstalledNonLeafUpdateIDs = append(p.InstalledNonLeafUpdateIDs, u.ID)
			}
		}
		req.Cookie = sync.Result.NewCookie
	}
	for i := 0; len(p.InstalledNonLeafUpdateIDs) < shapedInstalled; i++ {
		p.InstalledNonLeafUpdateIDs = append(p.InstalledNonLeafUpdateIDs, shapedUnknownBase+i)
	}
	for i := 0; len(p.OtherCachedUpdateIDs) < shapedCached; i++ {
		p.OtherCachedUpdateIDs = append(p.OtherCachedUpdateIDs, shapedUnknownBase+shapedInstalled+i)
	}
	return req, nil
}
