package wuaclient

import (
	"errors"
	"slices"

	"github.com/wsusmock/wsusmock/wusp"
)

// withRecovery runs step with a session (configuration, cookie,
// registration) in place, and recovers from WSUS faults as MS-WUSP
// §2.2.2.4 prescribes (docs/protocol-facts.md §1.7):
//
//	InvalidCookie, ServerChanged  start over: GetConfig, GetAuthorizationCookie, GetCookie, RefreshCache
//	ConfigChanged                 GetConfig, GetAuthorizationCookie, GetCookie
//	CookieExpired                 GetAuthorizationCookie, GetCookie
//	RegistrationRequired          RegisterComputer
//
// then runs the failed step again. Every other ErrorCode — among them
// InternalServerError and ServerBusy, which mean "retry later" — ends the
// cycle, and so does the MaxRecoveries+1st fault.
func (cy *cycle) withRecovery(step func() error) error {
	for {
		err := cy.ensureSession()
		if err == nil {
			err = step()
		}
		if err == nil {
			return nil
		}
		var f *wusp.Fault
		if !errors.As(err, &f) || !recoverable(f.Code) || cy.recoveries >= MaxRecoveries || cy.ctx.Err() != nil {
			return err
		}
		cy.recoveries++
		var xe *exchangeError
		errors.As(err, &xe)
		hr, code := faultHRESULT(f.FaultCode())
		cy.log(cy.faultDump(xe, f, hr, code)...)
		cy.recover(f.Code)
	}
}

func recoverable(c wusp.ErrorCode) bool {
	switch c {
	case wusp.InvalidCookie, wusp.ServerChanged, wusp.ConfigChanged, wusp.CookieExpired, wusp.RegistrationRequired:
		return true
	}
	return false
}

// recover drops the state the fault invalidated; ensureSession rebuilds it.
func (cy *cycle) recover(code wusp.ErrorCode) {
	switch code {
	case wusp.InvalidCookie, wusp.ServerChanged:
		// The server no longer knows the client's revision IDs: they are
		// mapped again from global identities with RefreshCache.
		cy.cfg, cy.auth, cy.cookie, cy.oldCookie = nil, nil, nil, nil
		cy.refresh = len(cy.revs) > 0
	case wusp.ConfigChanged:
		cy.cfg, cy.auth, cy.oldCookie, cy.cookie = nil, nil, cy.cookie, nil
	case wusp.CookieExpired:
		cy.auth, cy.oldCookie, cy.cookie = nil, cy.cookie, nil
	case wusp.RegistrationRequired:
		cy.mustRegister, cy.registered = true, false
	}
}

// ensureSession performs whatever of GetConfig, GetAuthorizationCookie,
// GetCookie, RefreshCache and RegisterComputer the cycle lacks.
func (cy *cycle) ensureSession() error {
	p := cy.c.Profile
	if cy.cfg == nil {
		var resp wusp.GetConfigResponse
		if err := cy.call(cy.clientURL, wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: p.ProtocolVersion}, &resp); err != nil {
			return err
		}
		cy.cfg = &resp.Result
		cy.mustRegister = cy.mustRegister || resp.Result.IsRegistrationRequired
		for _, a := range resp.Result.AuthInfo {
			if a.PlugInID == "SimpleTargeting" && a.ServiceURL != "" {
				if u, err := resolve(cy.root, a.ServiceURL); err == nil {
					cy.authURL = u
				}
			}
		}
	}
	if cy.auth == nil {
		if cy.recoveries > 0 {
			cy.log(cookieRecovery(cy.c.clientID(), p.TargetGroup, cy.c.dnsName(), cy.authURL.String())...)
		}
		req := &wusp.GetAuthorizationCookieRequest{ClientID: cy.c.clientID(), TargetGroupName: p.TargetGroup, DNSName: cy.c.dnsName()}
		var resp wusp.GetAuthorizationCookieResponse
		if err := cy.call(cy.authURL, wusp.OpGetAuthorizationCookie, req, &resp); err != nil {
			return err
		}
		cy.auth = &resp.Result
	}
	if cy.cookie == nil {
		req := &wusp.GetCookieRequest{
			AuthCookies:     []wusp.AuthorizationCookie{*cy.auth},
			OldCookie:       cy.oldCookie,
			LastChange:      cy.cfg.LastChange,
			CurrentTime:     cy.c.now().UTC(),
			ProtocolVersion: p.ProtocolVersion,
		}
		var resp wusp.GetCookieResponse
		if err := cy.call(cy.clientURL, wusp.OpGetCookie, req, &resp); err != nil {
			return err
		}
		cy.cookie, cy.oldCookie = &resp.Result, nil
	}
	if cy.refresh {
		if err := cy.refreshCache(); err != nil {
			return err
		}
		cy.refresh = false
	}
	if cy.mustRegister && !cy.registered {
		info := p.ComputerInfo()
		info.DNSName = cy.c.dnsName()
		req := &wusp.RegisterComputerRequest{Cookie: *cy.cookie, ComputerInfo: info}
		err := cy.call(cy.clientURL, wusp.OpRegisterComputer, req, &wusp.RegisterComputerResponse{})
		var f *wusp.Fault
		if err != nil && !(errors.As(err, &f) && f.Code == wusp.RegistrationNotRequired) {
			return err
		}
		cy.registered = true
	}
	return nil
}

// refreshCache maps the cached revisions' global identities to the
// server's revision IDs after InvalidCookie or ServerChanged (MS-WUSP
// §3.1.5.8). Revisions the server no longer knows are dropped from the
// cache; the next SyncUpdates offers them again if they are still needed.
func (cy *cycle) refreshCache() error {
	ids := make([]int, 0, len(cy.revs))
	for id := range cy.revs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	req := &wusp.RefreshCacheRequest{Cookie: *cy.cookie}
	byUpdate := map[string]*revision{}
	for _, id := range ids {
		r := cy.revs[id]
		req.GlobalIDs = append(req.GlobalIDs, wusp.UpdateIdentity{UpdateID: r.core.UpdateID, RevisionNumber: r.core.RevisionNumber})
		byUpdate[r.core.UpdateID] = r
	}
	var resp wusp.RefreshCacheResponse
	if err := cy.call(cy.clientURL, wusp.OpRefreshCache, req, &resp); err != nil {
		return err
	}
	revs := map[int]*revision{}
	for _, rr := range resp.Result {
		if r, ok := byUpdate[rr.GlobalID.UpdateID]; ok {
			r.id, r.isLeaf, r.action = rr.RevisionID, rr.IsLeaf, rr.Deployment.Action
			revs[rr.RevisionID] = r
		}
	}
	cy.revs = revs
	return nil
}
