package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandDoc is what the help says of a command besides its flags.
type commandDoc struct {
	name    string // as typed after "wsusmock", e.g. "admin approve"
	purpose string // one line
	example string
}

// commandDocs documents every command; the top-level help lists those
// without a space in their name, in this order.
var commandDocs = []commandDoc{
	{"serve", "run the mock WSUS 3.0 server", "wsusmock serve --addr 127.0.0.1:0 --server-log SoftwareDistribution.log"},
	{"scenarios", "list the built-in scenarios (pick one with serve --scenario or admin scenario)", "wsusmock scenarios"},
	{"client", "run a simulated Windows Update Agent detection cycle against a server", "wsusmock client --profile xp-sp3-office2003 --log WindowsUpdate.log"},
	{"detect", "look for advisory 954960 in client and server logs, or probe a server", "wsusmock detect WindowsUpdate.log SoftwareDistribution.log"},
	{"admin", "control a running server: hotfix, approvals, scenario, faults, journal", "wsusmock admin --text updates"},
	{"fleet", "run many simulated machines against a server; write their logs and a ground truth", "wsusmock fleet --clients 2000 --mix xp-sp3-office2003=30,xp-sp3=70 --dir fleet"},
	{"load", "send a bounded load to a server on loopback and report its cost", "wsusmock load --requests 20000 --concurrency 8"},
	{"floor", "serve fixed bytes for any request: the bare net/http floor load runs compare the server with", "wsusmock floor --addr 127.0.0.1:0"},
	{"version", "print the version of this binary", "wsusmock version"},
	{"healthcheck", "ask a running server's /healthz (for container health checks)", "wsusmock healthcheck --server http://127.0.0.1:8530"},
	{"completion", "print a shell completion script (bash)", `source <(wsusmock completion bash)`},
	{"help", "print the help of wsusmock or of a command", "wsusmock help admin approve"},

	{"admin server", "show the build, its versions and hotfixes", "wsusmock admin --text server"},
	{"admin hotfix", "install KB954960 (refused on RTM and SP2, with the reason); remove is always refused", "wsusmock admin hotfix install KB954960"},
	{"admin updates", "list the catalog with its approvals per target group", "wsusmock admin --text updates"},
	{"admin approve", "approve an update for Install, named by UpdateID, revision ID or title", "wsusmock admin --text approve 8862"},
	{"admin decline", "decline an update, named by UpdateID, revision ID or title", `wsusmock admin --text decline "Office 2003 Service Pack 1"`},
	{"admin workaround", "run the console workaround (decline, approve, decline) and show the deployment rows before and after", "wsusmock admin workaround 8862"},
	{"admin scenario", "show the scenario served, or switch to a built-in one", "wsusmock admin scenario rtm-office2003"},
	{"admin reset", "return to the scenario's initial state; clears fault rules and the journal", "wsusmock admin reset"},
	{"admin faults", "add, list, clear or remove fault-injection rules", `wsusmock admin faults add '{"operation":"GetConfig","error_code":"ServerChanged","times":1}'`},
	{"admin journal", "list the exchanges the server recorded", "wsusmock admin --text journal --operation SyncUpdates"},
	{"admin events", "stream exchanges as JSON lines while they happen", "wsusmock admin events --count 3 --timeout 30s"},
}

// docOf is the documentation of the command a flag set belongs to.
func docOf(name string) (commandDoc, bool) {
	for _, d := range commandDocs {
		if d.name == name {
			return d, true
		}
	}
	return commandDoc{}, false
}

// printUsage writes a command's help: synopsis, purpose, example and the
// flags, if it has any.
func printUsage(fs *flag.FlagSet, synopsis string) {
	w := fs.Output()
	fmt.Fprintf(w, "usage: wsusmock %s\n", synopsis)
	if d, ok := docOf(fs.Name()); ok {
		fmt.Fprintf(w, "\n%s\n\nexample:\n  %s\n", d.purpose, d.example)
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nflags (each also settable as $%s, e.g. $%s):\n", envName("FLAG"), envName("server"))
		fs.PrintDefaults()
	}
}

// helpRequest is -h on a command line: run prints its text on standard
// output and exits 0, while a usage error goes to standard error.
type helpRequest struct{ text string }

func (h helpRequest) Error() string { return "help requested" }
func (h helpRequest) Unwrap() error { return flag.ErrHelp }

// parseOnce parses args with fs. For -h it returns the help as a
// helpRequest instead of printing it; for a bad flag the flag package has
// written the error to fs.Output() (standard error), and the help follows
// it there.
func parseOnce(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		return helpOf(fs)
	}
	if err != nil {
		usage()
	}
	return err
}

// helpOf renders fs's usage into a helpRequest.
func helpOf(fs *flag.FlagSet) error {
	var b strings.Builder
	out := fs.Output()
	fs.SetOutput(&b)
	fs.Usage()
	fs.SetOutput(out)
	return helpRequest{b.String()}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "usage: wsusmock COMMAND [flags]\n\ncommands:\n")
	for _, d := range commandDocs {
		if !strings.Contains(d.name, " ") {
			fmt.Fprintf(w, "  %-12s%s\n", d.name, d.purpose)
		}
	}
	fmt.Fprint(w, `
Run "wsusmock help COMMAND" (or "wsusmock COMMAND -h") for a command's flags
and an example. Every flag is also an environment variable: --server is
$WSUSMOCK_SERVER, --fault-status is $WSUSMOCK_FAULT_STATUS.

exit status: 0 done; 1 failed; 2 bad usage; 3 the simulated client's cycle
failed (client); 4 the server could not be reached (client, load,
healthcheck); detect has its own (see "wsusmock help detect").
`)
}
