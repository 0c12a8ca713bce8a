package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The dashboard is driven in Debian's chromium, headless, the way a trainer
// uses it: only the page's buttons, no terminal. The specs save what the
// browser showed as PNG files under test-artifacts/dashboard.
var _ = Describe("The dashboard in a browser", Label("browser"), func() {
	It("tells the KB954960 story on WSUS 3.0 SP1: fail, both logs, install, succeed", func() {
		m := startMock("--scenario", "sp1-office2003")
		b := openBrowser()
		b.run(chromedp.Navigate(m.URL + "/__admin/ui/"))
		b.waitLive()

		By("the world shows SP1, Client.dll 3.1.6001.65 and the two deployment rows of 8862 as the cause")
		Expect(b.text("#server")).To(ContainSubstring("3.1.6001.65"))
		Expect(b.text("#approvals tr.cause")).To(And(ContainSubstring("8862"), ContainSubstring("the cause")))

		By("running an Office 2003 client draws a red SyncUpdates arrow with the fault")
		b.run(chromedp.SetValue(chromedp.CSS("#profile"), "xp-sp3-office2003"))
		b.run(chromedp.Click(chromedp.CSS("#run")))
		fault := `.cycle.selected .arrow.fault[data-op="SyncUpdates"]`
		b.run(chromedp.WaitVisible(chromedp.CSS(fault)))
		Expect(b.text(fault)).To(And(ContainSubstring("SyncUpdates #"), ContainSubstring("✖ FAULT InternalServerError"), ContainSubstring("HTTP 200")))
		id := b.attr(fault, "data-fault-id")
		Expect(id).To(MatchRegexp(`^[0-9a-f-]{36}$`))

		By("both logs of the cycle carry the same fault ID, marked")
		b.run(chromedp.WaitVisible(chromedp.CSS("#client-log mark")))
		Expect(b.text("#server-log mark")).To(Equal(id))
		Expect(b.text("#client-log mark")).To(Equal(id))
		Expect(b.text("#server-log")).To(ContainSubstring("Key being added: '8862'"))
		Expect(b.text("#client-log")).To(ContainSubstring("0x8024400E"))
		b.screenshot("sp1-fault")

		By("installing KB954960 from the keyboard turns Client.dll into 3.1.6001.66")
		b.run(chromedp.Focus(chromedp.CSS("#install")), chromedp.KeyEvent(kb.Enter))
		b.waitText("#outcome", "3.1.6001.66")
		b.waitText("#server", "KB954960")

		By("the next run of the same client succeeds, and its tile turns green")
		b.run(chromedp.Click(chromedp.CSS("#run")))
		b.run(chromedp.WaitVisible(chromedp.CSS("#tiles li.good")))
		Expect(b.text(".cycle.selected")).To(ContainSubstring("✔ succeeded"))
		Expect(b.text(".cycle.selected")).To(ContainSubstring("ReportEventBatch"))
		Expect(b.text("#server-log")).NotTo(ContainSubstring(id), "the failed cycle's lines are not this one's")
		b.screenshot("sp1-fixed")
		b.expectNoConsoleErrors()
	})

	It("on WSUS 3.0 RTM shows why KB954960 is refused and applies the workaround one step at a time", func() {
		m := startMock("--scenario", "rtm-office2003")
		b := openBrowser()
		b.run(chromedp.Navigate(m.URL + "/__admin/ui/"))
		b.waitLive()

		b.run(chromedp.SetValue(chromedp.CSS("#client-name"), "PC-RTM"), chromedp.Click(chromedp.CSS("#run")))
		b.run(chromedp.WaitVisible(chromedp.CSS(`.arrow.fault[data-op="SyncUpdates"]`)))
		b.run(chromedp.WaitVisible(chromedp.CSS("#tiles li.bad")))
		Expect(b.text("#tiles")).To(And(ContainSubstring("PC-RTM"), ContainSubstring("✖ failed")))
		Expect(b.text("#outcome")).To(ContainSubstring("PC-RTM failed — result: failed hresult=0x8024400E"))

		By("the hotfix is refused, with the reason")
		b.run(chromedp.Click(chromedp.CSS("#install")))
		b.waitText("#outcome", "refused")
		Expect(b.text("#outcome")).To(ContainSubstring("SP1 only"))

		By("decline, approve, decline of Office 2003 Service Pack 1")
		b.run(chromedp.Click(chromedp.CSS("#wa-1")))
		b.waitText("#outcome", "Declined")
		b.run(chromedp.Click(chromedp.CSS("#wa-2")))
		b.waitText("#outcome", "Approved")
		b.run(chromedp.Click(chromedp.CSS("#wa-3")))
		b.waitText("#outcome", "step 3")
		Expect(b.text("#outcome")).To(ContainSubstring("Declined"))
		Expect(b.count("#approvals tr.cause")).To(BeZero(), "no update keeps two deployment rows")

		By("the client now succeeds")
		b.run(chromedp.Click(chromedp.CSS("#run")))
		b.run(chromedp.WaitVisible(chromedp.CSS("#tiles li.good")))
		b.screenshot("rtm-workaround")

		By("reset restores the scenario and clears the picture")
		b.run(chromedp.Click(chromedp.CSS("#reset")))
		b.waitText("#outcome", "restored")
		Expect(b.count(".cycle")).To(BeZero())
		b.expectNoConsoleErrors()
	})

	It("injects a fault the next client meets, and switches scenario", func() {
		m := startMock("--scenario", "sp1-office2003")
		b := openBrowser()
		b.run(chromedp.Navigate(m.URL + "/__admin/ui/"))
		b.waitLive()

		b.run(chromedp.SetValue(chromedp.CSS("#fault-op"), "GetCookie"), chromedp.SetValue(chromedp.CSS("#fault-code"), "InternalServerError"),
			chromedp.Click(chromedp.CSS("#inject")))
		b.waitText("#outcome", "the next GetCookie answers InternalServerError")
		b.run(chromedp.SetValue(chromedp.CSS("#profile"), "xp-sp3"), chromedp.Click(chromedp.CSS("#run")))
		injected := `.cycle.selected .arrow.fault[data-op="GetCookie"]`
		b.run(chromedp.WaitVisible(chromedp.CSS(injected)))
		Expect(b.text(injected)).To(ContainSubstring("injected by rule"))

		b.run(chromedp.SetValue(chromedp.CSS("#scenario"), "rtm-office2003"), chromedp.Click(chromedp.CSS("#switch")))
		b.waitText("#outcome", "now serving rtm-office2003")
		b.waitText("#server", "3.0.6000.273")
		b.expectNoConsoleErrors()
	})

	It("asks for the admin token once, then sends it with every call", func() {
		m := startMock("--admin-token", "classroom-42")
		b := openBrowser()
		b.run(chromedp.Navigate(m.URL + "/__admin/ui/"))
		b.waitText("#live", "admin token required")

		b.run(chromedp.SendKeys(chromedp.CSS("#token"), "classroom-42"), chromedp.Click(chromedp.CSS("#token-form button")))
		b.waitLive()
		b.run(chromedp.Click(chromedp.CSS("#run")))
		b.run(chromedp.WaitVisible(chromedp.CSS(`.arrow.fault[data-op="SyncUpdates"]`)))
		b.expectNoConsoleErrors()
	})

	It("reconnects after the server restarts on the same address", func() {
		m := startMock()
		b := openBrowser()
		b.run(chromedp.Navigate(m.URL + "/__admin/ui/"))
		b.waitLive()
		addr := strings.TrimPrefix(m.URL, "http://")
		m.Session.Terminate().Wait(10 * time.Second)
		b.waitText("#live", "○") // not connected, retrying

		restarted := startMock("--addr", addr)
		Expect(restarted.URL).To(Equal(m.URL))
		b.waitLive()
		b.run(chromedp.Click(chromedp.CSS("#run")))
		b.run(chromedp.WaitVisible(chromedp.CSS(".cycle")))
		b.expectNoConsoleErrors()
	})
})

