package wusp

import (
	"time"

	"github.com/beevik/etree"
)

// The common types of MS-WUSP §2.2.3, each with its reader and writer.
// Element order in every writer is the schema's sequence order.

// Cookie is the server's opaque session token (MS-WUSP §2.2.3.5). WSUS keeps
// the client's state inside EncryptedData; Expiration is a clear-text copy.
type Cookie struct {
	Expiration    time.Time
	EncryptedData []byte
}

func (c *Cookie) readXML(e *Element, p string) error { return c.readXMLInto(e, p, nil) }

// readXMLInto is readXML decoding EncryptedData into dst's array when it
// has room.
func (c *Cookie) readXMLInto(e *Element, p string, dst []byte) (err error) {
	if c.Expiration, err = optTime(e, p, "Expiration"); err != nil {
		return err
	}
	s, err := reqTextMax(e, p, "EncryptedData", MaxCookieLength)
	if err != nil {
		return err
	}
	c.EncryptedData, err = parseBase64Into(p, "EncryptedData", s, dst[:0])
	return err
}

func (c Cookie) appendXML(e *etree.Element) {
	addTime(e, "Expiration", c.Expiration)
	addBase64(e, "EncryptedData", c.EncryptedData)
}

func readCookie(e *Element, p, name string) (Cookie, error) { return readCookieInto(e, p, name, nil) }

// readCookieInto is readCookie decoding EncryptedData into dst's array
// when it has room.
func readCookieInto(e *Element, p, name string, dst []byte) (Cookie, error) {
	var c Cookie
	el, err := reqChild(e, p, name)
	if err != nil {
		return c, err
	}
	err = c.readXMLInto(el, path(p, name), dst)
	return c, err
}

// AuthorizationCookie is what an authorization plug-in returns
// (MS-WUSP §2.2.3.4); WSUS's plug-in is "SimpleTargeting".
type AuthorizationCookie struct {
	PlugInID   string
	CookieData []byte
}

func (a *AuthorizationCookie) readXML(e *Element, p string) (err error) {
	if a.PlugInID, err = optStringMax(e, p, "PlugInId", MaxNameLength); err != nil {
		return err
	}
	s, err := reqTextMax(e, p, "CookieData", MaxCookieLength)
	if err != nil {
		return err
	}
	a.CookieData, err = parseBase64(p, "CookieData", s)
	return err
}

func (a AuthorizationCookie) appendXML(e *etree.Element) {
	addString(e, "PlugInId", a.PlugInID)
	addBase64(e, "CookieData", a.CookieData)
}

// AuthPlugInInfo names an authorization plug-in in the server's Config.
type AuthPlugInInfo struct {
	PlugInID   string
	ServiceURL string // relative to the server root
	Parameter  string
}

// ConfigurationProperty is one Name/Value pair of Config.Properties.
type ConfigurationProperty struct{ Name, Value string }

// Config is the result of GetConfig (MS-WUSP §2.2.2.2.1).
type Config struct {
	LastChange             time.Time
	IsRegistrationRequired bool
	AuthInfo               []AuthPlugInInfo
	AllowedEventIDs        []int
	Properties             []ConfigurationProperty
}

func (c Config) appendXML(e *etree.Element) {
	addTime(e, "LastChange", c.LastChange)
	addBool(e, "IsRegistrationRequired", c.IsRegistrationRequired)
	auth := add(e, "AuthInfo")
	for _, a := range c.AuthInfo {
		pi := add(auth, "AuthPlugInInfo")
		addString(pi, "PlugInID", a.PlugInID)
		addString(pi, "ServiceUrl", a.ServiceURL)
		addString(pi, "Parameter", a.Parameter)
	}
	// WSUS 3.0 sends no AllowedEventIds (MS-WUSP §4 GetConfig sample; a
	// real capture, CaddyGlow/wsus-rs docs/fixtures/wsus-m0/000001): a nil
	// list is left out, an empty one written empty.
	addInts(e, "AllowedEventIds", c.AllowedEventIDs)
	props := add(e, "Properties")
	for _, p := range c.Properties {
		cp := add(props, "ConfigurationProperty")
		addString(cp, "Name", p.Name)
		addString(cp, "Value", p.Value)
	}
}

func (c *Config) readXML(e *Element, p string) (err error) {
	if c.LastChange, err = reqTime(e, p, "LastChange"); err != nil {
		return err
	}
	if c.IsRegistrationRequired, err = reqBool(e, p, "IsRegistrationRequired"); err != nil {
		return err
	}
	for _, pi := range children(child(e, "AuthInfo"), "AuthPlugInInfo") {
		c.AuthInfo = append(c.AuthInfo, AuthPlugInInfo{
			PlugInID:   optString(pi, "PlugInID"),
			ServiceURL: optString(pi, "ServiceUrl"),
			Parameter:  optString(pi, "Parameter"),
		})
	}
	if c.AllowedEventIDs, err = ints(e, p, "AllowedEventIds"); err != nil {
		return err
	}
	for _, cp := range children(child(e, "Properties"), "ConfigurationProperty") {
		c.Properties = append(c.Properties, ConfigurationProperty{optString(cp, "Name"), optString(cp, "Value")})
	}
	return nil
}

