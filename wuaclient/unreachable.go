package wuaclient

import "errors"

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
