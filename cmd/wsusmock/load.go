package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/wsusmock/wsusmock/wuaclient"

	"github.com/wsusmock/wsusmock/metrics"
	"github.com/wsusmock/wsusmock/wusp"
)

// runLoad is "wsusmock load": a bounded load run against a server, to measure
// what a request costs it. It reads the server's CPU time and resident
// memory before and after: from /proc with --server-pid, else from the
// server's /metrics; the README's performance table records these.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("load", "load --server URL [flags]", stderr)
	server := fs.String("server", defaultServerURL, "server root URL (loopback only: this is a load generator)")
	op := fs.String("op", "syncupdates", "request to repeat: getconfig; syncupdates (an Office 2003 client's third SyncUpdates: the KB954960 fault on a failing scenario); syncupdates-wua (the same as a WUA 7.x agent writes it, 3.5 KB); getextendedupdateinfo (the fragments that call offers, on sp1-kb954960)")
	prepare := fs.String("prepare-server", "", "server to walk the handshake against when building the request (default: -server); lets the load go to a \"wsusmock floor\"")
	requests := fs.Int("requests", 20000, "number of requests to send (the run stops at whichever of -requests and -duration comes first)")
	concurrency := fs.Int("concurrency", 8, "concurrent connections")
	duration := fs.Duration("duration", 30*time.Second, "upper bound on the run's length")
	var tlsf tlsFlags
	tlsf.register(fs)
	pid := fs.Int("server-pid", 0, "PID of the server process, to report its CPU time per request and its resident and peak memory from Linux /proc; without it they are read from the server's /metrics when it serves them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkServerURL("--server", *server); err != nil {
		return err
	}
	if !isLoopbackURL(*server) {
		return usageError{"-server must be a loopback address (127.0.0.0/8, ::1 or localhost)"}
	}
	if *requests <= 0 || *concurrency <= 0 || *duration <= 0 {
		return usageError{"-requests, -concurrency and -duration must be positive"}
	}
	tr, err := tlsf.transport(&http.Transport{MaxIdleConnsPerHost: *concurrency})
	if err != nil {
		return err
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	if *prepare == "" {
		*prepare = *server
	}
	if !isLoopbackURL(*prepare) {
		return usageError{"-prepare-server must be a loopback address"}
	}
	target, err := prepareLoad(client, strings.TrimRight(*prepare, "/"), *op)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		return unreachableError{*prepare, ue.Err}
	}
	if err != nil {
		return err
	}
	target.url = strings.TrimRight(*server, "/") + wusp.ClientService.Path()

	sample := func() (procUsage, error) { return serverSample(client, strings.TrimRight(*server, "/"), *pid) }
	before, err := sample()
	if err != nil {
		return err
	}
	interrupted := ctx
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	var next, failed atomic.Int64
	var firstErr atomic.Pointer[error]
	latencies := make([][]time.Duration, *concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && next.Add(1) <= int64(*requests) {
				t0 := time.Now()
				if err := target.send(ctx, client); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				latencies[w] = append(latencies[w], time.Since(t0))
			}
		})
	}
	stopProgress := func() {}
	if isTerminal(stderr) {
		stopProgress = progressBar(stderr, "load", "requests", *requests, func() int { return int(min(next.Load(), int64(*requests))) })
	}
	wg.Wait()
	stopProgress()
	elapsed := time.Since(start)
	after, err := sample()
	if err != nil {
		return err
	}

	all := slices.Concat(latencies...)
	slices.Sort(all)
	n := len(all)
	if n == 0 {
		if interrupted.Err() != nil {
			return errors.New("load: interrupted before any request succeeded")
		}
		if e := firstErr.Load(); e != nil {
			return fmt.Errorf("load: no request succeeded; the first error: %w", *e)
		}
		return errors.New("load: no request succeeded")
	}
	fmt.Fprintf(stdout, "op=%s requests=%d errors=%d elapsed=%s rate=%.0f/s p50=%s p99=%s\n",
		target.name, n, failed.Load(), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
		all[n/2].Round(time.Microsecond), all[n*99/100].Round(time.Microsecond))
	switch cpu := after.cpu - before.cpu; after.source {
	case "proc":
		fmt.Fprintf(stdout, "server_pid=%d server_cpu=%s server_cpu_per_request=%.1fµs server_rss=%.1fMB server_peak_rss=%.1fMB\n",
			*pid, cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(n+int(failed.Load())),
			float64(after.rssKB)/1024, float64(after.hwmKB)/1024)
	case "metrics":
		fmt.Fprintf(stdout, "server_cpu=%s server_cpu_per_request=%.1fµs server_rss=%.1fMB (from %s)\n",
			cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(n+int(failed.Load())),
			float64(after.rssKB)/1024, metrics.Path)
	}
	// An interrupted run is not a measurement of what was asked for: say
	// so, and fail, so a script never records its partial figures.
	if interrupted.Err() != nil {
		return fmt.Errorf("load: interrupted after %d of %d requests; the figures above are partial", n+int(failed.Load()), *requests)
	}
	return nil
}

// loadTarget is one prepared request.
type loadTarget struct {
	name   string
	url    string
	action string
	body   []byte
}

