package admin

import (
	"net/http"
	"strings"
)

// Code is the kind of an admin API refusal. Go callers test it with
// errors.As and Error.Code; on the wire it is the "code" of the error body
// and, through one table, the HTTP status.
type Code string

// The refusals of the admin API.
const (
	// NotFound: no such update, group, hotfix, scenario, rule or resource.
	NotFound Code = "not_found"
	// Conflict: the change does not apply to the server as it stands
	// (KB954960 on WSUS 3.0 RTM or SP2, approving a category).
	Conflict Code = "conflict"
	// Invalid: the request is malformed or names a bad value; Field says
	// which.
	Invalid Code = "invalid"
	// TooLarge: the request body is over the admin API's bound.
	TooLarge Code = "too_large"
	// NotAllowed: the resource does not take that method, or the operation
	// is never possible (removing KB954960).
	NotAllowed Code = "not_allowed"
	// UnsupportedMediaType: a request body that is not
	// Content-Type: application/json.
	UnsupportedMediaType Code = "unsupported_media_type"
	// Unauthorized: the server demands a token and none, or a wrong one,
	// was sent.
	Unauthorized Code = "unauthorized"
	// Forbidden: the caller may not use the admin API at all (not
	// loopback, a cross-site request, a foreign Host).
	Forbidden Code = "forbidden"
	// Internal: the server failed; a defect.
	Internal Code = "internal"
)

// httpStatus is the one table from codes to HTTP statuses; the client reads
// it backwards for replies that carry no code.
var httpStatus = map[Code]int{
	NotFound:             http.StatusNotFound,
	Conflict:             http.StatusConflict,
	Invalid:              http.StatusBadRequest,
	TooLarge:             http.StatusRequestEntityTooLarge,
	NotAllowed:           http.StatusMethodNotAllowed,
	UnsupportedMediaType: http.StatusUnsupportedMediaType,
	Unauthorized:         http.StatusUnauthorized,
	Forbidden:            http.StatusForbidden,
	Internal:             http.StatusInternalServerError,
}

// HTTPStatus is the status the admin API answers the code with.
func (c Code) HTTPStatus() int {
	if s, ok := httpStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// codeOf is the code of an HTTP status, for a reply without one.
func codeOf(status int) Code {
	for c, s := range httpStatus {
		if s == status {
			return c
		}
	}
	return Internal
}

// Error is a refused admin operation, in process and over the wire alike.
type Error struct {
	Code Code `json:"code"`
	// Message says what was refused, Reason why (and what to do instead).
	Message string `json:"error"`
	Reason  string `json:"reason"`
	// Field names the request field that was wrong, if one was.
	Field string `json:"field,omitempty"`
	// Rule names the access rule that refused the caller (loopback, token,
	// host, cross-site, content-type), if one did.
	Rule string `json:"rule,omitempty"`
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return e.Message
	}
	return e.Message + ": " + e.Reason
}

// Is matches a target *Error by its Code, so errors.Is(err,
// &admin.Error{Code: admin.NotFound}) asks for the kind of refusal.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.Reason == ""
}

func refuse(code Code, message, reason string) *Error {
	return &Error{Code: code, Message: message, Reason: reason}
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
