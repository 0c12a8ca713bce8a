package wusp

import (
	"slices"
	"time"

	"github.com/beevik/etree"
)

// Message is a request or response body: the children of the operation
// element (for a request) or of the <Op>Response element (for a response).
type Message interface {
	appendXML(op *etree.Element)
	readXML(op *Element) error
}

// GetAuthorizationCookieRequest (SimpleAuth, MS-WUSP §2.2.2.1.1).
type GetAuthorizationCookieRequest struct {
	ClientID        string // the SusClientId GUID
	TargetGroupName string
	DNSName         string
}

func (r *GetAuthorizationCookieRequest) appendXML(e *etree.Element) {
	addString(e, "clientId", r.ClientID)
	addString(e, "targetGroupName", r.TargetGroupName)
	addString(e, "dnsName", r.DNSName)
}

func (r *GetAuthorizationCookieRequest) readXML(e *Element) (err error) {
	// clientId and dnsName are judged by the server, which answers a bad
	// one as WSUS did; only their size is bounded here.
	if r.ClientID, err = reqStringMax(e, "", "clientId", MaxTextLength); err != nil {
		return err
	}
	if r.TargetGroupName, err = optStringMax(e, "", "targetGroupName", MaxNameLength); err != nil {
		return err
	}
	r.DNSName, err = reqStringMax(e, "", "dnsName", MaxTextLength)
	return err
}

// GetAuthorizationCookieResponse carries the plug-in's cookie.
type GetAuthorizationCookieResponse struct{ Result AuthorizationCookie }

func (r *GetAuthorizationCookieResponse) appendXML(e *etree.Element) {
	r.Result.appendXML(add(e, "GetAuthorizationCookieResult"))
}

func (r *GetAuthorizationCookieResponse) readXML(e *Element) error {
	res, err := reqChild(e, "", "GetAuthorizationCookieResult")
	if err != nil {
		return err
	}
	return r.Result.readXML(res, "GetAuthorizationCookieResult")
}

// GetConfigRequest (MS-WUSP §2.2.2.2.1).
type GetConfigRequest struct{ ProtocolVersion string }

func (r *GetConfigRequest) appendXML(e *etree.Element) {
	addString(e, "protocolVersion", r.ProtocolVersion)
}

func (r *GetConfigRequest) readXML(e *Element) (err error) {
	r.ProtocolVersion, err = reqStringMax(e, "", "protocolVersion", MaxNameLength)
	return err
}

// GetConfigResponse carries the server's Config.
type GetConfigResponse struct{ Result Config }

func (r *GetConfigResponse) appendXML(e *etree.Element) {
	r.Result.appendXML(add(e, "GetConfigResult"))
}

func (r *GetConfigResponse) readXML(e *Element) error {
	res, err := reqChild(e, "", "GetConfigResult")
	if err != nil {
		return err
	}
	return r.Result.readXML(res, "GetConfigResult")
}

// GetCookieRequest (MS-WUSP §2.2.2.2.2). OldCookie is nil when WUA sends
// <oldCookie xsi:nil="1" /> or nothing.
type GetCookieRequest struct {
	AuthCookies     []AuthorizationCookie
	OldCookie       *Cookie
	LastChange      time.Time
	CurrentTime     time.Time
	ProtocolVersion string
}

func (r *GetCookieRequest) appendXML(e *etree.Element) {
	arr := add(e, "authCookies")
	for _, a := range r.AuthCookies {
		a.appendXML(add(arr, "AuthorizationCookie"))
	}
	if r.OldCookie != nil {
		r.OldCookie.appendXML(add(e, "oldCookie"))
	} else {
		add(e, "oldCookie").CreateAttr("xsi:nil", "true")
	}
	addTime(e, "lastChange", r.LastChange)
	addTime(e, "currentTime", r.CurrentTime)
	addString(e, "protocolVersion", r.ProtocolVersion)
}

