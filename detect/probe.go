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
// A cycle that fails is a verdict, not an error. A server that gave no
// reply at all is an *UnreachableError: the probe could not run. A cycle
// that reached the server but ended before it completed without a fault
// to show for it (an HTTP error, an unreadable reply) is
// VerdictIncomplete. Neither is ever clean. The other errors are for a
// client that could not run (a bad URL, a cancelled ctx).
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
	// No reply at all says nothing about the server: the probe did not
	// run, and must never be read as a verdict.
	if cause := res.Unreachable(); cause != nil {
		return Report{}, &UnreachableError{URL: c.ServerURL, Err: cause}
	}
	var buf bytes.Buffer
	if err := wsuslog.NewClientLogWriter(&buf).Log(res.Log...); err != nil {
		return Report{}, fmt.Errorf("detect: %s: %w", name, err)
	}
	rep, err := Analyze(name, &buf)
	if err != nil {
		return rep, err
	}
	if !res.Succeeded {
		// A scan that ended early (no reply, a transport error) logs no
		// fault, and the rest of the scan, which might have, never ran.
		notRead(&rep, "the simulated client's scan did not complete: "+res.Summary())
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

// UnreachableError is a probe whose server gave no HTTP reply at all:
// the connection was refused, the name did not resolve, the TLS handshake
// failed or the request timed out.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("detect: probe %s: server unreachable: %v", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }
