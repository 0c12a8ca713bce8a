package wuaclient

import (
	"errors"

	"github.com/wsusmock/wsusmock/wusp"
)

// Unreachable returns the network error when the cycle ended because no
// HTTP reply came at all (the connection was refused, the name did not
// resolve, the TLS handshake failed, the request timed out), and nil
// otherwise.
func (r *Result) Unreachable() error {
	var te *TransportError
	if !r.Succeeded && errors.As(r.Err, &te) && te.Status == 0 {
		return te.Err
	}
	return nil
}

// Conclusive reports whether the cycle ended in something the server said
// about the sync: a completed sync, a WSUS fault or another SOAP fault.
// Only such a cycle carries a verdict on the server. An unreachable
// server, an HTTP error without a SOAP body, an unreadable reply or a
// sync that never converged does not, and a detector that read "clean"
// into one would be wrong.
func (r *Result) Conclusive() bool {
	var pf *wusp.ProtocolFault
	return r.Succeeded || r.Fault != nil || errors.As(r.Err, &pf)
}
