package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/wuaclient"
)

// Bounds of the clients the server runs against itself.
const (
	// MaxClientRuns is how many simulated clients may run at once; one
	// more is refused rather than queued.
	MaxClientRuns = 2
	// ClientRunTimeout bounds one simulated detection cycle.
	ClientRunTimeout = 20 * time.Second
	// clientRunRequestTimeout bounds each of its exchanges.
	clientRunRequestTimeout = 5 * time.Second
)

// ClientRunRequest is the body of POST /__admin/clients/run.
type ClientRunRequest struct {
	// Profile is a built-in profile, e.g. xp-sp3-office2003.
	Profile string `json:"profile"`
	// Name, when set, is the DNS name the client registers with, so that
	// runs of one profile can be told apart.
	Name string `json:"name,omitempty"`
}

// ClientRun is the outcome of one simulated detection cycle run by the
// server against itself: the verdict and the client's WindowsUpdate.log.
type ClientRun struct {
	Profile    string    `json:"profile"`
	ClientID   string    `json:"client_id"`
	Name       string    `json:"name"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	Succeeded  bool      `json:"succeeded"`
	Summary    string    `json:"summary"`
	HResult    string    `json:"hresult,omitempty"`
	Operation  string    `json:"operation,omitempty"`
	HTTPStatus int       `json:"http_status,omitempty"`
	Fault      string    `json:"fault,omitempty"`
	FaultID    string    `json:"fault_id,omitempty"`
	RoundTrips int       `json:"round_trips"`
	// Log is the cycle's WindowsUpdate.log, one line per element.
	Log []string `json:"log"`
}

// ProfileList is the reply of GET /__admin/profiles.
type ProfileList struct {
	Profiles []string `json:"profiles"`
}

// Profiles names the built-in client profiles RunClient takes.
func (c *Controller) Profiles(context.Context) (ProfileList, error) {
	return ProfileList{Profiles: wuaclient.BuiltinProfiles()}, nil
}

// dnsName is what a run's Name may be: a host name.
var dnsName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$`)

// RunClient runs one simulated client with a built-in profile against the
// server's own URL and returns its verdict and log. At most MaxClientRuns
// run at once, each for at most ClientRunTimeout.
func (c *Controller) RunClient(ctx context.Context, req ClientRunRequest) (ClientRun, error) {
	if c.URL == "" {
		return ClientRun{}, refuse(Conflict, "this server runs no clients", "the controller does not know the server's own URL")
	}
	p, err := wuaclient.BuiltinProfile(req.Profile)
	if err != nil {
		return ClientRun{}, &Error{Code: NotFound, Message: "unknown profile " + quoteHost(req.Profile), Field: "profile",
			Reason: "built-in profiles: " + strings.Join(wuaclient.BuiltinProfiles(), ", ")}
	}
	if req.Name != "" {
		if !dnsName.MatchString(req.Name) {
			return ClientRun{}, &Error{Code: Invalid, Message: "bad request body", Field: "name",
				Reason: "name: " + quoteHost(req.Name) + " is not a host name (letters, digits, dots and hyphens, at most 63)"}
		}
		p.DNSName = req.Name
	}
	select {
	case c.runs <- struct{}{}:
		defer func() { <-c.runs }()
	default:
		return ClientRun{}, refuse(Conflict, "simulated clients are busy", "at most 2 run at once; try again when one has finished")
	}
	ctx, cancel := context.WithTimeout(ctx, ClientRunTimeout)
	defer cancel()
	tr := &http.Transport{
		DisableCompression: true,
		// The server calls itself, at the address it listens on; a
		// self-signed certificate is its own.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the server's own listener
	}
	defer tr.CloseIdleConnections()
	wc := &wuaclient.Client{ServerURL: c.URL, Profile: p, HTTP: &http.Client{Transport: tr},
		RequestTimeout: clientRunRequestTimeout, Now: c.now}
	run := ClientRun{Profile: p.Name, ClientID: p.SusClientID(), Name: p.DNSName, Started: time.Now()}
	res, err := wc.Detect(ctx)
	run.Finished = time.Now()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return ClientRun{}, refuse(Conflict, "the simulated client did not finish", "it ran longer than "+ClientRunTimeout.String())
		}
		return ClientRun{}, err
	}
	run.Succeeded, run.Summary, run.RoundTrips = res.Succeeded, res.Summary(), res.RoundTrips
	run.Operation, run.HTTPStatus = res.Operation, res.HTTPStatus
	if !res.Succeeded {
		run.HResult = res.HResult.String()
	}
	if res.Fault != nil {
		run.Fault, run.FaultID = string(res.Fault.Code), res.Fault.ID
	}
	run.Log = make([]string, len(res.Log))
	for i, e := range res.Log {
		run.Log[i] = e.Format()
	}
	return run, nil
}
