package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

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
  approve UPDATE_ID [--group G]     approve for Install (default group: All Computers)
  decline UPDATE_ID [--group G]     decline
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
}

func (o *adminOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.server, "server", o.server, "URL of the wsusmock server (default $"+adminServerEnv+", else http://127.0.0.1:8530)")
	fs.StringVar(&o.token, "token", o.token, "admin bearer token (default $"+adminTokenEnv+")")
	fs.BoolVar(&o.text, "text", o.text, "print short human-readable lines instead of JSON")
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The environment is read after parsing, so -h never prints a token.
	var o adminOptions
	fs := newFlagSet("admin", adminSynopsis, stderr)
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{"admin: a command is missing"}
	}
	c := &adminClient{opts: &o, out: stdout, stderr: stderr, http: &http.Client{}}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch cmd {
	case "server":
		return c.simple(ctx, rest, "server", http.MethodGet, "/server", nil, c.printServer)
	case "hotfix":
		return c.hotfix(ctx, rest, stderr)
	case "updates":
		return c.simple(ctx, rest, "updates", http.MethodGet, "/updates", nil, c.printUpdates)
	case "approve", "decline":
		return c.approval(ctx, cmd, rest, stderr)
	case "scenario":
		return c.scenario(ctx, rest, stderr)
	case "reset":
		return c.simple(ctx, rest, "reset", http.MethodPost, "/reset", nil, c.printServer)
	case "faults":
		return c.faults(ctx, rest, stderr)
	case "journal":
		return c.journal(ctx, rest, stderr)
	case "events":
		return c.events(ctx, rest, stderr)
	}
	return usageError{fmt.Sprintf("admin: unknown command %q (run \"wsusmock admin -h\")", cmd)}
}

// adminClient calls one server's admin API.
type adminClient struct {
	opts   *adminOptions
	out    io.Writer
	stderr io.Writer
	http   *http.Client
}

// refusal is the server's JSON error reply.
type refusal struct {
	Status int
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

func (r *refusal) err() error {
	msg := fmt.Sprintf("server refused (%d %s): %s", r.Status, http.StatusText(r.Status), r.Error)
	if r.Reason != "" {
		msg += ": " + r.Reason
	}
	return errors.New(msg)
}

// do sends one request and returns the reply body of a success, or the
// server's refusal as an error.
func (c *adminClient) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the reply: %w", err)
	}
	return b, nil
}

func (c *adminClient) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	server := cmp.Or(c.opts.server, os.Getenv(adminServerEnv), "http://127.0.0.1:8530")
	token := cmp.Or(c.opts.token, os.Getenv(adminTokenEnv))
	base := strings.TrimRight(server, "/")
	if _, err := url.ParseRequestURI(base); err != nil || !strings.HasPrefix(base, "http") {
		return nil, usageError{fmt.Sprintf("--server %q: not an http(s) URL", server)}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/__admin"+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		r := refusal{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &r) != nil || r.Error == "" {
			r.Error = strings.TrimSpace(string(b))
		}
		return nil, r.err()
	}
	return resp, nil
}

// simple runs a command without arguments of its own.
func (c *adminClient) simple(ctx context.Context, args []string, name, method, path string, body []byte, text func([]byte) error) error {
	fs := newFlagSet("admin "+name, "admin "+name, c.stderr)
	c.opts.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return c.call(ctx, method, path, body, text)
}

func (c *adminClient) call(ctx context.Context, method, path string, body []byte, text func([]byte) error) error {
	b, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if c.opts.text && text != nil {
		return text(b)
	}
	return c.printJSON(b)
}

func (c *adminClient) printJSON(b []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(b), "", "  "); err != nil {
		return fmt.Errorf("the server's reply is not JSON: %w", err)
	}
	out.WriteByte('\n')
	_, err := c.out.Write(out.Bytes())
	return err
}

// parseArgs parses flags placed before, between or after positional
// arguments, and checks how many positional arguments there are.
func parseArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
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
	return pos, nil
}

func (c *adminClient) hotfix(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin hotfix", "admin hotfix install|remove KB954960", stderr)
	c.opts.register(fs)
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	path := "/hotfixes/" + url.PathEscape(pos[1])
	switch pos[0] {
	case "install":
		return c.call(ctx, http.MethodPost, path, nil, func(b []byte) error {
			var r soapserver.HotfixResult
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			state := "installed"
			if !r.Changed {
				state = "already installed"
			}
			_, err := fmt.Fprintf(c.out, "%s %s: %s, Client.dll %s\n", r.Hotfix, state, r.Server.Product, r.Server.ClientDLLVersion)
			return err
		})
	case "remove":
		return c.call(ctx, http.MethodDelete, path, nil, nil)
	}
	return usageError{fmt.Sprintf("admin hotfix: unknown action %q (install or remove)", pos[0])}
}

