package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsusmock/wsusmock/soapserver"
)

// maxReply bounds a reply the client reads: the journal at its largest.
const maxReply = 64 << 20

// Client calls a server's admin API over HTTP. Its methods are API's; a
// refusal is an *Error with the server's code, message and reason.
type Client struct {
	// URL is the server root, e.g. http://127.0.0.1:8530.
	URL string
	// Token, when set, is sent as "Authorization: Bearer TOKEN".
	Token string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// NewClient returns a client of the server at rawURL, refusing a URL that
// is not http or https.
func NewClient(rawURL, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("admin: server URL %q: not an http(s) URL", rawURL)
	}
	return &Client{URL: u.String(), Token: token}, nil
}

// Do sends one request to path (under Prefix) with body, when not nil, as
// JSON (a []byte is sent as it is), and returns the reply body of a
// success, or the server's refusal.
// The typed methods are built on it; it is there for tools that pass the
// server's JSON through.
func (c *Client) Do(ctx context.Context, method, path string, body any) ([]byte, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, fmt.Errorf("admin: reading the reply of %s %s: %w", method, path, err)
	}
	return b, nil
}

func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	b, err := c.Do(ctx, method, path, body)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("admin: the reply of %s %s: %w", method, path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return nil, err
			}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+Prefix+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	return resp, nil
}

// readError turns a refusal into an *Error; a reply that is not the admin
// API's JSON (a proxy's page) keeps its text as the message.
func readError(resp *http.Response) *Error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e Error
	if json.Unmarshal(b, &e) != nil || e.Message == "" {
		e = Error{Message: strings.TrimSpace(string(b))}
		if e.Message == "" {
			e.Message = resp.Status
		}
	}
	if e.Code == "" {
		e.Code = codeOf(resp.StatusCode)
	}
	return &e
}

// Info describes the server as it is now.
func (c *Client) Info(ctx context.Context) (ServerInfo, error) {
	var v ServerInfo
	return v, c.call(ctx, http.MethodGet, "/server", nil, &v)
}

// InstallHotfix installs a hotfix; see Controller.InstallHotfix.
func (c *Client) InstallHotfix(ctx context.Context, kb string) (HotfixResult, error) {
	var v HotfixResult
	return v, c.call(ctx, http.MethodPost, "/hotfixes/"+url.PathEscape(kb), nil, &v)
}

// RemoveHotfix always refuses, as the real update did.
func (c *Client) RemoveHotfix(ctx context.Context, kb string) error {
	return c.call(ctx, http.MethodDelete, "/hotfixes/"+url.PathEscape(kb), nil, nil)
}

// Updates lists the catalog with approvals per target group.
func (c *Client) Updates(ctx context.Context) ([]CatalogUpdate, error) {
	var v UpdateList
	return v.Updates, c.call(ctx, http.MethodGet, "/updates", nil, &v)
}

// Approve approves an update for Install to a group ("" means All
// Computers).
func (c *Client) Approve(ctx context.Context, updateID, group string) (ApprovalResult, error) {
	return c.approval(ctx, "approve", updateID, group)
}

// Decline declines an update in a group ("" means All Computers).
func (c *Client) Decline(ctx context.Context, updateID, group string) (ApprovalResult, error) {
	return c.approval(ctx, "decline", updateID, group)
}

func (c *Client) approval(ctx context.Context, action, updateID, group string) (ApprovalResult, error) {
	var v ApprovalResult
	return v, c.call(ctx, http.MethodPost, "/updates/"+url.PathEscape(updateID)+"/"+action, ApprovalRequest{Group: group}, &v)
}

// Scenario names the scenario served and the built-in ones.
func (c *Client) Scenario(ctx context.Context) (ScenarioInfo, error) {
	var v ScenarioInfo
	return v, c.call(ctx, http.MethodGet, "/scenario", nil, &v)
}

// SelectScenario switches to a built-in scenario.
func (c *Client) SelectScenario(ctx context.Context, name string) (ServerInfo, error) {
	var v ServerInfo
	return v, c.call(ctx, http.MethodPut, "/scenario", ScenarioRequest{Name: name}, &v)
}

// Reset returns to the scenario's initial state and clears fault rules and
// the journal.
func (c *Client) Reset(ctx context.Context) (ServerInfo, error) {
	var v ServerInfo
	return v, c.call(ctx, http.MethodPost, "/reset", nil, &v)
}

// AddFault installs a fault-injection rule and returns it with its ID.
func (c *Client) AddFault(ctx context.Context, rule soapserver.FaultRule) (soapserver.FaultRule, error) {
	var v soapserver.FaultRule
	return v, c.call(ctx, http.MethodPost, "/faults", rule, &v)
}

