package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/soapserver"
)

// Environment variables the admin client and server read when the flags
// are not given, so scripts keep tokens off the command line.
const (
	adminTokenEnv  = "WSUSMOCK_ADMIN_TOKEN"
	adminServerEnv = "WSUSMOCK_SERVER"
)

const adminSynopsis = `admin [--server URL] [--token T] [--text] COMMAND [ARGS]

commands:
  server                            the build, versions and hotfixes
  hotfix install KB954960           install the fix (refused on RTM and SP2, with the reason)
  hotfix remove KB954960            always refused, as the real update was
  updates                           the catalog with approvals per target group
  approve UPDATE [--group G]        approve for Install (default group: All Computers);
                                    UPDATE is an UpdateID, a revision ID (8862) or a title
  decline UPDATE [--group G]        decline
  workaround [UPDATE] [--group G]   the console workaround: decline, approve, decline
                                    (default 8862), with the rows before and after
  scenario [NAME]                   show, or switch to a built-in scenario
  reset                             back to the scenario's initial state; clears faults and journal
  faults add '<json rule>'          add a fault-injection rule
  faults list | clear | remove ID
  journal [--operation X] [--client Y] [--fault Z]
  events [--count N] [--timeout D]  stream exchanges as JSON lines

Output is the server's JSON, pretty-printed; --text prints short lines.
Exit status: 0 done, 1 refused by the server (its reason is printed) or
unreachable, 2 bad usage.`

// adminOptions are the flags every admin command accepts, before or after
// the command.
type adminOptions struct {
	server string
	token  string
	text   bool
	tls    tlsFlags
}

func (o *adminOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.server, "server", o.server, "URL of the wsusmock server (default $"+adminServerEnv+", else http://127.0.0.1:8530)")
	fs.StringVar(&o.token, "token", o.token, "admin bearer token (default $"+adminTokenEnv+")")
	fs.BoolVar(&o.text, "text", o.text, "print short human-readable lines instead of JSON")
	o.tls.register(fs)
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The environment is read after parsing, so -h never prints a token.
	var o adminOptions
	fs := newFlagSet("admin", adminSynopsis, stderr)
	o.register(fs)
	if err := parseOnce(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{"admin: a command is missing"}
	}
	c := &adminClient{opts: &o, out: stdout, stderr: stderr}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch cmd {
	case "server":
		return c.simple(ctx, rest, "server", typed((*admin.Client).Info), c.printServer)
	case "hotfix":
		return c.hotfix(ctx, rest, stderr)
	case "updates":
		return c.simple(ctx, rest, "updates", func(ctx context.Context, cl *admin.Client) (any, error) {
			us, err := cl.Updates(ctx)
			return admin.UpdateList{Updates: us}, err
		}, c.printUpdates)
	case "approve", "decline":
		return c.approval(ctx, cmd, rest, stderr)
	case "workaround":
		return c.workaround(ctx, rest, stderr)
	case "scenario":
		return c.scenario(ctx, rest, stderr)
	case "reset":
		return c.simple(ctx, rest, "reset", typed((*admin.Client).Reset), c.printServer)
	case "faults":
		return c.faults(ctx, rest, stderr)
	case "journal":
		return c.journal(ctx, rest, stderr)
	case "events":
		return c.events(ctx, rest, stderr)
	}
	return usageError{fmt.Sprintf("admin: unknown command %q (run \"wsusmock admin -h\")", cmd)}
}

// adminClient runs the admin commands against one server.
type adminClient struct {
	opts   *adminOptions
	out    io.Writer
	stderr io.Writer
}

// api is the typed client of the server the flags name.
func (c *adminClient) api() (*admin.Client, error) {
	server := c.serverURL()
	cl, err := admin.NewClient(server, cmp.Or(c.opts.token, os.Getenv(adminTokenEnv)))
	if err != nil {
		return nil, usageError{fmt.Sprintf("--server %q: not an http(s) URL", server)}
	}
	if cl.HTTPClient, err = c.opts.tls.httpClient(); err != nil {
		return nil, err
	}
	return cl, nil
}

// serverURL is the server the flags or the environment name.
func (c *adminClient) serverURL() string {
	return cmp.Or(c.opts.server, os.Getenv(adminServerEnv), defaultServerURL)
}

