package wuaclient

import "errors"

// Unreachable returns the network error when the cycle ended because no
// HTTP reply came at all (the connection was refused, the name did not
// resolve, the TLS handshake failed, the request timed out), and nil
// otherwise.
func (r *Result) Unreachable() error {
	if r.Succeeded {
		return nil
	}
	var te *TransportError
	if errors.As(r.Err, &te) && te.Status == 0 {
		return te.Err
	}
	// The self-update check is the cycle's first request.
	var se *SelfUpdateError
	if errors.As(r.Err, &se) && se.Status == 0 {
		return se.Err
	}
	return nil
}