// browser is a headless chromium tab and the errors its page wrote to the
// console.
type browser struct {
	ctx     context.Context
	started bool // the first run has started the browser
	mu      sync.Mutex
	errors  []string
}

// chromiumFlags are what chromium needs to run as root in a container,
// quietly: no sandbox, no GPU, no calls home.
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.WindowSize(1600, 1500),
}

// openBrowser starts chromium with a fresh profile; it is stopped when the
// spec ends. Without chromium the spec is skipped, except in CI, where it
// fails.
func openBrowser() *browser {
	path := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			Fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
		}
		Skip("chromium is not installed: apt-get install chromium to run the browser specs")
	}
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(GinkgoT().TempDir())}, chromiumFlags...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	DeferCleanup(cancelAlloc)
	DeferCleanup(cancel)
	b := &browser{ctx: ctx}
	DeferCleanup(func() {
		if CurrentSpecReport().Failed() {
			b.screenshot(strings.ReplaceAll(CurrentSpecReport().LeafNodeText, " ", "-") + "-FAILED")
		}
	})
	b.run() // starts the browser, without a timeout: it lives as long as ctx
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// The browser logs the admin API's refusals (a 409 for
			// KB954960 on RTM) as failed loads; the page shows them, and
			// they are not errors of the page.
			if m.Source == "network" {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// run performs actions, each bounded so that a missing element fails the
// spec instead of hanging it.
func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	GinkgoHelper()
	Expect(b.runErr(actions...)).To(Succeed())
}