// refused words the server's refusal for the shell, with its HTTP status.
func refused(err error) error {
	var e *admin.Error
	if errors.As(err, &e) {
		st := e.Code.HTTPStatus()
		return fmt.Errorf("server refused (%d %s): %s", st, http.StatusText(st), e)
	}
	return err
}

// simple runs a command without arguments of its own.
func (c *adminClient) simple(ctx context.Context, args []string, name string, call func(context.Context, *admin.Client) (any, error), text func(any) error) error {
	fs := newFlagSet("admin "+name, "admin "+name, c.stderr)
	c.opts.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return c.run(ctx, call, text)
}

// run makes one call and prints its result: JSON as the server sent it,
// or with --text through text (when the command has a short form).
func (c *adminClient) run(ctx context.Context, call func(context.Context, *admin.Client) (any, error), text func(any) error) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	v, err := call(ctx, cl)
	if err != nil {
		return refused(err)
	}
	if c.opts.text && text != nil {
		return text(v)
	}
	if raw, ok := v.([]byte); ok {
		var out bytes.Buffer
		if err := json.Indent(&out, bytes.TrimSpace(raw), "", "  "); err != nil {
			return fmt.Errorf("the server's reply is not JSON: %w", err)
		}
		out.WriteByte('\n')
		_, err = c.out.Write(out.Bytes())
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s\n", b)
	return err
}

// typed adapts a client method with one result to run.
func typed[T any](f func(*admin.Client, context.Context) (T, error)) func(context.Context, *admin.Client) (any, error) {
	return func(ctx context.Context, cl *admin.Client) (any, error) { return f(cl, ctx) }
}

// parseArgs parses flags placed before, between or after positional
// arguments, and checks how many positional arguments there are.
func parseArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := parseOnce(fs, args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{fs.Name() + ": " + err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(pos) < min:
		return nil, usageError{fs.Name() + ": missing argument (run with -h)"}
	case len(pos) > max:
		return nil, usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), pos[max])}
	}
	return pos, flagsFromEnv(fs)
}

func (c *adminClient) hotfix(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin hotfix", "admin hotfix install|remove KB954960", stderr)
	c.opts.register(fs)
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	kb := pos[1]
	switch pos[0] {
	case "install":
		return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) { return cl.InstallHotfix(ctx, kb) }, func(v any) error {
			r := v.(admin.HotfixResult)
			state := "installed"
			if !r.Changed {
				state = "already installed"
			}
			_, err := fmt.Fprintf(c.out, "%s %s: %s, Client.dll %s\n", r.Hotfix, state, r.Server.Product, r.Server.ClientDLLVersion)
			return err
		})
	case "remove":
		return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) { return nil, cl.RemoveHotfix(ctx, kb) }, nil)
	}
	return usageError{fmt.Sprintf("admin hotfix: unknown action %q (install or remove)", pos[0])}
}

func (c *adminClient) approval(ctx context.Context, action string, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin "+action, "admin "+action+" UPDATE [--group G]\n\nUPDATE is an UpdateID, a revision ID (8862) or a title, whole or a part\nthat only one update's title holds (\"Office 2003 Service Pack 1\")", stderr)
	c.opts.register(fs)
	group := fs.String("group", "", "target group (default All Computers)")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	change := (*admin.Client).Approve
	if action == "decline" {
		change = (*admin.Client).Decline
	}
	return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) {
		id, err := resolveUpdate(ctx, cl, pos[0])
		if err != nil {
			return nil, err
		}
		return change(cl, ctx, id, *group)
	}, func(v any) error {
		r := v.(admin.ApprovalResult)
		_, err := fmt.Fprintln(c.out, approvalLine(r.Update, r.Group))
		return err
	})
}

// approvalLine is an update's state in a group on one line.
func approvalLine(u admin.CatalogUpdate, group string) string {
	a, ok := u.Approval(cmp.Or(group, "All Computers"))
	if !ok {
		return fmt.Sprintf("%d %s %q: no group %q", u.RevisionID, u.UpdateID, u.Title, group)
	}
	return fmt.Sprintf("%d %s %q in %s: %s", u.RevisionID, u.UpdateID, u.Title, a.Group, approvalText(a))
}

