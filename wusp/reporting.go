package wusp

import (
	"cmp"
	"time"

	"github.com/beevik/etree"
)

// ReportingEvent is one event of ReportEventBatch (MS-WUSP §2.2.2.3.1),
// reduced to what a detection cycle reports: the BasicData and the
// ExtendedData. A 2008 agent reported detection
// success as EventID 147 and failure as 148 with the HRESULT.
type ReportingEvent struct {
	ClientID           string // BasicData/TargetID/Sid
	SequenceNumber     int
	TimeAtTarget       time.Time
	EventInstanceID    string
	NamespaceID        int
	EventID            int
	SourceID           int
	UpdateID           UpdateIdentity
	Win32HResult       int32
	AppName            string
	ReplacementStrings []string
	MiscData           []string
	// The rest of ExtendedData (MS-WUSP §6.3): the machine the event
	// happened on. ProcessorArchitecture, OSVersion and OSLocaleID are
	// required there (minOccurs=1); an empty ProcessorArchitecture is
	// written as Unknown.
	ComputerBrand, ComputerModel, BiosRevision string
	ProcessorArchitecture                      string // Unknown, X86Compatible, IA64Compatible, Amd64Compatible
	OSVersion                                  DetailedVersion
	OSLocaleID                                 int
}

// DetailedVersion is an operating system version with its service pack
// (MS-WUSP §6.3).
type DetailedVersion struct {
	Major, Minor, Build, Revision      int
	ServicePackMajor, ServicePackMinor int
}

func (ev ReportingEvent) appendXML(e *etree.Element) {
	b := add(e, "BasicData")
	addString(add(b, "TargetID"), "Sid", ev.ClientID)
	addInt(b, "SequenceNumber", ev.SequenceNumber)
	addTime(b, "TimeAtTarget", ev.TimeAtTarget)
	addString(b, "EventInstanceID", ev.EventInstanceID)
	addInt(b, "NamespaceID", ev.NamespaceID)
	addInt(b, "EventID", ev.EventID)
	addInt(b, "SourceID", ev.SourceID)
	ev.UpdateID.appendXML(add(b, "UpdateID"))
	addInt(b, "Win32HResult", int(ev.Win32HResult))
	addString(b, "AppName", ev.AppName)
	x := add(e, "ExtendedData")
	addStrs(x, "ReplacementStrings", "string", nonNilS(ev.ReplacementStrings))
	addStrs(x, "MiscData", "string", nonNilS(ev.MiscData))
	for _, kv := range [][2]string{{"ComputerBrand", ev.ComputerBrand}, {"ComputerModel", ev.ComputerModel}, {"BiosRevision", ev.BiosRevision}} {
		if kv[1] != "" {
			addString(x, kv[0], kv[1])
		}
	}
	addString(x, "ProcessorArchitecture", cmp.Or(ev.ProcessorArchitecture, "Unknown"))
	v := add(x, "OSVersion")
	for _, kv := range []struct {
		name string
		n    int
	}{{"Major", ev.OSVersion.Major}, {"Minor", ev.OSVersion.Minor}, {"Build", ev.OSVersion.Build}, {"Revision", ev.OSVersion.Revision},
		{"ServicePackMajor", ev.OSVersion.ServicePackMajor}, {"ServicePackMinor", ev.OSVersion.ServicePackMinor}} {
		addInt(v, kv.name, kv.n)
	}
	addInt(x, "OSLocaleID", ev.OSLocaleID)
	p := add(e, "PrivateData")
	addString(p, "ComputerDnsName", "")
	addString(p, "UserAccountName", "")
}

func (ev *ReportingEvent) readXML(e *Element, p string) (err error) {
	b, err := reqChild(e, p, "BasicData")
	if err != nil {
		return err
	}
	bp := path(p, "BasicData")
	if ev.ClientID, err = optStringMax(child(b, "TargetID"), bp+".TargetID", "Sid", MaxNameLength); err != nil {
		return err
	}
	if ev.SequenceNumber, err = optInt(b, bp, "SequenceNumber"); err != nil {
		return err
	}
	if ev.TimeAtTarget, err = optTime(b, bp, "TimeAtTarget"); err != nil {
		return err
	}
	if ev.EventInstanceID, err = optStringMax(b, bp, "EventInstanceID", MaxNameLength); err != nil {
		return err
	}
	if ev.NamespaceID, err = optInt(b, bp, "NamespaceID"); err != nil {
		return err
	}
	if ev.EventID, err = reqInt(b, bp, "EventID"); err != nil {
		return err
	}
	if ev.SourceID, err = optInt(b, bp, "SourceID"); err != nil {
		return err
	}
	if u := child(b, "UpdateID"); u != nil {
		if err := ev.UpdateID.readXML(u, bp+".UpdateID"); err != nil {
			return err
		}
	}
	hr, err := optInt(b, bp, "Win32HResult")
	if err != nil {
		return err
	}
	ev.Win32HResult = int32(hr)
	if ev.AppName, err = optStringMax(b, bp, "AppName", MaxNameLength); err != nil {
		return err
	}
	x := child(e, "ExtendedData")
	xp := path(p, "ExtendedData")
	if ev.ReplacementStrings, err = strsMax(x, xp, "ReplacementStrings", "string", MaxEventStrings, MaxTextLength); err != nil {
		return err
	}
	ev.MiscData, err = strsMax(x, xp, "MiscData", "string", MaxEventStrings, MaxTextLength)
	return err
}

// ReportEventBatchRequest (Reporting web service).
type ReportEventBatchRequest struct {
	Cookie     Cookie
	ClientTime time.Time
	EventBatch []ReportingEvent
}

func (r *ReportEventBatchRequest) appendXML(e *etree.Element) {
	r.Cookie.appendXML(add(e, "cookie"))
	addTime(e, "clientTime", r.ClientTime)
	arr := add(e, "eventBatch")
	for _, ev := range r.EventBatch {
		ev.appendXML(add(arr, "ReportingEvent"))
	}
}

func (r *ReportEventBatchRequest) readXML(e *Element) (err error) {
	if r.Cookie, err = readCookie(e, "", "cookie"); err != nil {
		return err
	}
	if r.ClientTime, err = reqTime(e, "", "clientTime"); err != nil {
		return err
	}
	arr, err := reqChild(e, "", "eventBatch")
	if err != nil {
		return err
	}
	if n := countChildren(arr, "ReportingEvent"); n > MaxEventBatch {
		return &LimitError{Path: "eventBatch", Limit: MaxEventBatch, Unit: "items"}
	}
	for _, el := range children(arr, "ReportingEvent") {
		var ev ReportingEvent
		if err := ev.readXML(el, "eventBatch.ReportingEvent"); err != nil {
			return err
		}
		r.EventBatch = append(r.EventBatch, ev)
	}
	return nil
}

// ReportEventBatchResponse says whether the batch was accepted.
type ReportEventBatchResponse struct{ Result bool }

func (r *ReportEventBatchResponse) appendXML(e *etree.Element) {
	addBool(e, "ReportEventBatchResult", r.Result)
}

func (r *ReportEventBatchResponse) readXML(e *Element) (err error) {
	r.Result, err = reqBool(e, "", "ReportEventBatchResult")
	return err
}