func (r *GetCookieRequest) readXML(e *Element) (err error) {
	arr, err := reqChild(e, "", "authCookies")
	if err != nil {
		return err
	}
	if n := countChildren(arr, "AuthorizationCookie"); n > MaxAuthCookies {
		return &LimitError{Path: "authCookies", Limit: MaxAuthCookies, Unit: "items"}
	}
	for _, el := range children(arr, "AuthorizationCookie") {
		var a AuthorizationCookie
		if err := a.readXML(el, "authCookies.AuthorizationCookie"); err != nil {
			return err
		}
		r.AuthCookies = append(r.AuthCookies, a)
	}
	if old := child(e, "oldCookie"); old != nil && child(old, "EncryptedData") != nil {
		r.OldCookie = new(Cookie)
		if err := r.OldCookie.readXML(old, "oldCookie"); err != nil {
			return err
		}
	}
	if r.LastChange, err = reqTime(e, "", "lastChange"); err != nil {
		return err
	}
	if r.CurrentTime, err = optTime(e, "", "currentTime"); err != nil {
		return err
	}
	r.ProtocolVersion, err = reqStringMax(e, "", "protocolVersion", MaxNameLength)
	return err
}

// GetCookieResponse carries the new session cookie.
type GetCookieResponse struct{ Result Cookie }

func (r *GetCookieResponse) appendXML(e *etree.Element) {
	r.Result.appendXML(add(e, "GetCookieResult"))
}

func (r *GetCookieResponse) readXML(e *Element) error {
	c, err := readCookie(e, "", "GetCookieResult")
	r.Result = c
	return err
}

// RegisterComputerRequest (MS-WUSP §2.2.2.2.3).
type RegisterComputerRequest struct {
	Cookie       Cookie
	ComputerInfo ComputerInfo
}

func (r *RegisterComputerRequest) appendXML(e *etree.Element) {
	r.Cookie.appendXML(add(e, "cookie"))
	r.ComputerInfo.appendXML(add(e, "computerInfo"))
}

func (r *RegisterComputerRequest) readXML(e *Element) (err error) {
	if r.Cookie, err = readCookie(e, "", "cookie"); err != nil {
		return err
	}
	ci, err := reqChild(e, "", "computerInfo")
	if err != nil {
		return err
	}
	return r.ComputerInfo.readXML(ci, "computerInfo")
}

// RegisterComputerResponse is empty.
type RegisterComputerResponse struct{}

func (*RegisterComputerResponse) appendXML(*etree.Element) {}
func (*RegisterComputerResponse) readXML(*Element) error   { return nil }

// SyncUpdateParameters (MS-WUSP §2.2.2.2.4), the elements a 2008 agent sent.
type SyncUpdateParameters struct {
	ExpressQuery              bool
	InstalledNonLeafUpdateIDs []int
	OtherCachedUpdateIDs      []int
	// HasSystemSpec records that a SystemSpec was sent; the server refuses
	// one on a software pass.
	HasSystemSpec    bool
	CachedDriverIDs  []int
	SkipSoftwareSync bool
	// NeedTwoGroupOutOfScopeUpdates asks a 3.2 server for
	// DeployedOutOfScopeRevisionIds; clients of protocol 1.7 and later
	// send it, no 2008 agent did.
	NeedTwoGroupOutOfScopeUpdates bool
}

// SyncUpdatesRequest (MS-WUSP §2.2.2.2.4). Decoded into again, it reuses
// the arrays its ID lists and its cookie's EncryptedData already have: a
// server decodes every request into one reused request and allocates
// nothing for them, and must not keep them past the request.
type SyncUpdatesRequest struct {
	Cookie     Cookie
	Parameters SyncUpdateParameters
}

func (r *SyncUpdatesRequest) appendXML(e *etree.Element) {
	r.Cookie.appendXML(add(e, "cookie"))
	p := add(e, "parameters")
	addBool(p, "ExpressQuery", r.Parameters.ExpressQuery)
	addInts(p, "InstalledNonLeafUpdateIDs", r.Parameters.InstalledNonLeafUpdateIDs)
	addInts(p, "OtherCachedUpdateIDs", r.Parameters.OtherCachedUpdateIDs)
	addInts(p, "CachedDriverIDs", r.Parameters.CachedDriverIDs)
	addBool(p, "SkipSoftwareSync", r.Parameters.SkipSoftwareSync)
	if r.Parameters.NeedTwoGroupOutOfScopeUpdates {
		addBool(p, "NeedTwoGroupOutOfScopeUpdates", true)
	}
}

