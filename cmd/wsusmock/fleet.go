package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/wsusmock/wsusmock/fleet"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wuaclient"
)

const fleetHelp = `
Runs a fleet of simulated Windows Update Agents against a WSUS server, one
detection cycle per machine, and prints a summary table (or --json). Each
machine is a client of its own: host names PREFIX00001, PREFIX00002, …,
sent as the DNS name, and a client ID derived from the host name, the same
on every run. Profiles are given by --mix, weights relative to their sum.

With --dir, every machine's log is written to DIR/<host>/WindowsUpdate.log
(CRLF; --utf16 for UTF-16LE with a byte order mark) and what each machine
met to DIR/ground-truth.json, to score a detection tool against:
"wsusmock detect DIR --ground-truth DIR/ground-truth.json" scores the
reference detector.

Progress goes to standard error: a progress bar on a terminal, else a line
every --progress-every. Ctrl-C stops the fleet: the cycles in flight are
cancelled, and the summary and ground truth cover what ran.

Built-in profiles: %s.

exit status:
  0  every machine ran its cycle (failed cycles, such as 954960's, included)
  1  interrupted, a log or the ground truth could not be written, or a cycle
     could not run
  2  usage error
  4  the server could not be reached by some machine (no HTTP reply at all);
     if no machine of the first wave reached it, the fleet stops there
`

func runFleet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		server, mixText, dir, lang, prefix string
		clients, concurrency               int
		rate                               float64
		utf16, asJSON                      bool
		timeout, every                     time.Duration
	)
	fs := newFlagSet("fleet", "fleet [--server URL] [--clients N] [--mix PROFILE=WEIGHT,...] [--dir DIR] [flags]", stderr)
	fs.StringVar(&server, "server", defaultServerURL, "WSUS server root URL")
	fs.IntVar(&clients, "clients", 100, fmt.Sprintf("number of machines (at most %d)", fleet.MaxClients))
	fs.StringVar(&mixText, "mix", "xp-sp3-office2003=30,xp-sp3=70", "profiles and their weights: PROFILE=WEIGHT,…")
	fs.IntVar(&concurrency, "concurrency", fleet.DefaultConcurrency, "most cycles in flight at once")
	fs.Float64Var(&rate, "rate", 0, "machines starting a cycle per second (0: as fast as --concurrency allows)")
	fs.StringVar(&dir, "dir", "", "write DIR/<host>/WindowsUpdate.log and DIR/ground-truth.json (default: write nothing)")
	fs.BoolVar(&utf16, "utf16", false, "write the logs in UTF-16LE with a byte order mark")
	fs.StringVar(&lang, "lang", "en", "log rendering: en, or nl as advisory 954960's Dutch copy shows it")
	fs.StringVar(&prefix, "host-prefix", fleet.DefaultHostPrefix, "start of every host name")
	fs.DurationVar(&timeout, "timeout", wuaclient.DefaultRequestTimeout, "timeout of each SOAP request")
	fs.DurationVar(&every, "progress-every", 5*time.Second, "interval of the progress lines when standard error is not a terminal (0: none)")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintf(stderr, fleetHelp, strings.Join(wuaclient.BuiltinProfiles(), ", "))
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkServerURL("--server", server); err != nil {
		return err
	}
	mix, err := fleet.ParseMix(mixText)
	if err != nil {
		return usageError{"fleet: --mix: " + err.Error()}
	}
	for _, s := range mix {
		if _, err := wuaclient.BuiltinProfile(s.Profile); err != nil {
			return usageError{"fleet: --mix: " + err.Error()}
		}
	}
	logLang, err := wsuslog.ParseLang(lang)
	if err != nil {
		return usageError{"fleet: --lang: " + err.Error()}
	}
	switch {
	case clients <= 0 || clients > fleet.MaxClients:
		return usageError{fmt.Sprintf("fleet: --clients %d: give 1 to %d", clients, fleet.MaxClients)}
	case concurrency <= 0:
		return usageError{"fleet: --concurrency must be positive"}
	case rate < 0:
		return usageError{"fleet: --rate must not be negative"}
	case timeout <= 0:
		return usageError{"fleet: --timeout must be positive"}
	case every < 0:
		return usageError{"fleet: --progress-every must not be negative"}
	}
	if err := fleet.CheckHostPrefix(prefix); err != nil {
		return usageError{"fleet: --host-prefix: " + err.Error()}
	}

	f := &fleet.Fleet{ServerURL: server, Clients: clients, Mix: mix, Concurrency: concurrency, Rate: rate,
		Dir: dir, UTF16: utf16, Lang: logLang, HostPrefix: prefix, RequestTimeout: timeout}
	stopProgress := showProgress(f, stderr, every)
	sum, runErr := f.Run(ctx)
	stopProgress()

	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		writeFleetSummary(stdout, sum, mix, dir)
	}
	switch {
	case errors.Is(runErr, fleet.ErrUnreachable):
		return unreachableError{server, errors.Unwrap(runErr)}
	case runErr != nil && ctx.Err() != nil:
		return fmt.Errorf("fleet: interrupted: %d of %d machines ran", sum.Machines, sum.Clients)
	case runErr != nil:
		return runErr
	case sum.Unreachable > 0:
		return unreachableError{server, fmt.Errorf("%d of %d machines got no reply", sum.Unreachable, sum.Machines)}
	case sum.Errors > 0:
		return fmt.Errorf("fleet: the cycles of %d machines could not run (see their \"error\" in the ground truth)", sum.Errors)
	}
	return nil
}