func (c *adminClient) approval(ctx context.Context, action string, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin "+action, "admin "+action+" UPDATE_ID [--group G]", stderr)
	c.opts.register(fs)
	group := fs.String("group", "", "target group (default All Computers)")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(soapserver.ApprovalRequest{Group: *group})
	return c.call(ctx, http.MethodPost, "/updates/"+url.PathEscape(pos[0])+"/"+action, body, func(b []byte) error {
		var r struct {
			Action string                   `json:"action"`
			Group  string                   `json:"group"`
			Update soapserver.CatalogUpdate `json:"update"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		for _, a := range r.Update.Approvals {
			if strings.EqualFold(a.Group, r.Group) {
				_, err := fmt.Fprintf(c.out, "%s %q in %s: %s\n", r.Update.UpdateID, r.Update.Title, a.Group, approvalText(a))
				return err
			}
		}
		return nil
	})
}

func approvalText(a soapserver.GroupApproval) string {
	switch {
	case a.Inconsistent:
		return fmt.Sprintf("%s, %d deployment rows (inconsistent)", a.State, len(a.Deployments))
	case len(a.Deployments) == 1:
		return fmt.Sprintf("%s (deployment %d)", a.State, a.Deployments[0].DeploymentID)
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
		return c.call(ctx, http.MethodGet, "/scenario", nil, func(b []byte) error {
			var r struct {
				Name, Description string
			}
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			_, err := fmt.Fprintf(c.out, "%s: %s\n", r.Name, r.Description)
			return err
		})
	}
	body, _ := json.Marshal(soapserver.ScenarioRequest{Name: pos[0]})
	return c.call(ctx, http.MethodPut, "/scenario", body, c.printServer)
}

func (c *adminClient) faults(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("admin faults", "admin faults add '<json>' | list | clear | remove ID", stderr)
	c.opts.register(fs)
	pos, err := parseArgs(fs, args, 1, 2)
	if err != nil {
		return err
	}
	one := func(b []byte) error {
		var r soapserver.FaultRule
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		_, err := fmt.Fprintln(c.out, ruleText(r))
		return err
	}
	switch {
	case pos[0] == "add" && len(pos) == 2:
		return c.call(ctx, http.MethodPost, "/faults", []byte(pos[1]), one)
	case pos[0] == "list" && len(pos) == 1:
		return c.call(ctx, http.MethodGet, "/faults", nil, func(b []byte) error {
			var r struct{ Faults []soapserver.FaultRule }
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			for _, f := range r.Faults {
				if _, err := fmt.Fprintln(c.out, ruleText(f)); err != nil {
					return err
				}
			}
			return nil
		})
	case pos[0] == "clear" && len(pos) == 1:
		return c.call(ctx, http.MethodDelete, "/faults", nil, nil)
	case pos[0] == "remove" && len(pos) == 2:
		return c.call(ctx, http.MethodDelete, "/faults/"+url.PathEscape(pos[1]), nil, nil)
	}
	return usageError{"admin faults: want add '<json>', list, clear or remove ID"}
}

func ruleText(r soapserver.FaultRule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", r.ID)
	for _, kv := range [][2]string{{"operation", r.Operation}, {"client", r.ClientID}, {"error_code", r.ErrorCode}, {"transport", r.Transport}} {
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
	op := fs.String("operation", "", "only this operation, e.g. SyncUpdates")
	client := fs.String("client", "", "only this client id")
	fault := fs.String("fault", "", "only this fault, e.g. InternalServerError")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"operation": *op, "client": *client, "fault": *fault} {
		if v != "" {
			q.Set(k, v)
		}
	}
	path := "/journal"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.call(ctx, http.MethodGet, path, nil, func(b []byte) error {
		var p soapserver.JournalPage
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
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
	resp, err := c.send(ctx, http.MethodGet, "/events", nil)
	if err != nil {
		if ctx.Err() != nil && *count == 0 {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := 0
	for (*count == 0 || seen < *count) && sc.Scan() {
		line := sc.Bytes()
		var ev struct {
			soapserver.JournalEntry
			Dropped *uint64 `json:"dropped"`
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("event stream: %w", err)
		}
		if ev.Dropped == nil {
			seen++
		}
		switch {
		case !c.opts.text:
			_, err = fmt.Fprintf(c.out, "%s\n", line)
		case ev.Dropped != nil:
			_, err = fmt.Fprintf(c.out, "(%d events dropped: this reader fell behind)\n", *ev.Dropped)
		default:
			_, err = fmt.Fprintln(c.out, strings.ReplaceAll(entryText(&ev.JournalEntry), "\t", " "))
		}
		if err != nil {
			return err
		}
	}
	switch {
	case *count > 0 && seen >= *count:
		return nil
	case ctx.Err() != nil && *count > 0:
		return fmt.Errorf("events: %d of %d exchanges seen before the timeout", seen, *count)
	case ctx.Err() != nil:
		return nil // the timeout or an interrupt ended the stream
	case sc.Err() != nil:
		return fmt.Errorf("event stream: %w", sc.Err())
	}
	return errors.New("events: the server ended the stream")
}

func (c *adminClient) printServer(b []byte) error {
	var s soapserver.ServerInfo
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	hotfixes := "none"
	if len(s.Hotfixes) > 0 {
		hotfixes = strings.Join(s.Hotfixes, ", ")
	}
	_, err := fmt.Fprintf(c.out, "%s: VersionString %s, Client.dll %s, protocol %s, hotfixes %s (build %s, scenario %s)\n",
		s.Product, s.Version, s.ClientDLLVersion, s.ProtocolVersion, hotfixes, s.Build, s.Scenario)
	return err
}

func (c *adminClient) printUpdates(b []byte) error {
	var r struct{ Updates []soapserver.CatalogUpdate }
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	for _, u := range r.Updates {
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
