package soapserver_test

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/wusp"
)

// adminError is every admin refusal, as the admin API sends it.
type adminError = admin.Error

// faultCode is the ErrorCode of a WSUS fault, "" for any other error.
func faultCode(err error) wusp.ErrorCode {
	var f *wusp.Fault
	if errors.As(err, &f) {
		return f.Code
	}
	return ""
}

// equalJSON compares two values by their JSON encoding.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
