// Command wsusmock is a mock WSUS 3.0 server that reproduces Microsoft
// Security Advisory 954960: SyncUpdates answered with an InternalServerError
// fault to clients with Office 2003.
//
//	wsusmock serve [flags]       run the server (default scenario sp1-office2003)
//	wsusmock scenarios           list the built-in scenarios
//	wsusmock admin COMMAND       control a running server through its admin API
//	wsusmock client [flags]      run a simulated WUA 7.x detection cycle
//	wsusmock fleet [flags]       run many simulated machines, with their logs and ground truth
//	wsusmock detect [flags] FILE run the reference detector over logs or a live server
//	wsusmock load [flags]        send a bounded load and report its cost
//	wsusmock version             print the binary's version
//	wsusmock healthcheck         ask a running server's /healthz
//	wsusmock completion bash     print a bash completion script
//	wsusmock help [COMMAND]      print the help, on standard output
//
// Run "wsusmock help COMMAND" for a command's purpose, an example and its
// flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses of every command.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // bad flags or arguments
)

// run is the whole program, callable from tests with its own context,
// arguments and output streams.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = runServe(ctx, rest, stdout, stderr)
	case "load":
		err = runLoad(ctx, rest, stdout, stderr)
	case "floor":
		err = runFloor(ctx, rest, stdout, stderr)
	case "scenarios":
		err = runScenarios(rest, stdout, stderr)
	case "admin":
		err = runAdmin(ctx, rest, stdout, stderr)
	case "client":
		err = runClient(ctx, rest, stdout, stderr)
	case "fleet":
		err = runFleet(ctx, rest, stdout, stderr)
	case "detect":
		return runDetect(ctx, rest, stdout, stderr)
	case "version":
		err = runVersion(rest, stdout, stderr)
	case "healthcheck":
		err = runHealthcheck(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && cmd == "help" {
			return run(ctx, append(append([]string(nil), rest...), "-h"), stdout, stderr)
		}
		usage(stdout)
		return exitOK
	case "completion":
		err = runCompletion(rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "wsusmock: unknown command %q\n", cmd)
		usage(stderr)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, new(helpRequest)):
		var h helpRequest
		errors.As(err, &h)
		fmt.Fprint(stdout, h.text)
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(cycleFailedError)):
		return exitCycleFailed
	case errors.As(err, new(unreachableError)):
		fmt.Fprintln(stderr, "wsusmock:", err)
		return exitUnreachable
	case errors.As(err, new(usageError)):
		fmt.Fprintln(stderr, "wsusmock:", err)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "wsusmock:", err)
		return exitError
	}
}

// usageError marks an error in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newFlagSet makes a command's flag set: errors are returned, not fatal, and
// usage goes to the given writer.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() { printUsage(fs, synopsis) }
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseOnce(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return flagsFromEnv(fs)
}

// flagsFromEnv gives every flag not set on the command line the value of
// its environment variable, WSUSMOCK_ and the flag's name in upper case
// with "-" as "_" (--server is WSUSMOCK_SERVER, --fault-status is
// WSUSMOCK_FAULT_STATUS), so a container or a CI job configures the
// commands without a command line. The command line wins.
func flagsFromEnv(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageError{fmt.Sprintf("%s: $%s=%q: %v", fs.Name(), name, v, e)}
			}
		}
	})
	return err
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return "WSUSMOCK_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