// isUpdateID says whether s has the shape of an UpdateID (a GUID), which
// goes to the server as it is.
func isUpdateID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", r):
			return false
		}
	}
	return true
}

// resolveUpdate turns what the user calls an update into its UpdateID:
// an UpdateID as it is; a revision ID (8862); a title, whole or a part
// that only one title holds, without regard to case. A name that fits
// several updates is an error listing them, never a guess.
func resolveUpdate(ctx context.Context, cl *admin.Client, name string) (string, error) {
	if isUpdateID(name) {
		return name, nil
	}
	us, err := cl.Updates(ctx)
	if err != nil {
		return "", err
	}
	if rev, err := strconv.Atoi(name); err == nil {
		for _, u := range us {
			if u.RevisionID == rev {
				return u.UpdateID, nil
			}
		}
		return "", usageError{fmt.Sprintf("no update has revision ID %d (run \"wsusmock admin --text updates\")", rev)}
	}
	var whole, part []admin.CatalogUpdate
	for _, u := range us {
		switch {
		case strings.EqualFold(u.Title, name):
			whole = append(whole, u)
		case strings.Contains(strings.ToLower(u.Title), strings.ToLower(name)):
			part = append(part, u)
		}
	}
	found := cmp.Or(len(whole), len(part))
	if len(whole) == 0 {
		whole = part
	}
	switch {
	case found == 1:
		return whole[0].UpdateID, nil
	case found == 0:
		return "", usageError{fmt.Sprintf("no update has UpdateID, revision ID or title %q (run \"wsusmock admin --text updates\")", name)}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q names %d updates; name one by revision ID or UpdateID:", name, found)
	for _, u := range whole {
		fmt.Fprintf(&b, "\n  %d  %s  %s", u.RevisionID, u.UpdateID, u.Title)
	}
	return "", usageError{b.String()}
}

// workaround is the console workaround of advisory 954960 on WSUS 3.0 RTM,
// where KB954960 cannot be installed: decline, approve, decline the update
// whose approvals are inconsistent, then show its rows before and after.
func (c *adminClient) workaround(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin workaround", "admin workaround [UPDATE] [--group G]\n\nUPDATE is as for approve; default 8862 (Office 2003 Service Pack 1)", stderr)
	c.opts.register(fs)
	group := fs.String("group", "", "target group (default All Computers)")
	pos, err := parseArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	name := "8862"
	if len(pos) == 1 {
		name = pos[0]
	}
	type result struct {
		Before admin.CatalogUpdate    `json:"before"`
		Steps  []admin.ApprovalResult `json:"steps"`
		After  admin.CatalogUpdate    `json:"after"`
	}
	return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) {
		id, err := resolveUpdate(ctx, cl, name)
		if err != nil {
			return nil, err
		}
		var r result
		us, err := cl.Updates(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if strings.EqualFold(u.UpdateID, id) {
				r.Before = u
			}
		}
		for _, step := range []func(*admin.Client, context.Context, string, string) (admin.ApprovalResult, error){
			(*admin.Client).Decline, (*admin.Client).Approve, (*admin.Client).Decline,
		} {
			ar, err := step(cl, ctx, id, *group)
			if err != nil {
				return nil, err
			}
			r.Steps = append(r.Steps, ar)
			r.After = ar.Update
		}
		return r, nil
	}, func(v any) error {
		r := v.(result)
		fmt.Fprintln(c.out, "before:  ", approvalLine(r.Before, *group))
		for _, s := range r.Steps {
			fmt.Fprintf(c.out, "%-9s %s\n", s.Action+":", approvalLine(s.Update, s.Group))
		}
		fmt.Fprintln(c.out, "after:   ", approvalLine(r.After, *group))
		_, err := fmt.Fprintf(c.out, "run a client to see the effect: wsusmock client --server %s --profile xp-sp3-office2003 --quiet\n", c.serverURL())
		return err
	})
}

func approvalText(a admin.GroupApproval) string {
	switch {
	case a.Inconsistent:
		return fmt.Sprintf("%s, %d deployment rows (inconsistent)", a.State, len(a.Deployments))
	case len(a.Deployments) == 1:
		return fmt.Sprintf("%s (deployment %d)", a.State, a.Deployments[0].DeploymentID)
	case a.State == "Declined":
		return a.State + " (no deployment rows)"
	}
	return a.State
}

