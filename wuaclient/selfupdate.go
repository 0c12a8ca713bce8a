package wuaclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// SelfUpdatePath is the file the agent checks under the server root before
// every scan: the self-update content directory a WSUS server must expose
// (MS-WUSP §3.1.5.1).
const SelfUpdatePath = "selfupdate/wuident.cab"

// SelfUpdateError is a self-update check that could not fetch
// SelfUpdatePath. The agent then skips the scan: no SyncUpdates is sent,
// as a WSUS 3.0 SP1 client logged in March 2008 when its server had lost
// its SelfUpdate directory ("Skipping scan, self-update check returned
// 0x80244019").
type SelfUpdateError struct {
	URL    string
	Status int // the HTTP status, 0 when no reply came
	// HR is the agent's code: WU_E_PT_HTTP_STATUS_* for a status (0x80244019
	// for 404), else the transport's.
	HR HRESULT
	// WinHTTP is the code the transport logs: 0x8019xxxx with the status in
	// its low word for a status (0x80190194 for 404), else HR.
	WinHTTP HRESULT
	Err     error
}

func (e *SelfUpdateError) Error() string {
	return fmt.Sprintf("self-update check %s: %v (%s)", e.URL, e.Err, e.HR)
}

func (e *SelfUpdateError) Unwrap() error { return e.Err }

// selfUpdate asks for the file information of wuident.cab, as the agent
// does before it lets the protocol talker sync. The simulator does not
// validate the cabinet: it only needs to know the server offers one.
func (cy *cycle) selfUpdate() error {
	cy.log(cy.text.SelfUpdateCheck(cy.c.Profile.AgentVersion.String())...)
	u, _ := resolve(cy.root, SelfUpdatePath)
	ctx, cancel := context.WithTimeout(cy.ctx, cy.c.requestTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return &SelfUpdateError{URL: u.String(), HR: SOAPClientSend, WinHTTP: SOAPClientSend, Err: err}
	}
	req.Header.Set("User-Agent", UserAgent)
	resp, err := cy.c.httpClient().Do(req)
	if err != nil {
		if cy.ctx.Err() != nil {
			return cy.ctx.Err()
		}
		hr, _ := sendHRESULT(err)
		return &SelfUpdateError{URL: u.String(), HR: hr, WinHTTP: hr, Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &SelfUpdateError{URL: u.String(), Status: resp.StatusCode, HR: HTTPStatusHRESULT(resp.StatusCode),
			WinHTTP: bitsHTTPStatus + HRESULT(resp.StatusCode), Err: fmt.Errorf("HTTP %s", statusText(resp.StatusCode))}
	}
	cy.log(cy.text.SelfUpdateNotRequired())
	return nil
}