// Faults lists the installed rules with their counters.
func (c *Client) Faults(ctx context.Context) ([]soapserver.FaultRule, error) {
	var v FaultList
	return v.Faults, c.call(ctx, http.MethodGet, "/faults", nil, &v)
}

// Fault returns one rule.
func (c *Client) Fault(ctx context.Context, id string) (soapserver.FaultRule, error) {
	var v soapserver.FaultRule
	return v, c.call(ctx, http.MethodGet, "/faults/"+url.PathEscape(id), nil, &v)
}

// RemoveFault removes one rule.
func (c *Client) RemoveFault(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, "/faults/"+url.PathEscape(id), nil, nil)
}

// ClearFaults removes every rule and says how many there were.
func (c *Client) ClearFaults(ctx context.Context) (int, error) {
	var v Removed
	return v.Removed, c.call(ctx, http.MethodDelete, "/faults", nil, &v)
}

// Journal returns the recorded exchanges the filter selects.
func (c *Client) Journal(ctx context.Context, f soapserver.JournalFilter) (soapserver.JournalPage, error) {
	var v soapserver.JournalPage
	return v, c.call(ctx, http.MethodGet, "/journal"+journalQuery(f), nil, &v)
}

// journalQuery is the query string of a filter.
func journalQuery(f soapserver.JournalFilter) string {
	q := url.Values{}
	for k, v := range map[string]string{"operation": f.Operation, "client": f.ClientID, "fault": f.Fault} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Since > 0 {
		q.Set("since", strconv.FormatUint(f.Since, 10))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// ClearJournal forgets the recorded exchanges.
func (c *Client) ClearJournal(ctx context.Context) error {
	return c.call(ctx, http.MethodDelete, "/journal", nil, nil)
}

// RunClient runs a simulated client on the server, against itself.
func (c *Client) RunClient(ctx context.Context, req ClientRunRequest) (ClientRun, error) {
	var out ClientRun
	err := c.call(ctx, http.MethodPost, "/clients/run", req, &out)
	return out, err
}

// ServerLog reads the server log lines the server keeps, numbered above
// since.
func (c *Client) ServerLog(ctx context.Context, since uint64) (ServerLogPage, error) {
	var out ServerLogPage
	err := c.call(ctx, http.MethodGet, "/serverlog?since="+strconv.FormatUint(since, 10), nil, &out)
	return out, err
}

// Profiles names the built-in client profiles RunClient takes.
func (c *Client) Profiles(ctx context.Context) (ProfileList, error) {
	var out ProfileList
	err := c.call(ctx, http.MethodGet, "/profiles", nil, &out)
	return out, err
}

// Events opens the event stream. The stream ends when ctx is done, when a
// Next's context is done, or on Close.
func (c *Client) Events(ctx context.Context, buffer int) (Stream, error) {
	path := "/events"
	if buffer > 0 {
		path += "?buffer=" + strconv.Itoa(buffer)
	}
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &clientStream{body: resp.Body, lines: sc}, nil
}

// clientStream reads the NDJSON event stream.
type clientStream struct {
	body   io.ReadCloser
	lines  *bufio.Scanner
	once   sync.Once
	closed atomic.Bool
}

// Next reads the next event. A line is an exchange, or {"dropped": n}.
func (s *clientStream) Next(ctx context.Context) (soapserver.Event, error) {
	stop := context.AfterFunc(ctx, s.Close)
	defer stop()
	if !s.lines.Scan() {
		if ctx.Err() != nil {
			return soapserver.Event{}, ctx.Err()
		}
		if err := s.lines.Err(); err != nil && !s.closed.Load() {
			return soapserver.Event{}, fmt.Errorf("admin: event stream: %w", err)
		}
		return soapserver.Event{}, soapserver.ErrClosed
	}
	var line struct {
		soapserver.JournalEntry
		Dropped *uint64 `json:"dropped"`
	}
	if err := json.Unmarshal(s.lines.Bytes(), &line); err != nil {
		return soapserver.Event{}, fmt.Errorf("admin: event stream: %w", err)
	}
	if line.Dropped != nil {
		return soapserver.Event{Dropped: *line.Dropped}, nil
	}
	return soapserver.Event{Entry: &line.JournalEntry}, nil
}

// Batch reads the next event and appends it to buf: the lines of the
// stream are read one at a time, and the server has paced them already.
func (s *clientStream) Batch(ctx context.Context, buf []soapserver.Event, _ int, _ time.Duration) ([]soapserver.Event, error) {
	ev, err := s.Next(ctx)
	if err != nil {
		return buf, err
	}
	return append(buf, ev), nil
}

// Close ends the stream.
func (s *clientStream) Close() {
	s.once.Do(func() {
		s.closed.Store(true)
		_ = s.body.Close()
	})
}
