package wusp

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The bounds a request is held to while it is decoded, before the server
// does any work on it or records anything of it. Three are WSUS's own and
// keep WSUS's Message; the rest are the mock's, chosen far above anything a
// Windows Update Agent sends and low enough that no request makes the
// server hold or write much more than the request itself.
const (
	// MaxInstalledNonLeafUpdateIDs is maxInstalledPrerequisites of WSUS's
	// ClientWebService web.config (docs/protocol-facts.md §1.7).
	MaxInstalledNonLeafUpdateIDs = 400
	// MaxCachedUpdateIDs is maxCachedUpdates of the same web.config; it
	// also bounds CachedDriverIDs and RefreshCache's globalIDs.
	MaxCachedUpdateIDs = 22000
	// MaxExtendedUpdatesPerRequest bounds GetExtendedUpdateInfo's
	// revisionIDs; the server advertises it in its Config (the MS-WUSP
	// sample value, which WSUS used).
	MaxExtendedUpdatesPerRequest = 50

	// MaxInfoTypes bounds GetExtendedUpdateInfo's infoTypes: the schema's
	// XmlUpdateFragmentType has six values, and a type asked for twice
	// would only repeat fragments.
	MaxInfoTypes = len(xmlUpdateFragmentTypes)
	// MaxLocales bounds GetExtendedUpdateInfo's locales, MaxLocaleLength
	// each locale name (Windows' LOCALE_NAME_MAX_LENGTH is 85).
	MaxLocales      = 16
	MaxLocaleLength = 85
	// MaxAuthCookies bounds GetCookie's authCookies: one per authorization
	// plug-in, and WSUS has one.
	MaxAuthCookies = 8
	// MaxCookieLength bounds the base64 text of a cookie's EncryptedData
	// or an authorization cookie's CookieData; the server's own are about
	// 150 characters.
	MaxCookieLength = 4096
	// MaxFileDigests bounds GetFileLocations' fileDigests.
	MaxFileDigests = 1000
	// MaxEventBatch bounds ReportEventBatch's eventBatch, MaxEventStrings
	// the ReplacementStrings and MiscData of one event.
	MaxEventBatch   = 1000
	MaxEventStrings = 32
	// MaxTextLength bounds every other string a request carries: a DNS
	// name (255), a target group or computer model, an event's strings.
	MaxTextLength = 4096
	// MaxNameLength bounds names and identifiers: protocol versions,
	// target group names, update IDs, ComputerInfo's short fields.
	MaxNameLength = 256
)

// xmlUpdateFragmentTypes is the XmlUpdateFragmentType enumeration of the
// WSUS 3.0 schema (MS-WUSP §2.2.2.2.6).
var xmlUpdateFragmentTypes = [...]string{"Published", "Core", "Extended", "VerificationRule", "LocalizedProperties", "Eula"}

// LimitError reports a request that passes one of the bounds above; the
// server answers it with ErrorCode InvalidParameters.
type LimitError struct {
	Path  string // the element, e.g. parameters.OtherCachedUpdateIDs
	Limit int
	Unit  string // "items" or "characters"
	// WSUS marks a limit of WSUS's own, whose fault Message was the bare
	// element path (docs/protocol-facts.md §1.7).
	WSUS bool
}

func (e *LimitError) Error() string {
	return "element " + e.Path + ": more than " + strconv.Itoa(e.Limit) + " " + e.Unit
}

// Message is the InvalidParameters Message: the element path, and the
// limit unless WSUS's own Message was the bare path.
func (e *LimitError) Message() string {
	if e.WSUS {
		return e.Path
	}
	return e.Path + ": more than " + strconv.Itoa(e.Limit) + " " + e.Unit
}

// checkLen refuses a string longer than max characters. The byte length
// is looked at first, so a long string is refused without being counted.
func checkLen(p, name, s string, max int) error {
	if len(s) > max && utf8.RuneCountInString(s) > max {
		return &LimitError{Path: path(p, name), Limit: max, Unit: "characters"}
	}
	return nil
}

// truncated shortens a value quoted in an error to what a reader needs,
// as a copy: s may be a view into a Document.
func truncated(s string) string {
	const keep = 64
	if len(s) <= keep {
		return strings.Clone(s)
	}
	for i := keep; i > keep-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return s[:keep] + "…"
}