func (c *adminClient) scenario(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin scenario", "admin scenario [NAME]", stderr)
	c.opts.register(fs)
	pos, err := parseArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return c.run(ctx, typed((*admin.Client).Scenario), func(v any) error {
			r := v.(admin.ScenarioInfo)
			_, err := fmt.Fprintf(c.out, "%s: %s\n", r.Name, r.Description)
			return err
		})
	}
	return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) { return cl.SelectScenario(ctx, pos[0]) }, c.printServer)
}

func (c *adminClient) faults(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin faults", faultsSynopsis, stderr)
	c.opts.register(fs)
	pos, err := parseArgs(fs, args, 1, 2)
	if err != nil {
		return err
	}
	switch {
	case pos[0] == "add" && len(pos) == 2:
		// The rule goes to the server as written, so that the server, not
		// a decoding here, names a misspelt field.
		return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) {
			return cl.Do(ctx, http.MethodPost, "/faults", []byte(pos[1]))
		}, func(v any) error {
			var r soapserver.FaultRule
			if err := json.Unmarshal(v.([]byte), &r); err != nil {
				return err
			}
			_, err := fmt.Fprintln(c.out, ruleText(r))
			return err
		})
	case pos[0] == "list" && len(pos) == 1:
		return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) {
			fs, err := cl.Faults(ctx)
			return admin.FaultList{Faults: fs}, err
		}, func(v any) error {
			for _, f := range v.(admin.FaultList).Faults {
				if _, err := fmt.Fprintln(c.out, ruleText(f)); err != nil {
					return err
				}
			}
			return nil
		})
	case pos[0] == "clear" && len(pos) == 1:
		return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) {
			n, err := cl.ClearFaults(ctx)
			return admin.Removed{Removed: n}, err
		}, nil)
	case pos[0] == "remove" && len(pos) == 2:
		return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) {
			return admin.Removed{Removed: 1}, cl.RemoveFault(ctx, pos[1])
		}, nil)
	}
	return usageError{"admin faults: want add '<json>', list, clear or remove ID"}
}

const faultsSynopsis = `admin faults add '<json rule>' | list | clear | remove ID

A rule is a JSON object. It matches exchanges by
  operation     an operation name, e.g. "SyncUpdates" (empty: any)
  client_id     a SusClientId (empty: any client)
  nth           only the nth matching exchange, from 1 (0: every one)
  times         at most this many hits (0: no bound)
  probability   hit with this chance, 0..1, drawn from seed (absent: always)
  seed          seed of the draws: the same seed hits the same exchanges
and answers with one of
  error_code    a WSUS ErrorCode as a SOAP fault: InternalServerError,
                ServerChanged, CookieExpired, InvalidCookie, ServerBusy, ...
  message       the fault's detail message, with error_code
  transport     "reset" (TCP RST), "empty" (closed, no reply), "truncate"
                (cut short of its Content-Length) or "drip" (sent slowly);
                excludes error_code
  drip          {"bytes":16,"interval_ms":100,"max_ms":5000} for "drip"
  latency       a delay, alone or with another effect: {"fixed_ms":500}, or
                {"distribution":"uniform","min_ms":..,"max_ms":..} or
                {"distribution":"normal","mean_ms":..,"stddev_ms":..}, "seed"
A misspelt field is refused with its name. "list" shows each rule with
matched= (exchanges it matched) and hits= (exchanges it changed).`

func ruleText(r soapserver.FaultRule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", r.ID)
	for _, kv := range [][2]string{{"operation", r.Operation}, {"client", r.ClientID}, {"error_code", string(r.ErrorCode)}, {"transport", r.Transport}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
		}
	}
	if r.Nth > 0 {
		fmt.Fprintf(&b, " nth=%d", r.Nth)
	}
	if r.Times > 0 {
		fmt.Fprintf(&b, " times=%d", r.Times)
	}
	if r.Probability != nil {
		fmt.Fprintf(&b, " probability=%g seed=%d", *r.Probability, r.Seed)
	}
	if r.Latency != nil {
		b.WriteString(" latency")
	}
	fmt.Fprintf(&b, " matched=%d hits=%d", r.Matched, r.Hits)
	return b.String()
}