func (b *browser) runErr(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := b.bounded()
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// bounded is the context of one step; the first run starts the browser,
// which must not be bounded.
func (b *browser) bounded() (context.Context, context.CancelFunc) {
	if !b.started {
		b.started = true
		return b.ctx, func() {}
	}
	return context.WithTimeout(b.ctx, 30*time.Second)
}

func get[T any](b *browser, a chromedp.Action[T]) T {
	GinkgoHelper()
	ctx, cancel := b.bounded()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	Expect(err).NotTo(HaveOccurred())
	return v
}

// text is the text of the first element sel selects, read in one step: the
// page redraws as exchanges arrive, and a node found in one step may be
// gone in the next.
func (b *browser) text(sel string) string {
	GinkgoHelper()
	text := get(b, chromedp.Evaluate[*string](fmt.Sprintf("document.querySelector(%q)?.innerText", sel)))
	Expect(text).NotTo(BeNil(), "no element %s", sel)
	return *text
}

func (b *browser) attr(sel, name string) string {
	GinkgoHelper()
	v := get(b, chromedp.Evaluate[*string](fmt.Sprintf("document.querySelector(%q)?.getAttribute(%q)", sel, name)))
	Expect(v).NotTo(BeNil(), "%s has no %s", sel, name)
	return *v
}

func (b *browser) count(sel string) int {
	GinkgoHelper()
	return get(b, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// waitText waits until the element's text contains want.
func (b *browser) waitText(sel, want string) {
	GinkgoHelper()
	Eventually(func() string { return b.text(sel) }).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond).
		Should(ContainSubstring(want))
}

// waitLive waits for the page to follow the event stream.
func (b *browser) waitLive() {
	GinkgoHelper()
	b.waitText("#live", "● live")
}

// screenshot saves the whole page as test-artifacts/dashboard/NAME.png.
func (b *browser) screenshot(name string) {
	GinkgoHelper()
	png := get(b, chromedp.FullScreenshot(100)) // 100: PNG
	dir := filepath.Join("..", "test-artifacts", "dashboard")
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)).To(Succeed())
}

func (b *browser) expectNoConsoleErrors() {
	GinkgoHelper()
	b.mu.Lock()
	defer b.mu.Unlock()
	Expect(b.errors).To(BeEmpty(), "the page wrote errors to the console")
}