func (r *SyncUpdatesRequest) readXML(e *Element) (err error) {
	if r.Cookie, err = readCookieInto(e, "", "cookie", r.Cookie.EncryptedData); err != nil {
		return err
	}
	p, err := reqChild(e, "", "parameters")
	if err != nil {
		return err
	}
	const pp = "parameters"
	if r.Parameters.ExpressQuery, err = reqBool(p, pp, "ExpressQuery"); err != nil {
		return err
	}
	if r.Parameters.InstalledNonLeafUpdateIDs, err = intsMax(p, pp, "InstalledNonLeafUpdateIDs", MaxInstalledNonLeafUpdateIDs, true, r.Parameters.InstalledNonLeafUpdateIDs); err != nil {
		return err
	}
	if r.Parameters.OtherCachedUpdateIDs, err = intsMax(p, pp, "OtherCachedUpdateIDs", MaxCachedUpdateIDs, true, r.Parameters.OtherCachedUpdateIDs); err != nil {
		return err
	}
	r.Parameters.HasSystemSpec = child(p, "SystemSpec") != nil
	if r.Parameters.CachedDriverIDs, err = intsMax(p, pp, "CachedDriverIDs", MaxCachedUpdateIDs, false, r.Parameters.CachedDriverIDs); err != nil {
		return err
	}
	if r.Parameters.SkipSoftwareSync, err = reqBool(p, pp, "SkipSoftwareSync"); err != nil {
		return err
	}
	r.Parameters.NeedTwoGroupOutOfScopeUpdates, err = optBool(p, pp, "NeedTwoGroupOutOfScopeUpdates")
	return err
}

// SyncInfo is the result of SyncUpdates, in MS-WUSP order (§2.2.2.2.4).
type SyncInfo struct {
	NewUpdates            []UpdateInfo
	OutOfScopeRevisionIDs []int
	ChangedUpdates        []UpdateInfo
	Truncated             bool
	NewCookie             Cookie
	// DeployedOutOfScopeRevisionIDs and DriverSyncNotNeeded are a 3.2
	// server's (WSUS 3.0 SP2), sent only to clients of protocol 1.7 or
	// later, the first only when the client asked for it
	// (NeedTwoGroupOutOfScopeUpdates). A nil slice and an empty string are
	// left out of the reply; an empty, non-nil slice is written empty.
	DeployedOutOfScopeRevisionIDs []int
	DriverSyncNotNeeded           string // "true" or "false"
}

// SyncUpdatesResponse carries the SyncInfo.
type SyncUpdatesResponse struct{ Result SyncInfo }

func (r *SyncUpdatesResponse) appendXML(e *etree.Element) {
	res := add(e, "SyncUpdatesResult")
	appendUpdateInfos(res, "NewUpdates", r.Result.NewUpdates)
	addInts(res, "OutOfScopeRevisionIDs", r.Result.OutOfScopeRevisionIDs)
	appendUpdateInfos(res, "ChangedUpdates", r.Result.ChangedUpdates)
	addBool(res, "Truncated", r.Result.Truncated)
	r.Result.NewCookie.appendXML(add(res, "NewCookie"))
	addInts(res, "DeployedOutOfScopeRevisionIds", r.Result.DeployedOutOfScopeRevisionIDs)
	if r.Result.DriverSyncNotNeeded != "" {
		addString(res, "DriverSyncNotNeeded", r.Result.DriverSyncNotNeeded)
	}
}

func (r *SyncUpdatesResponse) readXML(e *Element) (err error) {
	const p = "SyncUpdatesResult"
	res, err := reqChild(e, "", p)
	if err != nil {
		return err
	}
	if r.Result.NewUpdates, err = readUpdateInfos(res, p, "NewUpdates"); err != nil {
		return err
	}
	if r.Result.OutOfScopeRevisionIDs, err = ints(res, p, "OutOfScopeRevisionIDs"); err != nil {
		return err
	}
	if r.Result.ChangedUpdates, err = readUpdateInfos(res, p, "ChangedUpdates"); err != nil {
		return err
	}
	if r.Result.Truncated, err = reqBool(res, p, "Truncated"); err != nil {
		return err
	}
	if c := child(res, "NewCookie"); c != nil {
		if err = r.Result.NewCookie.readXML(c, p+".NewCookie"); err != nil {
			return err
		}
	}
	if child(res, "DeployedOutOfScopeRevisionIds") != nil {
		if r.Result.DeployedOutOfScopeRevisionIDs, err = ints(res, p, "DeployedOutOfScopeRevisionIds"); err != nil {
			return err
		}
		if r.Result.DeployedOutOfScopeRevisionIDs == nil {
			r.Result.DeployedOutOfScopeRevisionIDs = []int{}
		}
	}
	r.Result.DriverSyncNotNeeded = optString(res, "DriverSyncNotNeeded")
	return nil
}

