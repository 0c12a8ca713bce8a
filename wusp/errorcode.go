package wusp

import "fmt"

// ErrorCode is a WSUS application error, carried in a SOAP fault's
// detail/ErrorCode element (MS-WUSP §2.2.2.4).
type ErrorCode string

// The eleven client–server ErrorCodes, in the order of the MS-WUSP table.
const (
	InvalidCookie              ErrorCode = "InvalidCookie"
	ConfigChanged              ErrorCode = "ConfigChanged"
	RegistrationRequired       ErrorCode = "RegistrationRequired"
	ServerChanged              ErrorCode = "ServerChanged"
	InternalServerError        ErrorCode = "InternalServerError"
	CookieExpired              ErrorCode = "CookieExpired"
	InvalidParameters          ErrorCode = "InvalidParameters"
	InvalidAuthorizationCookie ErrorCode = "InvalidAuthorizationCookie"
	RegistrationNotRequired    ErrorCode = "RegistrationNotRequired"
	ServerBusy                 ErrorCode = "ServerBusy"
	FileLocationChanged        ErrorCode = "FileLocationChanged"
)

// ErrorCodes returns all eleven codes in MS-WUSP table order.
func ErrorCodes() []ErrorCode {
	return []ErrorCode{InvalidCookie, ConfigChanged, RegistrationRequired, ServerChanged,
		InternalServerError, CookieExpired, InvalidParameters, InvalidAuthorizationCookie,
		RegistrationNotRequired, ServerBusy, FileLocationChanged}
}

// ParseErrorCode accepts a code by its exact MS-WUSP name.
func ParseErrorCode(s string) (ErrorCode, error) {
	for _, c := range ErrorCodes() {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown WSUS ErrorCode %q", s)
}

// Number is the value WUA prints after the name, as in
// "ErrorCode:InternalServerError(5)". Only 5 is verified (advisory 954960);
// the others assume WUA numbers the codes in MS-WUSP table order from 1
// (docs/protocol-facts.md §2.2). Unknown codes are 0.
func (c ErrorCode) Number() int {
	for i, k := range ErrorCodes() {
		if k == c {
			return i + 1
		}
	}
	return 0
}

// FaultCode is the local name of the SOAP faultcode WSUS used for the code:
// "Server" for errors the caller cannot correct (InternalServerError,
// ServerBusy), "Client" for everything else. InternalServerError=Server and
// ConfigChanged/InvalidCookie/InvalidParameters=Client are verified; the rest
// follow the caller-correctable rule (docs/protocol-facts.md §2.1).
func (c ErrorCode) FaultCode() string {
	switch c {
	case InternalServerError, ServerBusy:
		return "Server"
	}
	return "Client"
}
