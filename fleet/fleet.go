package fleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// Defaults of the Fleet's optional fields.
const (
	DefaultConcurrency = 32
	DefaultHostPrefix  = "ws"
	// LogName is the file each machine's log is written to, under
	// Dir/<host>/, where a detection tool looks for it.
	LogName = "WindowsUpdate.log"
	// GroundTruthName is the file Run writes the ground truth to, in Dir.
	GroundTruthName = "ground-truth.json"
	// MaxClients bounds one fleet.
	MaxClients = 1_000_000
)

var hostPrefixRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,39}$`)

// Fleet is a number of simulated machines running one detection cycle
// each against one server. Set its fields, then call Run once; Progress
// may be called from other goroutines while Run runs.
type Fleet struct {
	// ServerURL is the server root every machine's WUServer policy names.
	ServerURL string
	// Clients is the number of machines.
	Clients int
	// Mix says which profiles the machines run.
	Mix Mix
	// Profile resolves a profile name of the Mix; nil means
	// wuaclient.BuiltinProfile.
	Profile func(name string) (*wuaclient.Profile, error)
	// Concurrency bounds the cycles in flight; zero means
	// DefaultConcurrency.
	Concurrency int
	// Rate, if positive, is the number of machines that start a cycle per
	// second, as machines of a real network wake up over time; zero starts
	// them as fast as Concurrency allows.
	Rate float64
	// Dir receives every machine's log as Dir/<host>/WindowsUpdate.log and
	// the ground truth as Dir/ground-truth.json. Empty writes nothing.
	Dir string
	// UTF16 writes the logs in UTF-16LE with a byte order mark, as some
	// machines of the time had them; the default is ANSI (the log lines
	// are ASCII). Lines end in CRLF either way, as WUA writes them.
	UTF16 bool
	// Lang is the rendering of the log lines (wsuslog.LangEnglish if empty).
	Lang wsuslog.Lang
	// HostPrefix starts every host name: prefix "ws" names the machines
	// ws00001, ws00002, …; empty means DefaultHostPrefix.
	HostPrefix string
	// RequestTimeout bounds each SOAP exchange; zero means
	// wuaclient.DefaultRequestTimeout.
	RequestTimeout time.Duration
	// HTTP sends every machine's requests; nil means one client of the
	// fleet's own, keeping up to Concurrency idle connections.
	HTTP *http.Client
	// Now is the clock of the log lines and of the summary's duration; nil
	// means time.Now.
	Now func() time.Time

	started, done                            atomic.Int64
	succeeded, failed, unreachable, answered atomic.Int64
	start                                    atomic.Int64 // unix nanoseconds
}

// Progress is a snapshot of a running fleet.
type Progress struct {
	Clients     int           // machines planned
	Started     int           // cycles started
	Done        int           // cycles ended, whatever their outcome
	Succeeded   int           // cycles that succeeded
	Failed      int           // cycles that failed, unreachable ones included
	Unreachable int           // cycles that got no HTTP reply at all
	Elapsed     time.Duration // since Run started
}

// Progress says how far Run has got.
func (f *Fleet) Progress() Progress {
	p := Progress{Clients: f.Clients, Started: int(f.started.Load()), Done: int(f.done.Load()),
		Succeeded: int(f.succeeded.Load()), Failed: int(f.failed.Load()), Unreachable: int(f.unreachable.Load())}
	if s := f.start.Load(); s != 0 {
		p.Elapsed = f.now().Sub(time.Unix(0, s))
	}
	return p
}

func (f *Fleet) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Host is the host name of machine i (0-based): the prefix and i+1,
// zero-padded to at least five digits so the names sort in order.
func (f *Fleet) Host(i int) string {
	width := max(5, len(strconv.Itoa(f.Clients)))
	return fmt.Sprintf("%s%0*d", f.hostPrefix(), width, i+1)
}

func (f *Fleet) hostPrefix() string {
	if f.HostPrefix != "" {
		return f.HostPrefix
	}
	return DefaultHostPrefix
}

// ErrUnreachable is Run's error when the server gave no HTTP reply to a
// whole first wave of machines (Concurrency of them, or all): the server
// is down, and Run stops rather than fill Dir with the logs of machines
// that never reached it.
var ErrUnreachable = errors.New("no machine reached the server")

// Run runs the fleet: every machine runs one detection cycle, at most
// Concurrency at a time, and writes its log under Dir as the cycle goes.
// Each machine's ground truth is written to Dir/ground-truth.json when its
// cycle ends, so memory stays bounded by the cycles in flight, whatever
// the number of machines.
//
// Cancelling ctx stops starting machines and cancels those in flight
// (their ground truth says "cancelled"); Run then returns the summary of
// what ran, with Interrupted set, and ctx's error. A server that no
// machine of the first wave reached ends Run with ErrUnreachable (wrapping
// the network error). The Summary is never nil.
func (f *Fleet) Run(ctx context.Context) (*Summary, error) {
	startedAt := f.now()
	sum := &Summary{Server: f.ServerURL, Mix: f.Mix.String(), Clients: f.Clients,
		ByProfile: map[string]*Counts{}, ByErrorCode: map[string]int{}}
	if err := f.check(); err != nil {
		return sum, err
	}
	profiles := make([]*wuaclient.Profile, len(f.Mix))
	resolve := f.Profile
	if resolve == nil {
		resolve = wuaclient.BuiltinProfile
	}
	for i, s := range f.Mix {
		p, err := resolve(s.Profile)
		if err != nil {
			return sum, fmt.Errorf("fleet: mix profile %s: %w", s.Profile, err)
		}
		profiles[i] = p
	}
	var truth *truthWriter
	if f.Dir != "" {
		if err := os.MkdirAll(f.Dir, 0o755); err != nil {
			return sum, fmt.Errorf("fleet: %w", err)
		}
		var err error
		if truth, err = createTruth(filepath.Join(f.Dir, GroundTruthName), f); err != nil {
			return sum, err
		}
	}

	concurrency := f.Concurrency
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	concurrency = min(concurrency, f.Clients)
	httpc := f.HTTP
	if httpc == nil {
		tr := &http.Transport{MaxIdleConnsPerHost: concurrency, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
		defer tr.CloseIdleConnections()
		httpc = &http.Client{Transport: tr}
	}

	f.start.Store(startedAt.UnixNano())
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan Machine, concurrency)
	var unreachableErr atomic.Pointer[error]
	go func() {
		f.dispatch(runCtx, concurrency, profiles, httpc, results, func(err error) {
			// A whole first wave without a single reply: the server is down.
			if f.answered.Load() == 0 && f.unreachable.Load() >= int64(concurrency) {
				if unreachableErr.CompareAndSwap(nil, &err) {
					cancel()
				}
			}
		})
		close(results)
	}()

	var writeErr error
	for m := range results {
		sum.add(m)
		if truth != nil && writeErr == nil {
			if writeErr = truth.add(m); writeErr != nil {
				cancel()
			}
		}
	}
	sum.finish(f.now().Sub(startedAt))
	if p := unreachableErr.Load(); p != nil {
		sum.Interrupted = true
		writeErr = errors.Join(writeErr, fmt.Errorf("%w: %w", ErrUnreachable, *p))
	} else if ctx.Err() != nil {
		sum.Interrupted = true
		writeErr = errors.Join(writeErr, ctx.Err())
	}
	if truth != nil {
		writeErr = errors.Join(writeErr, truth.close(sum))
	}
	return sum, writeErr
}

func (f *Fleet) check() error {
	switch {
	case f.Clients <= 0 || f.Clients > MaxClients:
		return fmt.Errorf("fleet: %d clients; give 1 to %d", f.Clients, MaxClients)
	case len(f.Mix) == 0:
		return errors.New("fleet: no mix of profiles")
	case f.Rate < 0:
		return fmt.Errorf("fleet: negative rate %g", f.Rate)
	case f.HostPrefix != "":
		if err := CheckHostPrefix(f.HostPrefix); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
	}
	return nil
}

// CheckHostPrefix refuses a host prefix that would not make a DNS label
// and a plain directory name.
func CheckHostPrefix(prefix string) error {
	if !hostPrefixRE.MatchString(prefix) {
		return fmt.Errorf("host prefix %q: give a letter, then up to 39 letters, digits or hyphens", prefix)
	}
	return nil
}

// dispatch starts the machines, at most concurrency at a time and no
// faster than Rate, and sends each one's ground truth on results.
func (f *Fleet) dispatch(ctx context.Context, concurrency int, profiles []*wuaclient.Profile, httpc *http.Client,
	results chan<- Machine, onUnreachable func(error)) {
	schedule := f.Mix.schedule()
	slots := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	start := f.now()
	for i := range f.Clients {
		if f.Rate > 0 {
			at := start.Add(time.Duration(float64(i) / f.Rate * float64(time.Second)))
			if d := at.Sub(f.now()); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case slots <- struct{}{}:
		}
		if ctx.Err() != nil {
			<-slots
			return
		}
		share := schedule[i%len(schedule)]
		f.started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, unreachable := f.machine(ctx, i, f.Mix[share].Profile, profiles[share], httpc)
			f.done.Add(1)
			results <- m
			<-slots
			if unreachable != nil {
				onUnreachable(unreachable)
			}
		}()
	}
}

// machine runs machine i's cycle and returns its ground truth, and the
// network error if the server gave no reply.
func (f *Fleet) machine(ctx context.Context, i int, profileName string, p *wuaclient.Profile, httpc *http.Client) (Machine, error) {
	host := f.Host(i)
	m := Machine{Host: host, ClientID: wuaclient.ClientIDFromName(host), Profile: profileName}
	c := &wuaclient.Client{ServerURL: f.ServerURL, Profile: p, ClientID: m.ClientID, DNSName: host,
		HTTP: httpc, RequestTimeout: f.RequestTimeout, Lang: f.Lang, Now: f.Now}
	var lf *logFile
	if f.Dir != "" {
		m.Log = filepath.ToSlash(filepath.Join(host, LogName))
		var err error
		if lf, err = f.createLog(host); err != nil {
			m.Outcome, m.Error = OutcomeError, err.Error()
			return m, nil
		}
		c.Log = wsuslog.NewClientLogWriter(lf)
	}
	res, err := c.Detect(ctx)
	if lf != nil {
		if cerr := lf.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing %s: %w", m.Log, cerr)
		}
	}
	m.fill(res)
	switch {
	case ctx.Err() != nil && err != nil:
		m.Outcome, m.Error = OutcomeCancelled, err.Error()
	case err != nil:
		m.Outcome, m.Error = OutcomeError, err.Error()
	}
	switch {
	case m.Outcome == OutcomeSucceeded:
		f.succeeded.Add(1)
		f.answered.Add(1)
	case m.Unreachable:
		f.failed.Add(1)
		f.unreachable.Add(1)
		return m, res.Unreachable()
	case m.Outcome == OutcomeFailed:
		f.failed.Add(1)
		f.answered.Add(1)
	}
	return m, nil
}

// logFile is a machine's WindowsUpdate.log, buffered and, for UTF-16LE,
// encoded on the way.
type logFile struct {
	io.Writer
	file *os.File
	buf  *bufio.Writer
	enc  io.WriteCloser
}

func (f *Fleet) createLog(host string) (*logFile, error) {
	dir := filepath.Join(f.Dir, host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	file, err := os.Create(filepath.Join(dir, LogName))
	if err != nil {
		return nil, err
	}
	lf := &logFile{file: file, buf: bufio.NewWriterSize(file, 16<<10)}
	lf.Writer = lf.buf
	if f.UTF16 {
		lf.enc = transform.NewWriter(lf.buf, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder())
		lf.Writer = lf.enc
	}
	return lf, nil
}

func (l *logFile) Close() error {
	var err error
	if l.enc != nil {
		err = l.enc.Close()
	}
	return errors.Join(err, l.buf.Flush(), l.file.Close())
}

// Outcomes of a machine's cycle.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"    // a fault, an HTTP error or no reply: see the other fields
	OutcomeCancelled = "cancelled" // the fleet was stopped during the cycle
	OutcomeError     = "error"     // the cycle could not run or its log could not be written
)

// Machine is one machine's ground truth: who it was and what its cycle
// met, as the simulator saw it on the wire.
type Machine struct {
	Host     string `json:"host"`
	ClientID string `json:"client_id"`
	Profile  string `json:"profile"`
	Outcome  string `json:"outcome"`
	// Affected says the cycle met advisory 954960: SyncUpdates answered
	// with the ErrorCode InternalServerError (0x8024400E in the log).
	Affected bool `json:"affected"`
	// HResult is the failure's code as the log prints it, e.g.
	// 0x8024400E; empty on success.
	HResult    string `json:"hresult,omitempty"`
	Operation  string `json:"operation,omitempty"`
	HTTPStatus int    `json:"http_status,omitempty"`
	// ErrorCode and FaultID are those of the WSUS fault that ended the
	// cycle; the server's log and journal hold the same fault ID.
	ErrorCode string `json:"error_code,omitempty"`
	FaultID   string `json:"fault_id,omitempty"`
	// Unreachable says no HTTP reply came at all.
	Unreachable bool `json:"unreachable,omitempty"`
	// Error is why the cycle was cancelled or could not run.
	Error string `json:"error,omitempty"`
	// Log is the machine's log, relative to the ground truth's directory.
	Log string `json:"log,omitempty"`
}

func (m *Machine) fill(res *wuaclient.Result) {
	if res.Succeeded {
		m.Outcome = OutcomeSucceeded
		return
	}
	m.Outcome = OutcomeFailed
	if res.HResult != 0 {
		m.HResult = res.HResult.String()
	}
	m.Operation, m.HTTPStatus = res.Operation, res.HTTPStatus
	if res.Fault != nil {
		m.ErrorCode, m.FaultID = string(res.Fault.Code), res.Fault.ID
		m.Affected = res.Fault.Code == wusp.InternalServerError && res.Operation == wusp.OpSyncUpdates.Name
	}
	m.Unreachable = res.Unreachable() != nil
}
