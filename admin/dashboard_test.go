package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/internal/adminrig"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/soapserver"
)

// serverLogWith polls the kept server log until a line contains want: the
// log is written by its own goroutine, a moment after the reply.
func serverLogWith(t *testing.T, c admin.API, want string) []admin.LogLine {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := c.ServerLog(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Lines {
			if strings.Contains(l.Text, want) {
				return page.Lines
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no server log line contains %q in %d lines", want, len(page.Lines))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunClientShowsTheFaultInBothLogs(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	c := a.Client()
	ctx := context.Background()

	run, err := c.RunClient(ctx, admin.ClientRunRequest{Profile: "xp-sp3-office2003", Name: "PC-ANNA"})
	if err != nil {
		t.Fatal(err)
	}
	if run.Succeeded || run.HResult != "0x8024400E" || run.Fault != "InternalServerError" || run.Operation != "SyncUpdates" || run.HTTPStatus != 200 {
		t.Fatalf("run = %+v, want the SyncUpdates InternalServerError of advisory 954960", run)
	}
	if !strings.Contains(strings.Join(run.Log, "\n"), run.FaultID) {
		t.Errorf("the client's WindowsUpdate.log does not name fault ID %s", run.FaultID)
	}
	lines := serverLogWith(t, c, run.FaultID)
	if !strings.Contains(lines[0].Text, "Key being added: '8862'") {
		t.Errorf("first server log line %q, want the duplicate key of 8862", lines[0].Text)
	}

	page, err := c.Journal(ctx, soapserver.JournalFilter{ClientID: run.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) == 0 {
		t.Fatal("the run left no exchange in the journal")
	}
	for _, e := range page.Entries {
		if e.ClientName != "PC-ANNA" || !strings.HasPrefix(e.Remote, "127.0.0.1:") {
			t.Errorf("%s: client name %q from %q, want PC-ANNA from loopback", e.Operation, e.ClientName, e.Remote)
		}
	}

	if _, err := c.InstallHotfix(ctx, "KB954960"); err != nil {
		t.Fatal(err)
	}
	run, err = c.RunClient(ctx, admin.ClientRunRequest{Profile: "xp-sp3-office2003"})
	if err != nil || !run.Succeeded {
		t.Fatalf("after KB954960: run %+v, %v; want success", run, err)
	}
}

func TestRunClientRefusals(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	for _, tc := range []struct {
		body, field string
		status      int
	}{
		{`{"profile": "windows-11"}`, "profile", http.StatusNotFound},
		{`{"profile": "xp-sp3", "name": "a name; rm -rf"}`, "name", http.StatusBadRequest},
		{`{"profile": "xp-sp3", "name": "` + strings.Repeat("a", 64) + `"}`, "name", http.StatusBadRequest},
		{`{"profile": "xp-sp3", "extra": 1}`, "", http.StatusBadRequest},
	} {
		var e admin.Error
		if got := a.Admin(http.MethodPost, "/clients/run", tc.body, &e); got != tc.status || e.Field != tc.field {
			t.Errorf("%s: %d field %q (%s), want %d field %q", tc.body, got, e.Field, e.Reason, tc.status, tc.field)
		}
	}
	var e admin.Error
	if a.Admin(http.MethodPost, "/clients/run", `{"profile": "windows-11"}`, &e); !strings.Contains(e.Reason, "xp-sp3-office2003") {
		t.Errorf("reason %q does not list the built-in profiles", e.Reason)
	}
}

func TestRunClientIsBounded(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	c := a.Client()
	ctx := context.Background()
	// GetConfig waits, so the first runs are still going when one more asks.
	slow, err := c.AddFault(ctx, soapserver.FaultRule{Operation: "GetConfig", Latency: &soapserver.Latency{FixedMS: 1500}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range admin.MaxClientRuns {
		wg.Go(func() {
			if _, err := c.RunClient(ctx, admin.ClientRunRequest{Profile: "xp-sp3"}); err != nil {
				t.Error(err)
			}
		})
	}
	// Wait until every run has reached the server.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		fr, err := c.Fault(ctx, slow.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fr.Hits >= admin.MaxClientRuns || time.Now().After(deadline) {
			break
		}
	}
	_, err = c.RunClient(ctx, admin.ClientRunRequest{Profile: "xp-sp3"})
	var ae *admin.Error
	if !errors.As(err, &ae) || ae.Code != admin.Conflict {
		t.Errorf("run beyond %d: %v, want Conflict", admin.MaxClientRuns, err)
	}
	wg.Wait()
}

func TestResetWritesAMarkerInTheServerLog(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	if _, err := a.Client().Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := serverLogWith(t, a.Client(), admin.ResetMarkerSource)
	if !strings.Contains(lines[len(lines)-1].Text, "reset: scenario sp1-office2003 restored") {
		t.Errorf("marker %q", lines[len(lines)-1].Text)
	}
}

func TestEventsAsServerSentEvents(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	req, _ := http.NewRequest(http.MethodGet, a.URL()+"/__admin/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	rd := bufio.NewReader(resp.Body)
	if line, _ := rd.ReadString('\n'); !strings.HasPrefix(line, ":") {
		t.Fatalf("first line %q, want a comment that opens the stream", line)
	}
	a.GetConfig()
	var event, data string
	for event == "" || data == "" {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = strings.TrimSpace(v)
		}
	}
	var e soapserver.JournalEntry
	if err := json.Unmarshal([]byte(data), &e); err != nil || event != "exchange" || e.Operation != "GetConfig" {
		t.Errorf("event %q data %s (%v), want the GetConfig exchange", event, data, err)
	}
}

func TestDashboardPage(t *testing.T) {
	w, err := scenarios.BuiltinWorld("sp1-office2003")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{World: w, Admin: admin.Access{Token: "s3cret"}}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	get := func(path, host string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	// The page holds no data: it loads without the token, which it then
	// sends with every call of the API.
	resp := get("/__admin/ui/", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), `src="app.js"`) {
		t.Fatalf("page: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q lets the page reach other hosts", csp)
	}
	if resp := get("/__admin/server", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API without the token: %d, want 401", resp.StatusCode)
	}
	if resp := get("/__admin/ui/", "evil.example:8530"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("page for a foreign Host: %d, want 403", resp.StatusCode)
	}
	if resp := get("/__admin/ui", ""); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("/__admin/ui: %d %s, want the page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp := get("/__admin/ui/app.js", ""); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("app.js: %s", resp.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/__admin/ui/nothing.js", "/__admin/ui/../ui.go", "/__admin/ui/%2e%2e/ui.go"} {
		if resp := get(path, ""); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s, want a JSON 404", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/__admin/ui/", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST on the page: %v %v, want 405", resp.Status, err)
	}
}

// The page must work on a machine with no internet: none of its files
// names another host.
func TestDashboardNamesNoOtherHost(t *testing.T) {
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	files := admin.UIFiles()
	n := 0
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := fs.ReadFile(files, path)
		if m := url.Find(b); m != nil {
			t.Errorf("%s names %s", path, m)
		}
		return err
	})
	if err != nil || n < 3 {
		t.Fatalf("%d files, %v", n, err)
	}
}

func TestLogRingIsBounded(t *testing.T) {
	r := admin.NewLogRing(nil)
	for i := range admin.MaxLogLines + 10 {
		fmt.Fprintf(r, "line %d\r\n", i)
	}
	lines := r.Since(0)
	if len(lines) != admin.MaxLogLines || lines[0].Text != "line 10" || lines[0].Seq != 11 {
		t.Fatalf("%d lines from %q (seq %d), want the newest %d", len(lines), lines[0].Text, lines[0].Seq, admin.MaxLogLines)
	}
	if got := r.Since(lines[len(lines)-2].Seq); len(got) != 1 {
		t.Errorf("Since the last but one: %d lines, want 1", len(got))
	}

	// A line that never ends is held at MaxLogLine bytes, then cut.
	long := strings.Repeat("x", 1<<20)
	io.WriteString(r, long)
	io.WriteString(r, long+"\n")
	last := r.Since(0)[len(r.Since(0))-1].Text
	if len(last) != admin.MaxLogLine+len("[truncated]") || !strings.HasSuffix(last, "[truncated]") {
		t.Errorf("a 2 MiB line is kept as %d bytes", len(last))
	}

	// Lines of the largest size: the byte budget holds before the count.
	r = admin.NewLogRing(nil)
	for range admin.MaxLogLines {
		io.WriteString(r, strings.Repeat("y", admin.MaxLogLine)+"\n")
	}
	total := 0
	for _, l := range r.Since(0) {
		total += len(l.Text)
	}
	if total > admin.MaxLogBytes {
		t.Errorf("ring holds %d bytes, bound %d", total, admin.MaxLogBytes)
	}
}

// flushRecorder is a ResponseWriter that keeps what each flush sent: the
// batches a page's stream receives.
type flushRecorder struct {
	header http.Header
	mu     sync.Mutex // guards the fields below
	buf    bytes.Buffer
	sent   []string
}

func (f *flushRecorder) Header() http.Header { return f.header }
func (f *flushRecorder) WriteHeader(int)     {}
func (f *flushRecorder) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.Write(p)
}

func (f *flushRecorder) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buf.Len() > 0 {
		f.sent = append(f.sent, f.buf.String())
		f.buf.Reset()
	}
}