func (t loadTarget) send(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", t.action)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusInternalServerError {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// prepareLoad builds the request to repeat, walking what a client would
// do before it against root (the server under test, or with
// -prepare-server another one, when the load goes to a floor).
//
//   - syncupdates: an Office 2003 client's third SyncUpdates after the
//     handshake and two rounds, every offered non-leaf revision installed,
//     in the compact XmlSerializer shape (914 bytes).
//   - syncupdates-wua: the same call as a WUA 7.x agent's ATL stack writes
//     it, with 8 installed non-leaf IDs and 120 cached IDs (3.5 KB).
//   - getextendedupdateinfo: the fragments of what that call offers (a
//     scenario that offers updates, such as sp1-kb954960).
func prepareLoad(client *http.Client, root, op string) (loadTarget, error) {
	clientURL := root + wusp.ClientService.Path()
	call := func(op wusp.Operation, req, resp wusp.Message) error {
		url := clientURL
		if op.Service == wusp.SimpleAuth {
			url = root + wusp.SimpleAuth.Path()
		}
		r, err := client.Post(url, "text/xml; charset=utf-8", bytes.NewReader(wusp.MarshalRequest(op, req)))
		if err != nil {
			return err
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		if err := wusp.ParseResponse(b, op, resp); err != nil {
			return fmt.Errorf("preparing the load: %s: %w", op.Name, err)
		}
		return nil
	}
	target := func(op wusp.Operation, body []byte) loadTarget {
		return loadTarget{op.Name, clientURL, op.QuotedSOAPAction(), body}
	}
	switch op {
	case "getconfig":
		return target(wusp.OpGetConfig, wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"})), nil
	case "syncupdates", "syncupdates-wua", "getextendedupdateinfo":
	default:
		return loadTarget{}, usageError{fmt.Sprintf("-op %q: want getconfig, syncupdates, syncupdates-wua or getextendedupdateinfo", op)}
	}
	req, err := wuaclient.ThirdSyncUpdates(call, time.Now())
	if err != nil {
		return loadTarget{}, err
	}
	switch op {
	case "syncupdates-wua":
		return target(wusp.OpSyncUpdates, wusp.MarshalSyncUpdatesWUA(req)), nil
	case "getextendedupdateinfo":
		var sync wusp.SyncUpdatesResponse
		if err := call(wusp.OpSyncUpdates, req, &sync); err != nil {
			return loadTarget{}, fmt.Errorf("-op getextendedupdateinfo needs a scenario that offers updates (sp1-kb954960): %w", err)
		}
		ext := &wusp.GetExtendedUpdateInfoRequest{Cookie: sync.Result.NewCookie, InfoTypes: []string{"Extended", "LocalizedProperties"}, Locales: []string{"en"}}
		for _, u := range sync.Result.NewUpdates {
			ext.RevisionIDs = append(ext.RevisionIDs, u.ID)
		}
		return target(wusp.OpGetExtendedUpdateInfo, wusp.MarshalRequest(wusp.OpGetExtendedUpdateInfo, ext)), nil
	}
	// The compact request of earlier measurements: installed non-leaf IDs
	// only, as MarshalRequest writes them.
	compact := &wusp.SyncUpdatesRequest{Cookie: req.Cookie}
	for _, id := range req.Parameters.InstalledNonLeafUpdateIDs {
		if id < 1_000_000 {
			compact.Parameters.InstalledNonLeafUpdateIDs = append(compact.Parameters.InstalledNonLeafUpdateIDs, id)
		}
	}
	return target(wusp.OpSyncUpdates, wusp.MarshalRequest(wusp.OpSyncUpdates, compact)), nil
}

func isLoopbackURL(u string) bool {
	for _, p := range []string{"http://127.", "https://127.", "http://localhost", "https://localhost", "http://[::1]", "https://[::1]"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// procUsage is what /proc or /metrics says of the server's process at
// one moment.
type procUsage struct {
	source       string        // "proc", "metrics", or "" for nothing read
	cpu          time.Duration // user + system time
	rssKB, hwmKB int64         // hwmKB (peak) only from /proc
}

// serverSample reads the server's CPU time and memory: from /proc when
// --server-pid names it (which also gives the peak), else from the
// server's /metrics (process_cpu_seconds_total,
// process_resident_memory_bytes) when it serves them, else nothing.
func serverSample(client *http.Client, root string, pid int) (procUsage, error) {
	if pid != 0 {
		return procSample(pid)
	}
	resp, err := client.Get(root + metrics.Path)
	if err != nil {
		return procUsage{}, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return procUsage{}, nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return procUsage{}, nil // not a wsusmock with metrics: nothing to report
	}
	value := func(name string) (float64, bool) {
		f := families[name]
		if f == nil || len(f.GetMetric()) != 1 {
			return 0, false
		}
		m := f.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			return c.GetValue(), true
		}
		return m.GetGauge().GetValue(), m.GetGauge() != nil
	}
	cpu, ok1 := value("process_cpu_seconds_total")
	rss, ok2 := value("process_resident_memory_bytes")
	if !ok1 || !ok2 {
		return procUsage{}, nil
	}
	return procUsage{source: "metrics", cpu: time.Duration(cpu * float64(time.Second)), rssKB: int64(rss) / 1024}, nil
}

// procSample reads a process's CPU time and memory; pid 0 reads nothing.
func procSample(pid int) (procUsage, error) {
	var u procUsage
	if pid == 0 {
		return u, nil
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, fmt.Errorf("-server-pid: %w", err)
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line, in clock ticks of 1/100 s.
	rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	u.source, u.cpu = "proc", time.Duration(utime+stime)*10*time.Millisecond
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, fmt.Errorf("-server-pid: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			u.rssKB = kb
		case "VmHWM":
			u.hwmKB = kb
		}
	}
	return u, nil
}
