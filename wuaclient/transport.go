package wuaclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/wsusmock/wsusmock/wusp"
)

// UserAgent is what a 2008 agent sent: no version and no Client-Protocol
// suffix, unlike Windows 10 (docs/protocol-facts.md §1.1).
const UserAgent = "Windows-Update-Agent"

// maxResponseBytes bounds a reply; the largest a detection cycle gets, a
// truncated SyncUpdates of 200 revisions, is a few hundred kilobytes.
const maxResponseBytes = 32 << 20

// exchangeError is a failed call: a SOAP fault (WSUS or protocol) or a
// transport failure, with the HTTP status that came (0 if none).
type exchangeError struct {
	op     string
	status int
	err    error // *wusp.Fault, *wusp.ProtocolFault or *TransportError
}

func (e *exchangeError) Error() string { return e.op + ": " + e.err.Error() }
func (e *exchangeError) Unwrap() error { return e.err }

// call POSTs one SOAP request as WUA does and decodes the reply into resp.
// A fault is a fault whatever status carried it: WSUS 3.0 sent 500, the
// advisory's client logged 200 (docs/protocol-facts.md §2.3).
func (cy *cycle) call(endpoint *url.URL, op wusp.Operation, req, resp wusp.Message) error {
	cy.res.Calls = append(cy.res.Calls, op.Name)
	ctx, cancel := context.WithTimeout(cy.ctx, cy.c.requestTimeout())
	defer cancel()
	reqBody, err := atlShape(op, req)
	var hreq *http.Request
	if err == nil {
		hreq, err = http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(reqBody))
	}
	if err != nil {
		return &exchangeError{op: op.Name, err: &TransportError{Op: op.Name, HR: SOAPClientSend, SOAPClientError: 5, Err: err}}
	}
	h := hreq.Header
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("SOAPAction", op.QuotedSOAPAction())
	h.Set("User-Agent", UserAgent)
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Connection", "Keep-Alive")

	hresp, err := cy.c.httpClient().Do(hreq)
	if err != nil {
		if cy.ctx.Err() != nil {
			return cy.ctx.Err()
		}
		hr, ce := sendHRESULT(err)
		return &exchangeError{op: op.Name, err: &TransportError{Op: op.Name, HR: hr, SOAPClientError: ce, Err: err}}
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hresp.Body, maxResponseBytes))
	// Drain what is left so the connection goes back to the pool.
	_, _ = io.Copy(io.Discard, hresp.Body)
	status := hresp.StatusCode
	if err != nil {
		if cy.ctx.Err() != nil {
			return cy.ctx.Err()
		}
		return &exchangeError{op: op.Name, status: status, err: &TransportError{Op: op.Name, HR: SOAPClientRead, Status: status, SOAPClientError: 9, Err: err}}
	}
	perr := wusp.ParseResponse(body, op, resp)
	var wf *wusp.Fault
	var pf *wusp.ProtocolFault
	switch {
	case errors.As(perr, &wf), errors.As(perr, &pf):
		return &exchangeError{op: op.Name, status: status, err: perr}
	case status != http.StatusOK:
		return &exchangeError{op: op.Name, status: status, err: &TransportError{Op: op.Name, HR: HTTPStatusHRESULT(status),
			Status: status, SOAPClientError: soapClientErrorHTTP, Err: errors.New(statusText(status))}}
	case perr != nil:
		return &exchangeError{op: op.Name, status: status, err: &TransportError{Op: op.Name, HR: SOAPClientParse,
			Status: status, SOAPClientError: 10, Err: fmt.Errorf("unreadable reply: %w", perr)}}
	}
	return nil
}

// resolve returns the server root joined with a relative service path.
func resolve(base *url.URL, rel string) (*url.URL, error) {
	r, err := url.Parse(strings.TrimLeft(rel, "/"))
	if err != nil {
		return nil, err
	}
	if r.IsAbs() {
		return r, nil
	}
	return base.ResolveReference(r), nil
}

// serverRoot parses the server URL and makes sure it ends in a slash, so
// relative service paths resolve beneath it.
func serverRoot(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST[:PORT]/ or https://…", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}
