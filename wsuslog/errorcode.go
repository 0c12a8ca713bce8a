package wsuslog

// errorCodes lists the MS-WUSP client-server ErrorCode values in the
// order of the spec's table (MS-WUSP §2.2.2.4, docs/protocol-facts.md §2.2).
var errorCodes = []string{
	"InvalidCookie",
	"ConfigChanged",
	"RegistrationRequired",
	"ServerChanged",
	"InternalServerError",
	"CookieExpired",
	"InvalidParameters",
	"InvalidAuthorizationCookie",
	"RegistrationNotRequired",
	"ServerBusy",
	"FileLocationChanged",
}

// ErrorCodeNumber returns the number WUA prints after an ErrorCode name
// in its fault dump ("ErrorCode:InternalServerError(5)"), or 0 for a
// name it does not know.
//
// Only InternalServerError = 5 is verified (KB954960's log). The other
// values assume that WUA's enumeration follows the MS-WUSP table order
// from 1, which agrees with that one point but is otherwise inferred
// (docs/protocol-facts.md §2.2, §7 item 4).
func ErrorCodeNumber(name string) int {
	for i, c := range errorCodes {
		if c == name {
			return i + 1
		}
	}
	return 0
}