// Property returns the value of a named configuration property.
func (c Config) Property(name string) (string, bool) {
	for _, p := range c.Properties {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// ComputerInfo describes the client machine in RegisterComputer
// (MS-WUSP §2.2.2.2.3). Only the fields a 2008 agent sent are modelled.
type ComputerInfo struct {
	DNSName                  string
	OSMajorVersion           int
	OSMinorVersion           int
	OSBuildNumber            int
	OSServicePackMajorNumber int
	OSServicePackMinorNumber int
	OSLocale                 string
	ComputerManufacturer     string
	ComputerModel            string
	BiosVersion              string
	BiosName                 string
	BiosReleaseDate          time.Time
	ProcessorArchitecture    string
	SuiteMask                int
	OldProductType           int
	NewProductType           int
	SystemMetrics            int
	ClientVersionMajorNumber int
	ClientVersionMinorNumber int
	ClientVersionBuildNumber int
	ClientVersionQfeNumber   int
}

func (c ComputerInfo) appendXML(e *etree.Element) {
	addString(e, "DnsName", c.DNSName)
	addInt(e, "OSMajorVersion", c.OSMajorVersion)
	addInt(e, "OSMinorVersion", c.OSMinorVersion)
	addInt(e, "OSBuildNumber", c.OSBuildNumber)
	addInt(e, "OSServicePackMajorNumber", c.OSServicePackMajorNumber)
	addInt(e, "OSServicePackMinorNumber", c.OSServicePackMinorNumber)
	addString(e, "OSLocale", c.OSLocale)
	addString(e, "ComputerManufacturer", c.ComputerManufacturer)
	addString(e, "ComputerModel", c.ComputerModel)
	addString(e, "BiosVersion", c.BiosVersion)
	addString(e, "BiosName", c.BiosName)
	addTime(e, "BiosReleaseDate", c.BiosReleaseDate)
	addString(e, "ProcessorArchitecture", c.ProcessorArchitecture)
	addInt(e, "SuiteMask", c.SuiteMask)
	addInt(e, "OldProductType", c.OldProductType)
	addInt(e, "NewProductType", c.NewProductType)
	addInt(e, "SystemMetrics", c.SystemMetrics)
	addInt(e, "ClientVersionMajorNumber", c.ClientVersionMajorNumber)
	addInt(e, "ClientVersionMinorNumber", c.ClientVersionMinorNumber)
	addInt(e, "ClientVersionBuildNumber", c.ClientVersionBuildNumber)
	addInt(e, "ClientVersionQfeNumber", c.ClientVersionQfeNumber)
}

func (c *ComputerInfo) readXML(e *Element, p string) (err error) {
	if c.DNSName, err = reqStringMax(e, p, "DnsName", MaxNameLength); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{"OSMajorVersion", &c.OSMajorVersion}, {"OSMinorVersion", &c.OSMinorVersion},
		{"OSBuildNumber", &c.OSBuildNumber}, {"OSServicePackMajorNumber", &c.OSServicePackMajorNumber},
		{"OSServicePackMinorNumber", &c.OSServicePackMinorNumber}, {"SuiteMask", &c.SuiteMask},
		{"OldProductType", &c.OldProductType}, {"NewProductType", &c.NewProductType},
		{"SystemMetrics", &c.SystemMetrics}, {"ClientVersionMajorNumber", &c.ClientVersionMajorNumber},
		{"ClientVersionMinorNumber", &c.ClientVersionMinorNumber}, {"ClientVersionBuildNumber", &c.ClientVersionBuildNumber},
		{"ClientVersionQfeNumber", &c.ClientVersionQfeNumber},
	} {
		if *f.dst, err = optInt(e, p, f.name); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"OSLocale", &c.OSLocale}, {"ComputerManufacturer", &c.ComputerManufacturer},
		{"ComputerModel", &c.ComputerModel}, {"BiosVersion", &c.BiosVersion},
		{"BiosName", &c.BiosName}, {"ProcessorArchitecture", &c.ProcessorArchitecture},
	} {
		if *f.dst, err = optStringMax(e, p, f.name, MaxNameLength); err != nil {
			return err
		}
	}
	c.BiosReleaseDate, err = optTime(e, p, "BiosReleaseDate")
	return err
}

// Deployment is how a revision is deployed to the client (MS-WUSP
// §2.2.2.2.4). AutoSelect, AutoDownload, SupersedenceBehavior and FlagBitmask
// exist only for clients of protocol 1.8 and later: empty means "not sent".
type Deployment struct {
	ID                   int
	Action               string // Install, Uninstall, PreDeploymentCheck, Evaluate, Bundle
	Deadline             string
	IsAssigned           bool
	LastChangeTime       string // a date, e.g. 2008-06-10
	DownloadPriority     string
	AutoSelect           string
	AutoDownload         string
	SupersedenceBehavior string
	FlagBitmask          string
}

