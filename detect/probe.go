package detect

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wuaclient"
)

// ProbeProfile is the built-in wuaclient profile Probe simulates: Windows
// XP SP3 with Office 2003, the machine advisory 954960 is about.
const ProbeProfile = "xp-sp3-office2003"

// Probe runs one detection cycle of a simulated Office 2003 client
// (ProbeProfile) against the WSUS server at serverURL (the server root,
// e.g. http://wsus01:8530/) and analyses the WindowsUpdate.log the
// client wrote, with the same rules as Analyze. The Report is named
// "probe <serverURL>"; a note carries the client's own summary.
//
// A cycle that ends in a WSUS or SOAP fault is a verdict, not an error.
// A cycle that never got the server's answer to the sync (the server is
// unreachable, answers with a bare HTTP error, or never converges) is an
// *InconclusiveProbeError: it has no verdict, and is never reported
// clean. The other errors are for a client that could not run (a bad URL,
// a cancelled ctx).
func Probe(ctx context.Context, serverURL string) (Report, error) {
	profile, err := wuaclient.BuiltinProfile(ProbeProfile)
	if err != nil {
		return Report{}, fmt.Errorf("detect: probe: %w", err)
	}
	// A transport of its own, closed afterwards, so that a probe leaves
	// no idle keep-alive connections behind.
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2}
	defer tr.CloseIdleConnections()
	return ProbeWith(ctx, &wuaclient.Client{ServerURL: serverURL, Profile: profile, HTTP: &http.Client{Transport: tr}})
}

// ProbeWith is Probe with a client of the caller's: another profile, an
// HTTP client, a clock, a language. The cycle's log lines (the Result's
// Log, which the client keeps whether or not its Log writer is set) are
// written to a buffer in WindowsUpdate.log form and analysed.
func ProbeWith(ctx context.Context, c *wuaclient.Client) (Report, error) {
	name := "probe " + c.ServerURL
	res, err := c.Detect(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("detect: %s: %w", name, err)
	}
	// A cycle that never heard the server's answer to the sync has no
	// verdict to give: its log would read as one without a SOAP fault,
	// and a probe must never call a server it could not reach clean.
	if !res.Conclusive() {
		e := &InconclusiveProbeError{URL: c.ServerURL, Summary: res.Summary(), Err: res.Err}
		if cause := res.Unreachable(); cause != nil {
			e.Unreachable, e.Err = true, cause
		}
		return Report{}, e
	}
	var buf bytes.Buffer
	if err := wsuslog.NewClientLogWriter(&buf).Log(res.Log...); err != nil {
		return Report{}, fmt.Errorf("detect: %s: %w", name, err)
	}
	rep, err := Analyze(name, &buf)
	if err != nil {
		return rep, err
	}
	rep.Notes = append(rep.Notes, "simulated client ("+profileName(c)+"): "+res.Summary())
	return rep, nil
}

func profileName(c *wuaclient.Client) string {
	if c.Profile != nil && c.Profile.Name != "" {
		return c.Profile.Name
	}
	return "custom profile"
}

// InconclusiveProbeError is a probe whose simulated cycle ended without
// anything the server said about the sync: no reply at all (Unreachable),
// an HTTP error without a SOAP fault, an unreadable reply, or a sync that
// did not converge.
type InconclusiveProbeError struct {
	URL         string
	Unreachable bool
	Summary     string // the simulated client's summary line
	Err         error
}

func (e *InconclusiveProbeError) Error() string {
	if e.Unreachable {
		return fmt.Sprintf("detect: probe %s: server unreachable, no verdict: %v", e.URL, e.Err)
	}
	return fmt.Sprintf("detect: probe %s: no verdict, the cycle ended without the server's answer to the sync: %v (%s)", e.URL, e.Err, e.Summary)
}

func (e *InconclusiveProbeError) Unwrap() error { return e.Err }