// CategoryRelationship is one category of a StartCategoryScan request: the
// categories of one IndexOfAndGroup are ANDed, the groups ORed.
type CategoryRelationship struct {
	IndexOfAndGroup int
	CategoryID      string
}

// StartCategoryScanRequest asks a 3.2 server which categories a scan
// should filter on (MS-WUSP §2.2.2.2.8). It carries no cookie: a captured
// one has none (CaddyGlow/wsus-rs
// docs/fixtures/wsus-m0-native/scan/000005).
type StartCategoryScanRequest struct {
	RequestedCategories []CategoryRelationship
}

func (r *StartCategoryScanRequest) appendXML(e *etree.Element) {
	arr := add(e, "requestedCategories")
	for _, c := range r.RequestedCategories {
		rel := add(arr, "CategoryRelationship")
		addInt(rel, "IndexOfAndGroup", c.IndexOfAndGroup)
		addString(rel, "CategoryId", c.CategoryID)
	}
}

func (r *StartCategoryScanRequest) readXML(e *Element) error {
	const p = "requestedCategories"
	arr, err := reqChild(e, "", p)
	if err != nil {
		return err
	}
	if n := countChildren(arr, "CategoryRelationship"); n > MaxRequestedCategories {
		return &LimitError{Path: p, Limit: MaxRequestedCategories, Unit: "items"}
	}
	for _, el := range children(arr, "CategoryRelationship") {
		const pp = p + ".CategoryRelationship"
		var c CategoryRelationship
		if c.IndexOfAndGroup, err = reqInt(el, pp, "IndexOfAndGroup"); err != nil {
			return err
		}
		if c.CategoryID, err = reqStringMax(el, pp, "CategoryId", MaxNameLength); err != nil {
			return err
		}
		r.RequestedCategories = append(r.RequestedCategories, c)
	}
	return nil
}

// StartCategoryScanResponse has two direct children and no Result element:
// the categories the client should filter its SyncUpdates on, and those
// the server could not use.
type StartCategoryScanResponse struct {
	PreferredCategoryIDs        []string
	RequestedCategoryIDsInError []string
}

func (r *StartCategoryScanResponse) appendXML(e *etree.Element) {
	addStrs(e, "preferredCategoryIds", "guid", r.PreferredCategoryIDs)
	addStrs(e, "requestedCategoryIdsInError", "guid", r.RequestedCategoryIDsInError)
}

func (r *StartCategoryScanResponse) readXML(e *Element) (err error) {
	if r.PreferredCategoryIDs, err = strsMax(e, "", "preferredCategoryIds", "guid", MaxElements, MaxNameLength); err != nil {
		return err
	}
	r.RequestedCategoryIDsInError, err = strsMax(e, "", "requestedCategoryIdsInError", "guid", MaxElements, MaxNameLength)
	return err
}

// RefreshCacheRequest (MS-WUSP §2.2.2.2.5).
type RefreshCacheRequest struct {
	Cookie    Cookie
	GlobalIDs []UpdateIdentity
}

func (r *RefreshCacheRequest) appendXML(e *etree.Element) {
	r.Cookie.appendXML(add(e, "cookie"))
	arr := add(e, "globalIDs")
	for _, g := range r.GlobalIDs {
		g.appendXML(add(arr, "UpdateIdentity"))
	}
}

