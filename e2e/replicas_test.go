package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/fleet"
	"github.com/wsusmock/wsusmock/internal/pgtest"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wusp"
)

// startPostgres starts a throwaway PostgreSQL cluster in a temporary
// directory for the specs of the container, and destroys it after them.
// Without PostgreSQL the specs skip, with a message; in CI (CI=true),
// where .ci/run installs it, they fail.
func startPostgres() *pgtest.Cluster {
	pg, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNotInstalled) && !pgtest.Required() {
		Skip("replicas over PostgreSQL: " + err.Error())
	}
	Expect(err).NotTo(HaveOccurred(), "throwaway PostgreSQL")
	DeferCleanup(pg.Destroy)
	return pg
}

// healthz reads a server's /healthz.
func healthz(m *mock) string {
	resp, err := http.Get(m.URL + "/healthz")
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	return readAll(resp)
}

// roundRobin is a load balancer in the client: each request goes to the
// next replica, and one that refuses the connection or drops it unanswered
// is passed over, as a balancer would retry elsewhere.
type roundRobin struct {
	hosts []string
	next  atomic.Uint64
	// served counts the requests each replica answered.
	served []atomic.Int64
	base   http.RoundTripper
}

func newRoundRobin(replicas ...*mock) *roundRobin {
	rr := &roundRobin{served: make([]atomic.Int64, len(replicas)),
		// A new connection per request, so a stopped replica is seen at
		// the next dial, not as a reset on a kept-alive connection.
		base: &http.Transport{DisableKeepAlives: true}}
	for _, m := range replicas {
		u, err := url.Parse(m.URL)
		Expect(err).NotTo(HaveOccurred())
		rr.hosts = append(rr.hosts, u.Host)
	}
	return rr
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	var err error
	start := int(rr.next.Add(1) % uint64(len(rr.hosts)))
	for k := range rr.hosts {
		i := (start + k) % len(rr.hosts)
		r := req.Clone(req.Context())
		r.URL.Host = rr.hosts[i]
		if req.GetBody != nil {
			if r.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		var resp *http.Response
		if resp, err = rr.base.RoundTrip(r); err == nil {
			rr.served[i].Add(1)
			return resp, nil
		}
		if !retryable(err) {
			return nil, err
		}
	}
	return nil, err
}

// retryable is a failure on which the request certainly was not served:
// the replica refused the connection, or closed it without a reply (one
// that was stopping had accepted it but no longer served it). HAProxy's
// "retry-on conn-failure empty-response" retries the same ones.
func retryable(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
}

// runFleet runs a fleet of n machines, 30 % of them with Office 2003, named
// after prefix, against serverURL through hc, and returns its ground truth
// (each machine's log and ground-truth.json go to a temporary directory).
// atHalf, when set, runs once half the machines have finished.
func runFleet(ctx context.Context, serverURL string, hc *http.Client, prefix string, n, concurrency int, atHalf func()) *fleet.GroundTruth {
	mix, err := fleet.ParseMix("xp-sp3-office2003=30,xp-sp3=70")
	Expect(err).NotTo(HaveOccurred())
	dir := GinkgoT().TempDir()
	f := &fleet.Fleet{ServerURL: serverURL, Clients: n, Mix: mix, Concurrency: concurrency, HTTP: hc, Dir: dir, HostPrefix: prefix}
	var watcher sync.WaitGroup
	if atHalf != nil {
		stop := make(chan struct{})
		defer func() {
			close(stop)
			watcher.Wait()
		}()
		watcher.Go(func() {
			defer GinkgoRecover()
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for f.Progress().Done < n/2 {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
			atHalf()
		})
	}
	sum, err := f.Run(ctx)
	Expect(err).NotTo(HaveOccurred())
	Expect(sum.Interrupted).To(BeFalse())
	GinkgoWriter.Printf("%d machines through %s in %s: %d succeeded, %d met KB954960, %.0f cycles/s\n",
		n, serverURL, sum.Elapsed.Round(time.Millisecond), sum.Succeeded, sum.Affected, sum.CyclesPerSecond)
	gt, err := fleet.ReadGroundTruth(filepath.Join(dir, "ground-truth.json"))
	Expect(err).NotTo(HaveOccurred())
	Expect(gt.Machines).To(HaveLen(n))
	return gt
}

// failures lists the machines whose cycle failed other than with advisory
// 954960's fault, and collects the fault IDs of those that met it: the
// InternalServerError fault in a 200 reply to SyncUpdates.
func failures(gt *fleet.GroundTruth) (unexpected []string, kb954960 map[string]bool) {
	kb954960 = map[string]bool{}
	for _, m := range gt.Machines {
		switch {
		case m.Outcome == fleet.OutcomeSucceeded:
		case m.Affected && m.HTTPStatus == http.StatusOK:
			kb954960[m.FaultID] = true
		default:
			unexpected = append(unexpected, fmt.Sprintf("%s (%s): %s %s %s %s", m.Host, m.Profile, m.Outcome, m.HResult, m.Operation, m.Error))
		}
	}
	return unexpected, kb954960
}

// startHAProxy runs HAProxy round-robin in front of the replicas, with its
// configuration in a temporary directory: a health check on /healthz takes
// a stopped replica out, and a request that met a refused or dropped
// connection is sent again to another. It returns the front-end's URL, or
// "" when HAProxy is not installed outside CI.
func startHAProxy(replicas []*mock) string {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		Expect(pgtest.Required()).To(BeFalse(), "HAProxy is not installed (apt-get install haproxy)")
		return ""
	}
	dir, err := os.MkdirTemp("", "wsusmock-haproxy-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	front := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())

	var cfg strings.Builder
	fmt.Fprintf(&cfg, `global
	maxconn 4096

defaults
	mode http
	timeout connect 2s
	timeout client 30s
	timeout server 30s
	retries 3
	option redispatch 1
	retry-on conn-failure empty-response

frontend wsus
	bind %s
	default_backend replicas

backend replicas
	balance roundrobin
	option httpchk GET /healthz
	http-check expect status 200
	# A stopped replica refuses connections and is out after three quick
	# checks; a replica slow under load (a -race build beside other test
	# packages) has 2 s to answer a check, so the balancer never takes
	# every replica out at once.
	timeout check 2s
	default-server inter 100ms fall 3 rise 1
`, front)
	for i, m := range replicas {
		u, err := url.Parse(m.URL)
		Expect(err).NotTo(HaveOccurred())
		fmt.Fprintf(&cfg, "\tserver replica%d %s check\n", i+1, u.Host)
	}
	file := filepath.Join(dir, "haproxy.cfg")
	Expect(os.WriteFile(file, []byte(cfg.String()), 0o644)).To(Succeed())
	session, err := gexec.Start(exec.Command(bin, "-db", "-f", file), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		session.Terminate()
		Eventually(session, 10*time.Second).Should(gexec.Exit())
	})
	Eventually(func() error {
		resp, err := http.Get("http://" + front + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}, 10*time.Second, 50*time.Millisecond).Should(Succeed())
	return "http://" + front
}

// journalFaults collects the fault IDs of the InternalServerError faults a
// replica's journal recorded.
func journalFaults(ctx context.Context, m *mock, into map[string]bool) int {
	page, err := m.admin().Journal(ctx, soapserver.JournalFilter{Fault: string(wusp.InternalServerError)})
	Expect(err).NotTo(HaveOccurred())
	Expect(page.Dropped).To(BeZero(), "the journal is large enough to count")
	for _, e := range page.Entries {
		into[e.FaultID] = true
	}
	return len(page.Entries)
}

var _ = Describe("Replicas over PostgreSQL", Ordered, func() {
	// Three replicas of `wsusmock serve` share one world in a throwaway
	// PostgreSQL, as WSUS 3.0 front-ends shared SUSDB, and one cookie key,
	// so any of them serves any client; HAProxy balances them round-robin.
	const fleetSize = 1000
	var (
		pg       *pgtest.Cluster
		replicas []*mock
		// front is HAProxy's URL; balancer sends requests through it, or,
		// where HAProxy is not installed (never in CI), round-robin in the
		// client.
		front    string
		balancer *http.Client
	)
	BeforeAll(func() {
		pg = startPostgres()
		db, err := pg.CreateDatabase("susdb")
		Expect(err).NotTo(HaveOccurred())
		for range 3 {
			replicas = append(replicas, startMock("--store", db, "--cookie-key", "one key for the three replicas",
				"--scenario", "sp1-office2003", "--journal-size", "50000", "--journal-bytes", "134217728"))
		}
		if front = startHAProxy(replicas); front != "" {
			balancer = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
		} else {
			GinkgoWriter.Println("HAProxy is not installed: a round robin in the client stands in for it")
			front, balancer = "http://wsus01.corp.example:8530", &http.Client{Transport: newRoundRobin(replicas...)}
		}
	})

	It("every replica joins the one world and says so in /healthz", func() {
		for _, m := range replicas {
			Expect(healthz(m)).To(HavePrefix("ok\nstore: connected; world version 1, scenario sp1-office2003\n"))
		}
		Expect(string(replicas[0].Session.Err.Contents())).To(MatchRegexp(`msg="store: shared world" version=1 seeded=true`))
	})

	It("fails Office 2003 clients on every replica before the fix", func() {
		for _, m := range replicas {
			s := run("client", "--server", m.URL, "--profile", "xp-sp3-office2003", "--quiet")
			Expect(s).To(gexec.Exit(3))
			Expect(s.Out).To(gbytes.Say(`result: failed hresult=0x8024400E fault=InternalServerError .* operation=SyncUpdates http_status=200`))
		}
	})

	It("runs a fleet through the balancer: no failed cycle but the KB954960 fault, which every Office 2003 machine meets", func(ctx SpecContext) {
		for _, m := range replicas {
			Expect(m.admin().ClearJournal(ctx)).To(Succeed())
		}
		gt := runFleet(ctx, front, balancer, "before", fleetSize, 16, nil)
		unexpected, kb954960 := failures(gt)
		Expect(unexpected).To(BeEmpty())
		Expect(kb954960).To(HaveLen(fleetSize*3/10), "one fault per Office 2003 machine")

		By("the ground truth's fault IDs are the ones the three replicas' journals recorded")
		journaled := map[string]bool{}
		for i, m := range replicas {
			Expect(journalFaults(ctx, m, journaled)).To(BeNumerically(">", 0), "replica %d served some of the faults", i+1)
		}
		Expect(journaled).To(Equal(kb954960))
	})

	It("installs KB954960 through replica 2, and replicas 1 and 3 serve the fix within a second", func(ctx SpecContext) {
		adm := replicas[1].admin()
		installed := time.Now()
		res, err := adm.InstallHotfix(ctx, "KB954960")
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Server.ClientDLLVersion).To(Equal("3.1.6001.66"))

		for _, m := range []*mock{replicas[0], replicas[2]} {
			other := m.admin()
			Eventually(func() string {
				info, err := other.Info(ctx)
				Expect(err).NotTo(HaveOccurred())
				return info.ClientDLLVersion
			}).WithTimeout(time.Second - time.Since(installed)).WithPolling(10 * time.Millisecond).Should(Equal("3.1.6001.66"))
		}
		GinkgoWriter.Printf("replicas 1 and 3 served Client.dll 3.1.6001.66 %s after the install through replica 2\n", time.Since(installed))

		for _, m := range []*mock{replicas[0], replicas[2]} {
			s := run("client", "--server", m.URL, "--profile", "xp-sp3-office2003", "--quiet")
			Expect(s).To(gexec.Exit(0))
			Expect(s.Out).To(gbytes.Say(`result: succeeded`))
		}
	})

	It("serves one client's cycle across all three replicas: the cookie of one is good on the others", func(ctx SpecContext) {
		rr := newRoundRobin(replicas...)
		gt := runFleet(ctx, "http://wsus01.corp.example:8530", &http.Client{Transport: rr}, "spread", 30, 3, nil)
		unexpected, kb954960 := failures(gt)
		Expect(unexpected).To(BeEmpty())
		Expect(kb954960).To(BeEmpty(), "KB954960 is installed")
		for i := range replicas {
			Expect(rr.served[i].Load()).To(BeNumerically(">", 10), "requests replica %d answered", i+1)
		}
	})

	It("completes every machine's cycle through the others when replica 2 stops half-way through a fleet", func(ctx SpecContext) {
		var servedBeforeStop uint64
		gt := runFleet(ctx, front, balancer, "during", fleetSize, 16, func() {
			page, err := replicas[1].admin().Journal(ctx, soapserver.JournalFilter{})
			Expect(err).NotTo(HaveOccurred())
			servedBeforeStop = page.Total
			replicas[1].Session.Terminate()
			Eventually(replicas[1].Session, 10*time.Second).Should(gexec.Exit(0))
		})
		unexpected, kb954960 := failures(gt)
		Expect(unexpected).To(BeEmpty())
		Expect(kb954960).To(BeEmpty(), "KB954960 is installed")
		Expect(servedBeforeStop).To(BeNumerically(">", 0), "replica 2 served part of the fleet before it stopped")
		_, err := net.DialTimeout("tcp", strings.TrimPrefix(replicas[1].URL, "http://"), time.Second)
		Expect(err).To(HaveOccurred(), "replica 2 is down")
	})
})

var _ = Describe("The replica deployment on paper", func() {
	It("has an HAProxy configuration that HAProxy accepts", func() {
		bin, err := exec.LookPath("haproxy")
		if err != nil {
			Expect(pgtest.Required()).To(BeFalse(), "HAProxy is not installed (apt-get install haproxy)")
			Skip("HAProxy is not installed")
		}
		s, err := gexec.Start(exec.Command(bin, "-c", "-f", "../deploy/replicas/haproxy.cfg"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 10*time.Second).Should(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say("Configuration file is valid"))
	})
})
