package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wuaclient"
)

// exitCycleFailed is the exit status of "wsusmock client" when the
// detection cycle failed: a WSUS fault it could not recover from, or a
// transport error. The cycle ran; its verdict is the summary line.
const exitCycleFailed = 3

// cycleFailedError carries that verdict to run, which maps it to
// exitCycleFailed without printing anything more.
type cycleFailedError struct{ summary string }

func (e cycleFailedError) Error() string { return e.summary }

const clientHelp = `
Runs one detection cycle of a simulated Windows Update Agent 7.x against a
WSUS server (GetConfig, GetAuthorizationCookie, GetCookie, RegisterComputer,
SyncUpdates, GetExtendedUpdateInfo, ReportEventBatch), prints the
WindowsUpdate.log lines it writes, and ends with one summary line:

  result: succeeded needed=N round_trips=N
  result: failed hresult=0x8024400E fault=InternalServerError id=GUID operation=SyncUpdates http_status=200 round_trips=N

Built-in profiles: %s.
A profile file is YAML; see fixtures/profiles/xp-sp3-office2003.yaml.
Every run of a profile is the same machine to the server unless --name
(and optionally --client-id) makes it another: a classroom where each
participant runs "wsusmock client --name pc-anna" gives the server one
client per participant.

exit status:
  0  the cycle succeeded
  1  the command could not run (unreadable profile, log file not writable, interrupted)
  2  usage error
  3  the cycle failed: the server answered with a WSUS or SOAP fault, or an
     HTTP error (see the summary line)
  4  the server could not be reached: no HTTP reply at all (refused,
     unknown host, TLS failure, timeout)
`

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		server, profileName, profileFile, logFile, lang string
		name, clientID                                  string
		quiet                                           bool
		timeout                                         time.Duration
		tlsf                                            tlsFlags
	)
	fs := newFlagSet("client", "client [--server URL] (--profile NAME | --profile-file FILE) [flags]", stderr)
	fs.StringVar(&server, "server", defaultServerURL, "WSUS server root URL")
	fs.StringVar(&profileName, "profile", "", "built-in client profile: "+strings.Join(wuaclient.BuiltinProfiles(), ", "))
	fs.StringVar(&profileFile, "profile-file", "", "client profile in this YAML file instead of a built-in one")
	fs.StringVar(&logFile, "log", "", "append the WindowsUpdate.log lines to this file (CRLF line ends, as WUA writes)")
	fs.StringVar(&name, "name", "", "the machine's host name (sent as its DNS name); without --client-id it also gives the machine a client ID of its own, the same on every run")
	fs.StringVar(&clientID, "client-id", "", "the machine's SusClientId, a GUID (default: derived from --name, else the profile's)")
	fs.StringVar(&lang, "lang", "en", "log rendering: en, or nl as advisory 954960's Dutch copy shows it")
	fs.BoolVar(&quiet, "quiet", false, "print only the summary line")
	fs.DurationVar(&timeout, "timeout", wuaclient.DefaultRequestTimeout, "timeout of each SOAP request")
	tlsf.register(fs)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintf(fs.Output(), clientHelp, strings.Join(wuaclient.BuiltinProfiles(), ", "))
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case checkServerURL("--server", server) != nil:
		return checkServerURL("--server", server)
	case (profileName == "") == (profileFile == ""):
		return usageError{"client: give exactly one of --profile and --profile-file"}
	case timeout <= 0:
		return usageError{"client: --timeout must be positive"}
	}
	if clientID != "" {
		if err := wuaclient.CheckClientID(clientID); err != nil {
			return usageError{"client: --client-id: " + err.Error()}
		}
	} else if name != "" {
		clientID = wuaclient.ClientIDFromName(name)
	}
	logLang, err := wsuslog.ParseLang(lang)
	if err != nil {
		return usageError{"client: --lang: " + err.Error()}
	}
	var profile *wuaclient.Profile
	if profileFile != "" {
		profile, err = wuaclient.LoadProfile(profileFile)
	} else {
		profile, err = wuaclient.BuiltinProfile(profileName)
		if err != nil {
			return usageError{"client: --profile: " + err.Error()}
		}
	}
	if err != nil {
		return err
	}

	var sinks []io.Writer
	if !quiet {
		sinks = append(sinks, stdout)
	}
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		sinks = append(sinks, crlfWriter{f})
	}
	c := &wuaclient.Client{ServerURL: server, Profile: profile, Lang: logLang, RequestTimeout: timeout,
		ClientID: clientID, DNSName: name}
	if c.HTTP, err = tlsf.httpClient(); err != nil {
		return err
	}
	if len(sinks) > 0 {
		c.Log = wsuslog.NewClientLogWriter(io.MultiWriter(sinks...))
		c.Log.LineEnding = "\n"
	}
	res, err := c.Detect(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Summary())
	if err := res.Unreachable(); err != nil {
		return unreachableError{server, err}
	}
	if !res.Succeeded {
		return cycleFailedError{res.Summary()}
	}
	return nil
}

// crlfWriter turns the LF line ends of the log writer into CRLF, so the
// file is written as WUA writes WindowsUpdate.log while stdout keeps the
// terminal's line ends. Each Write is a whole block of lines.
type crlfWriter struct{ w io.Writer }

func (c crlfWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}