func (r *RefreshCacheRequest) readXML(e *Element) (err error) {
	if r.Cookie, err = readCookie(e, "", "cookie"); err != nil {
		return err
	}
	arr, err := reqChild(e, "", "globalIDs")
	if err != nil {
		return err
	}
	if n := countChildren(arr, "UpdateIdentity"); n > MaxCachedUpdateIDs {
		return &LimitError{Path: "globalIDs", Limit: MaxCachedUpdateIDs, Unit: "items"}
	}
	for _, el := range children(arr, "UpdateIdentity") {
		var g UpdateIdentity
		if err := g.readXML(el, "globalIDs.UpdateIdentity"); err != nil {
			return err
		}
		r.GlobalIDs = append(r.GlobalIDs, g)
	}
	return nil
}

// RefreshCacheResult maps a global identity back to this server's revision.
type RefreshCacheResult struct {
	RevisionID int
	GlobalID   UpdateIdentity
	IsLeaf     bool
	Deployment Deployment
}

// RefreshCacheResponse lists one result per identity the server knows.
type RefreshCacheResponse struct{ Result []RefreshCacheResult }

func (r *RefreshCacheResponse) appendXML(e *etree.Element) {
	arr := add(e, "RefreshCacheResult")
	for _, res := range r.Result {
		el := add(arr, "RefreshCacheResult")
		addInt(el, "RevisionID", res.RevisionID)
		res.GlobalID.appendXML(add(el, "GlobalID"))
		addBool(el, "IsLeaf", res.IsLeaf)
		res.Deployment.appendXML(add(el, "Deployment"))
	}
}

func (r *RefreshCacheResponse) readXML(e *Element) (err error) {
	const p = "RefreshCacheResult.RefreshCacheResult"
	for _, el := range children(child(e, "RefreshCacheResult"), "RefreshCacheResult") {
		var res RefreshCacheResult
		if res.RevisionID, err = reqInt(el, p, "RevisionID"); err != nil {
			return err
		}
		g, err := reqChild(el, p, "GlobalID")
		if err != nil {
			return err
		}
		if err := res.GlobalID.readXML(g, p+".GlobalID"); err != nil {
			return err
		}
		if res.IsLeaf, err = reqBool(el, p, "IsLeaf"); err != nil {
			return err
		}
		if d := child(el, "Deployment"); d != nil {
			if err := res.Deployment.readXML(d, p+".Deployment"); err != nil {
				return err
			}
		}
		r.Result = append(r.Result, res)
	}
	return nil
}

// GetExtendedUpdateInfoRequest (MS-WUSP §2.2.2.2.6).
type GetExtendedUpdateInfoRequest struct {
	Cookie      Cookie
	RevisionIDs []int
	InfoTypes   []string // XmlUpdateFragmentType: Published, Core, Extended, VerificationRule, LocalizedProperties, Eula
	Locales     []string
}

func (r *GetExtendedUpdateInfoRequest) appendXML(e *etree.Element) {
	r.Cookie.appendXML(add(e, "cookie"))
	addInts(e, "revisionIDs", nonNil(r.RevisionIDs))
	addStrs(e, "infoTypes", "XmlUpdateFragmentType", nonNilS(r.InfoTypes))
	addStrs(e, "locales", "string", nonNilS(r.Locales))
}

func (r *GetExtendedUpdateInfoRequest) readXML(e *Element) (err error) {
	if r.Cookie, err = readCookie(e, "", "cookie"); err != nil {
		return err
	}
	if child(e, "revisionIDs") == nil {
		return &MissingError{"revisionIDs"}
	}
	if r.RevisionIDs, err = intsMax(e, "", "revisionIDs", MaxExtendedUpdatesPerRequest, true, nil); err != nil {
		return err
	}
	if child(e, "infoTypes") == nil {
		return &MissingError{"infoTypes"}
	}
	if r.InfoTypes, err = strsMax(e, "", "infoTypes", "XmlUpdateFragmentType", MaxInfoTypes, MaxNameLength); err != nil {
		return err
	}
	for _, t := range r.InfoTypes {
		if !slices.Contains(xmlUpdateFragmentTypes[:], t) {
			return &ValueError{"infoTypes.XmlUpdateFragmentType", truncated(t), "XmlUpdateFragmentType"}
		}
	}
	r.Locales, err = strsMax(e, "", "locales", "string", MaxLocales, MaxLocaleLength)
	return err
}

// UpdateData is one metadata fragment of one revision.
type UpdateData struct {
	ID  int
	Xml string
	// encoded is the element ready-made (CacheEncoding), or nil.
	encoded []byte
}