func (c *adminClient) journal(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin journal", "admin journal [--operation X] [--client Y] [--fault Z]", stderr)
	c.opts.register(fs)
	var f soapserver.JournalFilter
	fs.StringVar(&f.Operation, "operation", "", "only this operation, e.g. SyncUpdates")
	fs.StringVar(&f.ClientID, "client", "", "only this client id")
	fs.StringVar(&f.Fault, "fault", "", "only this fault, e.g. InternalServerError")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	return c.run(ctx, func(ctx context.Context, cl *admin.Client) (any, error) { return cl.Journal(ctx, f) }, func(v any) error {
		p := v.(soapserver.JournalPage)
		tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
		for _, e := range p.Entries {
			fmt.Fprintln(tw, entryText(e))
		}
		fmt.Fprintf(tw, "%d shown, %d recorded, %d dropped\n", len(p.Entries), p.Total, p.Dropped)
		return tw.Flush()
	})
}

func entryText(e *soapserver.JournalEntry) string {
	s := fmt.Sprintf("%d\t%s\t%s\t%s\t%d", e.Seq, e.Time.Format(time.RFC3339), dash(e.Operation), dash(e.ClientID), e.Status)
	if e.Fault != "" {
		s += "\t" + e.Fault
	}
	if e.Injected != "" {
		s += "\t(injected by " + e.Injected + ")"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (c *adminClient) events(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin events", "admin events [--count N] [--timeout D]", stderr)
	c.opts.register(fs)
	count := fs.Int("count", 0, "stop after N exchanges (0: no limit)")
	timeout := fs.Duration("timeout", 0, "stop after this long; with --count, not seeing N exchanges by then is an error (0: no limit)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *count < 0 || *timeout < 0 {
		return usageError{"admin events: --count and --timeout must not be negative"}
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	stream, err := cl.Events(ctx, 0)
	if err != nil {
		if ctx.Err() != nil && *count == 0 {
			return nil
		}
		return refused(err)
	}
	defer stream.Close()
	seen := 0
	for *count == 0 || seen < *count {
		ev, err := stream.Next(ctx)
		switch {
		case ctx.Err() != nil && *count > 0:
			return fmt.Errorf("events: %d of %d exchanges seen before the timeout", seen, *count)
		case ctx.Err() != nil:
			return nil // the timeout or an interrupt ended the stream
		case errors.Is(err, soapserver.ErrClosed):
			return errors.New("events: the server ended the stream")
		case err != nil:
			return err
		}
		var line any = ev.Entry
		if ev.Entry == nil {
			line = admin.Dropped{Dropped: ev.Dropped}
		} else {
			seen++
		}
		switch {
		case !c.opts.text:
			var b []byte
			if b, err = json.Marshal(line); err == nil {
				_, err = fmt.Fprintf(c.out, "%s\n", b)
			}
		case ev.Entry == nil:
			_, err = fmt.Fprintf(c.out, "(%d events dropped: this reader fell behind)\n", ev.Dropped)
		default:
			_, err = fmt.Fprintln(c.out, strings.ReplaceAll(entryText(ev.Entry), "\t", " "))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *adminClient) printServer(v any) error {
	s := v.(admin.ServerInfo)
	hotfixes := "none"
	if len(s.Hotfixes) > 0 {
		hotfixes = strings.Join(s.Hotfixes, ", ")
	}
	_, err := fmt.Fprintf(c.out, "%s: VersionString %s, Client.dll %s, protocol %s, hotfixes %s (build %s, scenario %s)\n",
		s.Product, s.Version, s.ClientDLLVersion, s.ProtocolVersion, hotfixes, s.Build, s.Scenario)
	return err
}

func (c *adminClient) printUpdates(v any) error {
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	for _, u := range v.(admin.UpdateList).Updates {
		var states []string
		for _, a := range u.Approvals {
			if a.State != "NotApproved" {
				states = append(states, a.Group+": "+approvalText(a))
			}
		}
		if len(states) == 0 {
			states = []string{"not approved"}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", u.RevisionID, u.UpdateID, u.Title, strings.Join(states, "; "))
	}
	return tw.Flush()
}
