package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/wuaclient"
)

// Exit statuses of "wsusmock detect", besides exitOK, exitError and
// exitUsage: the worst verdict over all inputs decides.
const (
	exitAffected     = 10 // at least one input shows advisory 954960
	exitOtherFault   = 11 // a SOAP fault, none of them 954960's
	exitUnrecognised = 12 // an input is no log, and nothing worse was found
	exitIncomplete   = 13 // an input was not read in full and shows no fault
)

const detectHelp = `Reads WindowsUpdate.log and SoftwareDistribution.log files (UTF-16LE,
UTF-8 or ANSI; English or the advisory's Dutch; WUA 7.0-7.6) and/or runs a
simulated Office 2003 client against a live server (--probe), and gives a
verdict per input: affected (by 954960), recovered (affected, then a sync
succeeded), other-soap-fault, clean, unrecognised, incomplete (no fault in
what was read, but the log was not read to its end, a line over 1 MiB was
read only in part, or a WindowsUpdate.log shows no completed sync). The rules are those of package github.com/wsusmock/wsusmock/detect.
"-" reads standard input.

Given directories, it reads every *.log file beneath them (a fleet's
DIR/<host>/WindowsUpdate.log), gives one verdict per host (the directory
holding the log, or the file's name without .log for a log at the top),
the worst of its files', and ends with a tally of hosts by verdict. With
--ground-truth it prints a confusion matrix (ground truth by verdict) and
the precision and recall of "affected": an incomplete or unreadable log,
or none, of an affected machine is a miss, never a clean host.

exit status, the first that applies: 10 an input is affected; 11 an input
has another SOAP fault; 1 an input could not be read or a probe could not
run, its server unreachable (the other inputs are still reported); 13 an
input is incomplete (a probed server answered with no SOAP reply); 12
an input is unrecognised; 0 every input is clean or recovered. 2 is a
usage error.

`

// probeList collects repeated --probe flags.
type probeList []string

func (p *probeList) String() string     { return strings.Join(*p, ",") }
func (p *probeList) Set(s string) error { *p = append(*p, s); return nil }

// runDetect is "wsusmock detect". It returns its exit status itself,
// since the statuses 10–12 are its own.
func runDetect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("detect", "detect [--json] [--probe URL]... [FILE|-]...\n       wsusmock detect [--json] [--summary] [--ground-truth FILE] DIR...", stderr)
	usage := fs.Usage
	fs.Usage = func() { fmt.Fprint(fs.Output(), detectHelp); usage() }
	asJSON := fs.Bool("json", false, "print the reports as a JSON array")
	var tlsf tlsFlags
	tlsf.register(fs)
	var probes probeList
	truthFile := fs.String("ground-truth", "", "with DIR: score the verdicts against this ground truth (a fleet's ground-truth.json)")
	summaryOnly := fs.Bool("summary", false, "with DIR: print only the tally and the score, not every host's report")
	fs.Var(&probes, "probe", "run a simulated Office 2003 client (xp-sp3-office2003) against the WSUS server at `URL` and analyse its log; repeatable")

	files, err := parseDetectArgs(fs, args)
	if err == nil && len(files) == 0 && len(probes) == 0 {
		err = usageError{"detect: no FILE and no --probe given"}
	}
	for _, p := range probes {
		if err == nil {
			err = checkServerURL("--probe", p)
		}
	}
	var dirs []string
	if err == nil {
		dirs, err = splitDirs(files, probes, *truthFile)
	}
	var help helpRequest
	switch {
	case errors.As(err, &help):
		fmt.Fprint(stdout, help.text)
		return exitOK
	case err != nil:
		fmt.Fprintln(stderr, "wsusmock:", err)
		return exitUsage
	}
	if len(dirs) > 0 {
		return runDetectDirs(dirs, detectDirOptions{json: *asJSON, summary: *summaryOnly, truth: *truthFile}, stdout, stderr)
	}

	var reports []detect.Report
	failed := false
	fail := func(err error) {
		failed = true
		fmt.Fprintln(stderr, "wsusmock: detect:", err)
	}
	for _, name := range files {
		rep, err := analyzeFile(name, os.Stdin)
		if err != nil {
			fail(err)
		}
		if rep.Verdict != "" {
			// A file that failed part-way still reports what its lines
			// read show: a fault found before the failure counts.
			reports = append(reports, rep)
		}
	}
	hc, err := tlsf.httpClient()
	if err != nil {
		fmt.Fprintln(stderr, "wsusmock:", err)
		return exitUsage
	}
	for _, url := range probes {
		rep, err := probe(ctx, url, hc)
		var ue *detect.UnreachableError
		if errors.As(err, &ue) {
			fail(unreachableError{url, ue.Err})
			continue
		}
		if err != nil {
			fail(err)
			continue
		}
		reports = append(reports, rep)
	}
	detect.Correlate(reports)

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if reports == nil {
			reports = []detect.Report{}
		}
		if err := enc.Encode(reports); err != nil {
			fmt.Fprintln(stderr, "wsusmock: detect:", err)
			return exitError
		}
	} else {
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			writeReport(stdout, r)
		}
	}

	return detectExit(detect.Worst(reports), failed)
}