// ExtendedUpdateInfo is the result of GetExtendedUpdateInfo.
type ExtendedUpdateInfo struct {
	Updates               []UpdateData
	FileLocations         []FileLocation
	OutOfScopeRevisionIDs []int
}

// GetExtendedUpdateInfoResponse carries the ExtendedUpdateInfo.
type GetExtendedUpdateInfoResponse struct{ Result ExtendedUpdateInfo }

func (r *GetExtendedUpdateInfoResponse) appendXML(e *etree.Element) {
	res := add(e, "GetExtendedUpdateInfoResult")
	if r.Result.Updates != nil {
		arr := add(res, "Updates")
		for _, u := range r.Result.Updates {
			el := add(arr, "Update")
			addInt(el, "ID", u.ID)
			addString(el, "Xml", u.Xml)
		}
	}
	appendFileLocations(res, r.Result.FileLocations)
	addInts(res, "OutOfScopeRevisionIDs", r.Result.OutOfScopeRevisionIDs)
}

func (r *GetExtendedUpdateInfoResponse) readXML(e *Element) (err error) {
	const p = "GetExtendedUpdateInfoResult"
	res, err := reqChild(e, "", p)
	if err != nil {
		return err
	}
	for _, el := range children(child(res, "Updates"), "Update") {
		id, err := reqInt(el, p+".Updates.Update", "ID")
		if err != nil {
			return err
		}
		r.Result.Updates = append(r.Result.Updates, UpdateData{ID: id, Xml: optString(el, "Xml")})
	}
	if r.Result.FileLocations, err = readFileLocations(res, p); err != nil {
		return err
	}
	r.Result.OutOfScopeRevisionIDs, err = ints(res, p, "OutOfScopeRevisionIDs")
	return err
}

// GetFileLocationsRequest (MS-WUSP §2.2.2.2.7).
type GetFileLocationsRequest struct {
	Cookie      Cookie
	FileDigests [][]byte
}

func (r *GetFileLocationsRequest) appendXML(e *etree.Element) {
	r.Cookie.appendXML(add(e, "cookie"))
	arr := add(e, "fileDigests")
	for _, d := range r.FileDigests {
		addBase64(arr, "base64Binary", d)
	}
}

func (r *GetFileLocationsRequest) readXML(e *Element) (err error) {
	if r.Cookie, err = readCookie(e, "", "cookie"); err != nil {
		return err
	}
	arr, err := reqChild(e, "", "fileDigests")
	if err != nil {
		return err
	}
	if n := countChildren(arr, "base64Binary"); n > MaxFileDigests {
		return &LimitError{Path: "fileDigests", Limit: MaxFileDigests, Unit: "items"}
	}
	for _, el := range children(arr, "base64Binary") {
		d, err := parseBase64("fileDigests", "base64Binary", el.rawText())
		if err != nil {
			return err
		}
		r.FileDigests = append(r.FileDigests, d)
	}
	return nil
}

// GetFileLocationsResults is the result of GetFileLocations.
type GetFileLocationsResults struct {
	FileLocations []FileLocation
	NewCookie     Cookie
}

// GetFileLocationsResponse carries the GetFileLocationsResults.
type GetFileLocationsResponse struct{ Result GetFileLocationsResults }

func (r *GetFileLocationsResponse) appendXML(e *etree.Element) {
	res := add(e, "GetFileLocationsResult")
	appendFileLocations(res, nonNilF(r.Result.FileLocations))
	r.Result.NewCookie.appendXML(add(res, "NewCookie"))
}

func (r *GetFileLocationsResponse) readXML(e *Element) (err error) {
	const p = "GetFileLocationsResult"
	res, err := reqChild(e, "", p)
	if err != nil {
		return err
	}
	if r.Result.FileLocations, err = readFileLocations(res, p); err != nil {
		return err
	}
	if c := child(res, "NewCookie"); c != nil {
		err = r.Result.NewCookie.readXML(c, p+".NewCookie")
	}
	return err
}

func nonNil(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}

func nonNilS(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func nonNilF(v []FileLocation) []FileLocation {
	if v == nil {
		return []FileLocation{}
	}
	return v
}
