package soapserver

import (
	"errors"
	"strings"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wusp"
)

// allComputers is the target group every WSUS client belongs to.
const allComputers = "All Computers"

// invoke decodes the request of x.op and runs it. It returns the reply
// message, or nil with x.encoded set when the snapshot holds the reply
// ready-made.
func (s *Server) invoke(x *exchange, opEl *wusp.Element) (wusp.Message, error) {
	switch x.op {
	case wusp.OpGetConfig:
		var req wusp.GetConfigRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		s.logRequest(x)
		x.encoded = x.snap.configReply
		return nil, nil
	case wusp.OpGetAuthorizationCookie:
		var req wusp.GetAuthorizationCookieRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		return s.getAuthorizationCookie(x, &req)
	case wusp.OpGetCookie:
		var req wusp.GetCookieRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		return s.getCookie(x, &req)
	case wusp.OpRegisterComputer:
		var req wusp.RegisterComputerRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		if _, f := s.session(x, req.Cookie); f != nil {
			return nil, f
		}
		return &wusp.RegisterComputerResponse{}, nil
	case wusp.OpSyncUpdates:
		req := x.sync
		if req == nil {
			req = new(wusp.SyncUpdatesRequest)
		}
		if err := wusp.DecodeRequest(opEl, req); err != nil {
			return nil, err
		}
		return s.syncUpdates(x, req)
	case wusp.OpRefreshCache:
		var req wusp.RefreshCacheRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		sess, f := s.session(x, req.Cookie)
		if f != nil {
			return nil, f
		}
		return s.refreshCache(x, sess, &req), nil
	case wusp.OpGetExtendedUpdateInfo:
		var req wusp.GetExtendedUpdateInfoRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		return s.getExtendedUpdateInfo(x, &req)
	case wusp.OpGetFileLocations:
		var req wusp.GetFileLocationsRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		return s.getFileLocations(x, &req)
	case wusp.OpStartCategoryScan:
		// No cookie names the client: the request carries none.
		var req wusp.StartCategoryScanRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		s.logRequest(x)
		var resp wusp.StartCategoryScanResponse
		resp.PreferredCategoryIDs, resp.RequestedCategoryIDsInError = x.snap.world.StartCategoryScan(req.RequestedCategories)
		return &resp, nil
	case wusp.OpReportEventBatch:
		var req wusp.ReportEventBatchRequest
		if err := wusp.DecodeRequest(opEl, &req); err != nil {
			return nil, err
		}
		if _, f := s.session(x, req.Cookie); f != nil {
			return nil, f
		}
		return &wusp.ReportEventBatchResponse{Result: true}, nil
	}
	return nil, errors.New("operation has no handler: " + x.op.Name)
}

// session opens the request's cookie, names the client for the logs, and
// writes the per-request Info line.
func (s *Server) session(x *exchange, c wusp.Cookie) (session, *wusp.Fault) {
	sess, f := s.sealer.openSession(c, s.cfg.Now())
	x.client, x.clientName = sess.ClientID, sess.DNSName
	s.logRequest(x)
	return sess, f
}

