// Command wsusmock is a mock WSUS 3.0 server that reproduces Microsoft
// Security Advisory 954960: SyncUpdates answered with an InternalServerError
// fault to clients with Office 2003.
//
//	wsusmock serve [flags]       run the server (default scenario sp1-office2003)
//	wsusmock scenarios           list the built-in scenarios
//	wsusmock admin COMMAND       control a running server through its admin API
//	wsusmock client [flags]      run a simulated WUA 7.x detection cycle
//
// Run "wsusmock COMMAND -h" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	case "detect":
		return runDetect(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	default:
		fmt.Fprintf(stderr, "wsusmock: unknown command %q\n", cmd)
		usage(stderr)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(cycleFailedError)):
		return exitCycleFailed
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

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: wsusmock COMMAND [flags]

commands:
  serve       run the mock WSUS 3.0 server
  scenarios   list the built-in scenarios
  load        send a bounded load to a server on loopback and report its cost
  floor       serve fixed bytes for any request: what load runs compare the server with
  client      run a simulated Windows Update Agent detection cycle against a server
  detect      look for advisory 954960 in client and server logs, or probe a server

Run "wsusmock COMMAND -h" for the flags of a command.
`)
}

// newFlagSet makes a command's flag set: errors are returned, not fatal, and
// usage goes to the given writer.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "usage: wsusmock %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}