// showProgress reports a running fleet on w until the returned function
// is called: a progress bar when w is a terminal, else a line every
// interval, as a CI log wants it.
func showProgress(f *fleet.Fleet, w io.Writer, every time.Duration) (stop func()) {
	if isTerminal(w) {
		return progressBar(w, "fleet", "cycles", f.Clients, func() int { return f.Progress().Done })
	}
	if every <= 0 {
		return func() {}
	}
	return ticking(every, func() { writeProgressLine(w, f.Progress()) })
}

// isTerminal says whether w is a terminal, where a progress bar may
// redraw itself.
func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// progressBar draws a bar of done() out of total on the terminal w until
// the returned function is called.
func progressBar(w io.Writer, desc, unit string, total int, done func() int) (stop func()) {
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	stopTicks := ticking(200*time.Millisecond, func() { _ = bar.Set(done()) })
	return func() { stopTicks(); _ = bar.Clear(); _ = bar.Exit() }
}

// ticking calls f every interval until the returned function is called;
// the function returns once f no longer runs.
func ticking(every time.Duration, f func()) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// writeProgressLine prints one progress line:
//
//	fleet: 1200/25000 done, 32 in flight (1180 succeeded, 20 failed, 0 unreachable), 480.1 cycles/s, 2.5s
func writeProgressLine(w io.Writer, p fleet.Progress) {
	rate := 0.0
	if p.Elapsed > 0 {
		rate = float64(p.Done) / p.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "fleet: %d/%d done, %d in flight (%d succeeded, %d failed, %d unreachable), %.1f cycles/s, %s\n",
		p.Done, p.Clients, p.Started-p.Done, p.Succeeded, p.Failed, p.Unreachable, rate, p.Elapsed.Round(100*time.Millisecond))
}

// writeFleetSummary prints the summary table:
//
//	fleet: 2000 of 2000 machines against http://127.0.0.1:8530 (mix xp-sp3-office2003=30,xp-sp3=70) in 4.2s, 476.2 cycles/s
//
//	profile            machines  succeeded  failed  affected  unreachable  cancelled  errors
//	xp-sp3-office2003  600       0          600     600       0            0          0
//	…
func writeFleetSummary(w io.Writer, s *fleet.Summary, mix fleet.Mix, dir string) {
	state := ""
	if s.Interrupted {
		state = " (interrupted)"
	}
	fmt.Fprintf(w, "fleet: %d of %d machines against %s (mix %s) in %s, %.1f cycles/s%s\n\n",
		s.Machines, s.Clients, s.Server, s.Mix, s.Elapsed.Round(time.Millisecond), s.CyclesPerSecond, state)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "profile\tmachines\tsucceeded\tfailed\taffected\tunreachable\tcancelled\terrors")
	row := func(name string, c fleet.Counts) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", name, c.Machines, c.Succeeded, c.Failed, c.Affected, c.Unreachable, c.Cancelled, c.Errors)
	}
	for _, share := range mix {
		if c := s.ByProfile[share.Profile]; c != nil {
			row(share.Profile, *c)
		}
	}
	row("total", s.Counts)
	tw.Flush()
	if len(s.ByErrorCode) > 0 {
		codes := make([]string, 0, len(s.ByErrorCode))
		for c := range s.ByErrorCode {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		fmt.Fprint(w, "\nerror codes:")
		for _, c := range codes {
			fmt.Fprintf(w, " %s %d", c, s.ByErrorCode[c])
		}
		fmt.Fprintln(w)
	}
	if dir != "" {
		fmt.Fprintf(w, "\nlogs: %s; ground truth: %s\n", filepath.Join(dir, "<host>", fleet.LogName), filepath.Join(dir, fleet.GroundTruthName))
	}
}