// validClientID checks a SusClientId: 1–255 characters of letters, digits
// and hyphens (MS-WUSP §2.2.2.1.1). WUA sends a GUID.
func validClientID(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// validDNSName checks a dnsName: at most 255 characters, not blank, and no
// control characters (RFC 1035 bounds a name at 255 octets).
func validDNSName(name string) bool {
	if strings.TrimSpace(name) == "" || len(name) > 255 {
		return false
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func (s *Server) getAuthorizationCookie(x *exchange, req *wusp.GetAuthorizationCookieRequest) (wusp.Message, error) {
	// The clientId is judged before the exchange names it: the journal,
	// the event stream and the server log only ever see a valid one.
	// WSUS answered a bad clientId or dnsName with InternalServerError,
	// not InvalidParameters (MS-WUSP notes <50>, <51>).
	if !validClientID(req.ClientID) {
		s.logRequest(x)
		return nil, wusp.NewFault(wusp.InternalServerError, "")
	}
	x.client = req.ClientID
	s.logRequest(x)
	if !validDNSName(req.DNSName) {
		return nil, wusp.NewFault(wusp.InternalServerError, "")
	}
	x.clientName = req.DNSName
	data := s.sealer.seal(purposeAuth, &authorization{
		ClientID: req.ClientID, TargetGroup: req.TargetGroupName, DNSName: req.DNSName, Issued: s.cfg.Now(),
	})
	return &wusp.GetAuthorizationCookieResponse{Result: wusp.AuthorizationCookie{PlugInID: "SimpleTargeting", CookieData: data}}, nil
}

// getCookie follows MS-WUSP §3.1.5.4: one SimpleTargeting authorization
// cookie, an optional old cookie of this server, a lastChange no older than
// the server's configuration.
func (s *Server) getCookie(x *exchange, req *wusp.GetCookieRequest) (wusp.Message, error) {
	var auth authorization
	if len(req.AuthCookies) != 1 || req.AuthCookies[0].PlugInID != "SimpleTargeting" ||
		s.sealer.open(purposeAuth, req.AuthCookies[0].CookieData, &auth) != nil {
		s.logRequest(x)
		return nil, wusp.NewFault(wusp.InvalidAuthorizationCookie, "")
	}
	x.client, x.clientName = auth.ClientID, auth.DNSName
	s.logRequest(x)
	now := s.cfg.Now()
	var synced = session{}
	if req.OldCookie != nil {
		// An expired old cookie is what GetCookie exists to renew; only a
		// damaged or foreign one is refused.
		if err := s.sealer.open(purposeSess, req.OldCookie.EncryptedData, &synced); err != nil {
			if errors.Is(err, errForeignCookie) {
				return nil, wusp.NewFault(wusp.ServerChanged, "")
			}
			return nil, wusp.NewFault(wusp.InvalidCookie, "")
		}
	}
	if !validProtocolVersion(req.ProtocolVersion) {
		return nil, wusp.NewFault(wusp.InvalidParameters, "protocolVersion")
	}
	world := x.snap.world
	if req.LastChange.Before(world.LastChange()) {
		return nil, wusp.NewFault(wusp.ConfigChanged, "")
	}
	groups := []string{allComputers}
	if auth.TargetGroup != "" && !strings.EqualFold(auth.TargetGroup, allComputers) {
		groups = append(groups, auth.TargetGroup)
	}
	sess := session{
		ClientID:      auth.ClientID,
		DNSName:       auth.DNSName,
		Groups:        groups,
		Protocol:      req.ProtocolVersion,
		Issued:        now,
		Expires:       now.Add(s.cfg.CookieLifetime),
		ConfigChange:  world.LastChange(),
		SyncedThrough: synced.SyncedThrough,
	}
	return &wusp.GetCookieResponse{Result: s.sealer.cookie(sess)}, nil
}

// validProtocolVersion accepts "major.minor", as every agent sends.
func validProtocolVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	return ok && major != "" && minor != "" && strings.Trim(major+minor, "0123456789") == ""
}

// syncUpdates follows MS-WUSP §3.1.5.7. The sync computation itself, and the
// 954960 defect in it, belong to the scenario's world.
func (s *Server) syncUpdates(x *exchange, req *wusp.SyncUpdatesRequest) (wusp.Message, error) {
	sess, f := s.session(x, req.Cookie)
	if f != nil {
		return nil, f
	}
	world := x.snap.world
	if sess.ConfigChange.Before(world.LastChange()) {
		return nil, wusp.NewFault(wusp.ConfigChanged, "")
	}
	// The ID lists were bounded when the request was decoded.
	p := req.Parameters
	if p.HasSystemSpec && !p.SkipSoftwareSync {
		return nil, wusp.NewFault(wusp.InvalidParameters, "parameters.SystemSpec")
	}
	res, err := world.Sync(scenarios.SyncRequest{
		TargetGroups:     sess.Groups,
		InstalledNonLeaf: p.InstalledNonLeafUpdateIDs,
		OtherCached:      p.OtherCachedUpdateIDs,
		ClientProtocol:   sess.Protocol,
		Since:            sess.SyncedThrough,
		SkipSoftwareSync: p.SkipSoftwareSync,

		NeedTwoGroupOutOfScopeUpdates: p.NeedTwoGroupOutOfScopeUpdates,
	})
	// Sync returns the error unwrapped: a type assertion answers the
	// KB954960 fault without the allocation errors.As costs.
	if dup, ok := err.(*scenarios.DuplicateKeyError); ok {
		// GetSyncInfo's ArgumentException: WSUS logged it with its stack,
		// then SoapUtilities turned it into InternalServerError with an
		// empty Message (advisory 954960's server log).
		if sl := s.cfg.ServerLog; sl != nil {
			sl.DuplicateRevision(x.thread, dup.Key)
		}
		return nil, wusp.NewFault(wusp.InternalServerError, "")
	}
	if err != nil {
		return nil, err
	}
	if res.MaxLastChange.After(sess.SyncedThrough) {
		sess.SyncedThrough = res.MaxLastChange
	}
	return &wusp.SyncUpdatesResponse{Result: wusp.SyncInfo{
		NewUpdates:            res.NewUpdates,
		OutOfScopeRevisionIDs: res.OutOfScopeRevisionIDs,
		ChangedUpdates:        res.ChangedUpdates,
		Truncated:             res.Truncated,
		NewCookie:             s.sealer.cookie(sess),

		DeployedOutOfScopeRevisionIDs: res.DeployedOutOfScopeRevisionIDs,
		DriverSyncNotNeeded:           res.DriverSyncNotNeeded,
	}}, nil
}

func (s *Server) refreshCache(x *exchange, sess session, req *wusp.RefreshCacheRequest) wusp.Message {
	return &wusp.RefreshCacheResponse{Result: x.snap.world.Refresh(req.GlobalIDs, sess.Groups, sess.Protocol)}
}

func (s *Server) getExtendedUpdateInfo(x *exchange, req *wusp.GetExtendedUpdateInfoRequest) (wusp.Message, error) {
	if _, f := s.session(x, req.Cookie); f != nil {
		return nil, f
	}
	updates, outOfScope := x.snap.world.ExtendedInfo(req.RevisionIDs, req.InfoTypes, req.Locales)
	return &wusp.GetExtendedUpdateInfoResponse{Result: wusp.ExtendedUpdateInfo{Updates: updates, OutOfScopeRevisionIDs: outOfScope}}, nil
}

// getFileLocations answers MS-WUSP §3.1.5.10. The mock's catalog carries
// metadata only, so no digest has a location: each must still be a SHA-1
// (20 bytes), and a fresh cookie comes back.
func (s *Server) getFileLocations(x *exchange, req *wusp.GetFileLocationsRequest) (wusp.Message, error) {
	sess, f := s.session(x, req.Cookie)
	if f != nil {
		return nil, f
	}
	for _, d := range req.FileDigests {
		if len(d) != 20 {
			return nil, wusp.NewFault(wusp.InvalidParameters, "fileDigests")
		}
	}
	return &wusp.GetFileLocationsResponse{Result: wusp.GetFileLocationsResults{
		FileLocations: []wusp.FileLocation{},
		NewCookie:     s.sealer.cookie(sess),
	}}, nil
}