// exchanges says how many exchange events have been flushed, and in how
// many flushes.
func (f *flushRecorder) exchanges() (events, flushes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sent {
		if n := strings.Count(s, "event: exchange\n"); n > 0 {
			events += n
			flushes++
		}
	}
	return events, flushes
}

// A page's stream shows an exchange on an idle server within a second, and
// sends a burst in a few batches rather than one write per exchange.
func TestEventsStreamToAPageIsBatched(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	h := admin.NewHandler(a.Control, admin.Access{})
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8530/__admin/events", nil)
	req.RemoteAddr = "127.0.0.1:50000"
	req.Header.Set("Accept", "text/event-stream")
	ctx, cancel := context.WithCancel(context.Background())
	req = req.WithContext(ctx)
	page := &flushRecorder{header: http.Header{}}
	served := make(chan struct{})
	go func() {
		defer close(served)
		h.ServeHTTP(page, req)
	}()
	defer func() { cancel(); <-served }()
	shown := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(time.Second); ; time.Sleep(5 * time.Millisecond) {
			if n, _ := page.exchanges(); n >= want {
				return
			}
			if time.Now().After(deadline) {
				n, _ := page.exchanges()
				t.Fatalf("the page shows %d exchanges a second after the %dth", n, want)
			}
		}
	}
	// The stream is open once it has sent its opening comment.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		page.mu.Lock()
		open := len(page.sent) > 0
		page.mu.Unlock()
		if open {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream did not open")
		}
	}

	for i := 1; i <= 3; i++ {
		time.Sleep(2 * soapserver.BatchInterval) // idle
		a.GetConfig()
		shown(i)
	}

	const burst = 200
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range burst / 8 {
				a.GetConfig()
			}
		})
	}
	wg.Wait()
	shown(3 + burst)
	if _, flushes := page.exchanges(); flushes-3 > burst/4 {
		t.Errorf("a burst of %d exchanges took %d writes to the page, want at most %d", burst, flushes-3, burst/4)
	}
}