// detectExit is the exit status of the worst verdict, failed saying an
// input could not be read or probed.
func detectExit(worst detect.Verdict, failed bool) int {
	switch worst {
	case detect.VerdictAffected:
		return exitAffected
	case detect.VerdictOtherSOAPFault:
		return exitOtherFault
	}
	if failed {
		return exitError
	}
	switch worst {
	case detect.VerdictIncomplete:
		return exitIncomplete
	case detect.VerdictUnrecognised:
		return exitUnrecognised
	}
	return exitOK
}

// parseDetectArgs parses flags and file names in any order, as users
// type "detect WindowsUpdate.log --json"; "--" ends the flags.
func parseDetectArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := parseOnce(fs, args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(files, rest...), nil
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
}

// analyzeFile analyses one named file, or standard input for "-". The
// file is streamed, never read whole.
func analyzeFile(name string, stdin io.Reader) (detect.Report, error) {
	if name == "-" {
		return detect.Analyze("(stdin)", stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return detect.Report{}, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return detect.Report{}, fmt.Errorf("%s: is a directory", name)
	}
	// Analyze names the input in its error, and its Report covers the
	// lines read before a failure.
	return detect.Analyze(name, f)
}

// writeReport prints one report as a text block:
//
//	WindowsUpdate.log: affected
//	  kind: WindowsUpdate.log (UTF-16LE, 50 lines)
//	  954960: SyncUpdates answered with InternalServerError once, …
//	      27  2008-06-13	19:59:56:617	788	ee4	PT	WARNING: SyncUpdates failure, …
func writeReport(w io.Writer, r detect.Report) {
	fmt.Fprintf(w, "%s: %s\n", r.Name, r.Verdict)
	enc := ""
	if r.Encoding != "" {
		enc = r.Encoding + ", "
	}
	fmt.Fprintf(w, "  kind: %s (%s%d lines)\n", r.Kind, enc, r.Lines)
	fmt.Fprintf(w, "  %s\n", r.Summary)
	if len(r.Keys) > 0 {
		fmt.Fprintf(w, "  duplicate keys: %s\n", strings.Join(r.Keys, ", "))
	}
	if ids := r.FaultIDs(); len(ids) > 0 {
		fmt.Fprintf(w, "  fault IDs: %s\n", strings.Join(ids, ", "))
	}
	if r.FaultCount > len(r.Faults) {
		fmt.Fprintf(w, "  (%d faults in all; the evidence shows %d of them)\n", r.FaultCount, len(r.Faults))
	}
	if len(r.Evidence) > 0 {
		fmt.Fprintln(w, "  evidence:")
		for _, e := range r.Evidence {
			fmt.Fprintf(w, "  %6d  %s\n", e.Line, e.Text)
		}
	}
	for _, c := range r.Correlations {
		fmt.Fprintf(w, "  correlation: %s logged the same fault ID: %s\n", c.With, strings.Join(c.Matched, ", "))
	}
	if len(r.UnmatchedFaultIDs) > 0 {
		other := "server"
		if r.Kind == detect.KindServer {
			other = "client"
		}
		fmt.Fprintf(w, "  correlation: no %s log given holds fault ID %s\n", other, strings.Join(r.UnmatchedFaultIDs, ", "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

// probe is detect.Probe, through hc when the TLS flags gave one.
func probe(ctx context.Context, url string, hc *http.Client) (detect.Report, error) {
	if hc == nil {
		return detect.Probe(ctx, url)
	}
	profile, err := wuaclient.BuiltinProfile(detect.ProbeProfile)
	if err != nil {
		return detect.Report{}, err
	}
	defer hc.CloseIdleConnections()
	return detect.ProbeWith(ctx, &wuaclient.Client{ServerURL: url, Profile: profile, HTTP: hc})
}