func (d Deployment) appendXML(e *etree.Element) {
	addInt(e, "ID", d.ID)
	addString(e, "Action", d.Action)
	if d.Deadline != "" {
		addString(e, "Deadline", d.Deadline)
	}
	addBool(e, "IsAssigned", d.IsAssigned)
	addString(e, "LastChangeTime", d.LastChangeTime)
	for _, f := range [...]struct{ name, v string }{
		{"DownloadPriority", d.DownloadPriority}, {"AutoSelect", d.AutoSelect},
		{"AutoDownload", d.AutoDownload}, {"SupersedenceBehavior", d.SupersedenceBehavior},
		{"FlagBitmask", d.FlagBitmask},
	} {
		if f.v != "" {
			addString(e, f.name, f.v)
		}
	}
}

func (d *Deployment) readXML(e *Element, p string) (err error) {
	if d.ID, err = reqInt(e, p, "ID"); err != nil {
		return err
	}
	if d.Action, err = reqString(e, p, "Action"); err != nil {
		return err
	}
	d.Deadline = optString(e, "Deadline")
	if d.IsAssigned, err = optBool(e, p, "IsAssigned"); err != nil {
		return err
	}
	d.LastChangeTime = optString(e, "LastChangeTime")
	d.DownloadPriority = optString(e, "DownloadPriority")
	d.AutoSelect = optString(e, "AutoSelect")
	d.AutoDownload = optString(e, "AutoDownload")
	d.SupersedenceBehavior = optString(e, "SupersedenceBehavior")
	d.FlagBitmask = optString(e, "FlagBitmask")
	return nil
}

// UpdateInfo is one revision offered by SyncUpdates. Xml is the revision's
// Core metadata fragment, sent as escaped text.
type UpdateInfo struct {
	ID         int // the revision ID
	Deployment Deployment
	IsLeaf     bool
	Xml        string
	// encoded is the element ready-made (CacheEncoding), or nil.
	encoded []byte
}

func (u UpdateInfo) appendXML(e *etree.Element) {
	addInt(e, "ID", u.ID)
	u.Deployment.appendXML(add(e, "Deployment"))
	addBool(e, "IsLeaf", u.IsLeaf)
	addString(e, "Xml", u.Xml)
}

func (u *UpdateInfo) readXML(e *Element, p string) (err error) {
	if u.ID, err = reqInt(e, p, "ID"); err != nil {
		return err
	}
	dep, err := reqChild(e, p, "Deployment")
	if err != nil {
		return err
	}
	if err = u.Deployment.readXML(dep, path(p, "Deployment")); err != nil {
		return err
	}
	if u.IsLeaf, err = reqBool(e, p, "IsLeaf"); err != nil {
		return err
	}
	u.Xml = optString(e, "Xml")
	return nil
}

func appendUpdateInfos(e *etree.Element, name string, v []UpdateInfo) {
	if v == nil {
		return
	}
	arr := add(e, name)
	for _, u := range v {
		u.appendXML(add(arr, "UpdateInfo"))
	}
}

func readUpdateInfos(e *Element, p, name string) ([]UpdateInfo, error) {
	var out []UpdateInfo
	for _, el := range children(child(e, name), "UpdateInfo") {
		var u UpdateInfo
		if err := u.readXML(el, path(p, name)+".UpdateInfo"); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// UpdateIdentity is an update's global identity: UpdateID GUID and revision
// number.
type UpdateIdentity struct {
	UpdateID       string
	RevisionNumber int
}

func (u UpdateIdentity) appendXML(e *etree.Element) {
	addString(e, "UpdateID", u.UpdateID)
	addInt(e, "RevisionNumber", u.RevisionNumber)
}

func (u *UpdateIdentity) readXML(e *Element, p string) (err error) {
	if u.UpdateID, err = reqStringMax(e, p, "UpdateID", MaxNameLength); err != nil {
		return err
	}
	u.RevisionNumber, err = reqInt(e, p, "RevisionNumber")
	return err
}

// FileLocation maps a file's SHA-1 digest to a download URL.
type FileLocation struct {
	FileDigest []byte
	URL        string
}

func appendFileLocations(e *etree.Element, v []FileLocation) {
	if v == nil {
		return
	}
	arr := add(e, "FileLocations")
	for _, f := range v {
		fl := add(arr, "FileLocation")
		addBase64(fl, "FileDigest", f.FileDigest)
		addString(fl, "Url", f.URL)
	}
}

func readFileLocations(e *Element, p string) ([]FileLocation, error) {
	var out []FileLocation
	for _, fl := range children(child(e, "FileLocations"), "FileLocation") {
		s, err := reqString(fl, p+".FileLocations.FileLocation", "FileDigest")
		if err != nil {
			return nil, err
		}
		d, err := parseBase64(p+".FileLocations.FileLocation", "FileDigest", s)
		if err != nil {
			return nil, err
		}
		out = append(out, FileLocation{FileDigest: d, URL: optString(fl, "Url")})
	}
	return out, nil
}
