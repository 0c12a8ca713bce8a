package detect_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/unicode"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// update rewrites fixtures/logs from the generators below:
//
//	go test ./detect -run TestFixturesUpToDate -update
var update = flag.Bool("update", false, "rewrite fixtures/logs from the generators in fixtures_gen_test.go")

const fixtureDir = "../fixtures/logs"

// The fault IDs of the fixtures. The English client and server logs share
// advisoryID, as the advisory's two logs do; the UTF-16 client log has an
// ID of its own, so that correlating it with the server log finds no match.
const (
	advisoryID  = "c0a7445f-b989-43fa-ac20-11f8ca65fa8c"
	utf16ID     = "5f0e63d2-2a8c-4b8e-9d43-7f6b1d0c9a21"
	ws76ID      = "9f8e13ac-3a64-41c6-a40b-cad7913fc1bb"
	busyID      = "0b7d5a1e-64f2-4c09-b3a7-2e9c8d41f5aa"
	cookieID    = "3c2e9f70-8d15-4a6b-a0e4-51b7c6d8e902"
	getCookieID = "e41a7b3c-9d02-4f58-8c16-0a2b3c4d5e6f"
	serverURL   = "http://wsusebc/ClientWebService/client.asmx"
	syncMethod  = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"
	callID      = "{8A4E3C1B-6F1D-4E2A-9B7C-5D0E1F2A3B4C}"
)

// clientLog builds a WindowsUpdate.log: WUA 7.0 runs its scan on one
// thread of the svchost process, Automatic Updates on another.
type clientLog struct {
	t       time.Time
	pid     int
	agent   uint32 // TID of Agent, PT, Setup
	au      uint32 // TID of AU and Report
	entries []wsuslog.Entry
	text    wsuslog.ClientText
}

func newClientLog(lang wsuslog.Lang, t time.Time) *clientLog {
	return &clientLog{t: t, pid: 788, agent: 0xee4, au: 0xafc, text: wsuslog.ClientText{Lang: lang}}
}

func (c *clientLog) at(d time.Duration, tid uint32, ms ...wsuslog.Message) {
	c.t = c.t.Add(d)
	for _, m := range ms {
		c.entries = append(c.entries, m.At(c.t, c.pid, tid))
	}
}

// wuTime prints t as WUA does inside REPORT EVENT lines.
func wuTime(t time.Time) string {
	return fmt.Sprintf("%s:%03d", t.Format("2006-01-02 15:04:05"), t.Nanosecond()/int(time.Millisecond))
}

func msg(component, text string) wsuslog.Message {
	return wsuslog.Message{Component: component, Text: text}
}

func (c *clientLog) startup() {
	c.at(0, 0x2f4,
		msg("Misc", "===========  Logging initialized (build: 7.0.6000.374, tz: +0200)  ==========="),
		msg("Misc", `  = Process: C:\WINDOWS\System32\svchost.exe`),
		msg("Misc", `  = Module: c:\windows\system32\wuaueng.dll`),
		msg("Service", "*************"),
		msg("Service", "** START **  Service: Service startup"),
		msg("Service", "*********"),
		msg("Agent", "  * WU client version 7.0.6000.374"),
		msg("Agent", `  * Base directory: C:\WINDOWS\SoftwareDistribution`),
		msg("Agent", "  * Access type: No proxy"),
		msg("Agent", "  * Network state: Connected"),
	)
}

// searchStart logs AU's scheduled search up to the PT banner.
func (c *clientLog) searchStart() {
	c.at(2*time.Second, c.au, c.text.AUSearchStart(callID)...)
	c.at(15*time.Millisecond, c.agent, c.text.AgentSearchStart("AutomaticUpdates", "IsHidden=0 and IsInstalled=0 and DeploymentAction='Installation' and IsAssigned=1")...)
	c.at(16*time.Millisecond, c.agent,
		msg("Setup", "Checking for agent SelfUpdate"),
		msg("Setup", "Client version: Core: 7.0.6000.374  Aux: 7.0.6000.374"),
		msg("Setup", "SelfUpdate check completed.  SelfUpdate is NOT required."),
	)
	c.at(900*time.Millisecond, c.agent, c.text.SyncServerUpdates(), c.text.ServerURL(serverURL))
}

// fault logs a SyncUpdates fault and the failed end of the search.
func (c *clientLog) fault(f wsuslog.SyncFault) {
	c.at(3234*time.Millisecond, c.agent, c.text.SyncUpdatesFault(f)...)
	c.at(0, c.agent, c.text.SyncFailed(f.HResult)...)
	c.at(0, c.agent, c.text.AgentSearchEnd("AutomaticUpdates")...)
	c.at(0, c.agent, c.text.SearchFailed(f.HResult))
	c.auFailed(f.HResult)
}

func (c *clientLog) auFailed(hr uint32) {
	c.at(10*time.Millisecond, c.au,
		msg("AU", ">>##  RESUMED  ## AU: Search for updates [CallId = "+callID+"]"),
		msg("AU", fmt.Sprintf("  # WARNING: Search callback failed, result = 0x%08X", hr)),
		msg("AU", fmt.Sprintf("  # WARNING: Failed to find updates with error code %08X", hr)),
		msg("AU", "#########"),
		msg("AU", "##  END  ##  AU: Search for updates [CallId = "+callID+"]"),
		msg("AU", "#############"),
	)
	c.at(5*time.Second, c.au, msg("Report", fmt.Sprintf(
		"REPORT EVENT: {6D3B1A0C-2E4F-4B8A-9C1D-7E5F3A2B1C0D}\t%s+0200\t1\t148\t101\t{00000000-0000-0000-0000-000000000000}\t0\t%08x\tAutomaticUpdates\tFailure\tSoftware Synchronization\tWindows Update Client failed to detect with error 0x%08x.",
		wuTime(c.t), hr, hr)))
}

// success logs a SyncUpdates that worked, and the search's end.
func (c *clientLog) success(found int) {
	c.at(2100*time.Millisecond, c.agent, c.text.SyncExtendedUpdateInfo(), c.text.ServerURL(serverURL))
	c.at(800*time.Millisecond, c.agent,
		msg("Agent", fmt.Sprintf("  * Found %d updates and 57 categories in search; evaluated appl. rules of 1043 out of 1796 deployed entities", found)))
	for i := 0; i < found; i++ {
		c.at(0, c.agent, msg("Agent", fmt.Sprintf("  * Added update {A1B2C3D4-0000-4000-8000-00000000000%d}.10%d to search result", i, i)))
	}
	c.at(0, c.agent, c.text.AgentSearchEnd("AutomaticUpdates")...)
	c.at(10*time.Millisecond, c.au,
		msg("AU", ">>##  RESUMED  ## AU: Search for updates [CallId = "+callID+"]"),
		msg("AU", fmt.Sprintf("  # %d updates detected", found)),
		msg("AU", "#########"),
		msg("AU", "##  END  ##  AU: Search for updates [CallId = "+callID+"]"),
		msg("AU", "#############"),
	)
	c.at(5*time.Second, c.au, msg("Report", fmt.Sprintf(
		"REPORT EVENT: {1E2D3C4B-5A69-4788-8796-A5B4C3D2E1F0}\t%s+0200\t1\t147\t101\t{00000000-0000-0000-0000-000000000000}\t0\t0\tAutomaticUpdates\tSuccess\tSoftware Synchronization\tWindows Update Client successfully detected %d updates.",
		wuTime(c.t), found)))
}

// bytes renders the log with tabs and CRLF, as WUA 7.x writes it.
func (c *clientLog) bytes() []byte {
	var b bytes.Buffer
	if err := wsuslog.NewClientLogWriter(&b).Log(c.entries...); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// advisoryLayout renders the log as the advisory's copy shows it: the
// columns padded with spaces instead of tabs.
func (c *clientLog) advisoryLayout() []byte {
	var b bytes.Buffer
	for _, e := range c.entries {
		ms := e.Time.Nanosecond() / int(time.Millisecond)
		fmt.Fprintf(&b, "%s    %s:%03d  %-5d %-6x %-6s %s\r\n",
			e.Time.Format("2006-01-02"), e.Time.Format("15:04:05"), ms, e.PID, e.TID, e.Component, strings.TrimLeft(e.Text, " "))
	}
	return b.Bytes()
}

func iseFault(id string) wsuslog.SyncFault {
	return wsuslog.SyncFault{
		HResult: 0x8024400E, SOAPClientError: 7, SOAPErrorCode: 400, HTTPStatus: 200,
		FaultString: "Fault occurred", ErrorCode: "InternalServerError", ErrorNumber: 5, Method: syncMethod, ID: id,
	}
}

var t0 = time.Date(2008, 6, 13, 19, 59, 50, 452e6, time.UTC) // puts the banner and fault at the advisory's times

func utf16le(b []byte) []byte {
	out, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(b)
	if err != nil {
		panic(err)
	}
	return out
}

// serverClock advances 7 ms on every call, so entries get distinct times.
func serverClock(start time.Time) func() time.Time {
	t := start
	return func() time.Time { t = t.Add(7 * time.Millisecond); return t }
}

func serverLog(lang wsuslog.Lang, start time.Time, write func(*wsuslog.ServerLog)) []byte {
	var b bytes.Buffer
	l := wsuslog.NewServerLog(&b, lang, serverClock(start))
	write(l)
	if err := l.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

const clientID = "5b3f2c8e-0d4a-4e7b-9a61-2c3d4e5f6a7b"

// generators makes every generated fixture, by file name.
var generators = map[string]func() []byte{
	"wu-en-affected.log": func() []byte {
		c := newClientLog(wsuslog.LangEnglish, t0)
		c.startup()
		c.searchStart()
		c.fault(iseFault(advisoryID))
		return c.bytes()
	},
	"wu-nl-affected.log": func() []byte {
		c := newClientLog(wsuslog.LangDutch, t0)
		c.searchStart()
		f := iseFault(advisoryID)
		f.FaultString = "Er is een fout opgetreden"
		c.fault(f)
		return c.advisoryLayout()
	},
	"wu-en-affected-utf16.log": func() []byte {
		c := newClientLog(wsuslog.LangEnglish, t0.Add(26*time.Hour))
		c.pid, c.agent, c.au = 1044, 0x738, 0x4a0
		c.startup()
		c.searchStart()
		c.fault(iseFault(utf16ID))
		return utf16le(c.bytes())
	},
	"wu-en-clean.log": func() []byte {
		c := newClientLog(wsuslog.LangEnglish, t0)
		c.startup()
		c.searchStart()
		c.success(3)
		return c.bytes()
	},
	"wu-en-clean-mentions-8024400e.log": func() []byte {
		// An excerpt that starts after the fault dump of an earlier,
		// failed scan (the log was cut, or rotated): 0x8024400E
		// appears, the fault does not.
		c := newClientLog(wsuslog.LangEnglish, t0)
		c.at(0, c.agent, c.text.SyncFailed(0x8024400E)[3:]...)
		c.at(0, c.agent, c.text.AgentSearchEnd("AutomaticUpdates")...)
		c.at(0, c.agent, c.text.SearchFailed(0x8024400E))
		c.auFailed(0x8024400E)
		c.t = c.t.Add(22 * time.Hour)
		c.searchStart()
		c.success(2)
		return c.bytes()
	},
	"wu-en-serverbusy.log": func() []byte {
		c := newClientLog(wsuslog.LangEnglish, t0)
		c.searchStart()
		f := iseFault(busyID)
		f.ErrorCode, f.ErrorNumber = "ServerBusy", 10
		c.fault(f)
		return c.bytes()
	},
	"wu-en-getcookie-internalservererror.log": func() []byte {
		// Same HRESULT and ErrorCode, another method.
		c := newClientLog(wsuslog.LangEnglish, t0)
		c.searchStart()
		f := iseFault(getCookieID)
		f.Method = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/GetCookie"
		dump := c.text.SyncUpdatesFault(f)
		dump[0].Text = strings.Replace(dump[0].Text, "SyncUpdates failure", "GetCookie failure", 1)
		c.at(1200*time.Millisecond, c.agent, dump...)
		c.at(0, c.agent, c.text.SyncFailed(f.HResult)...)
		c.at(0, c.agent, c.text.AgentSearchEnd("AutomaticUpdates")...)
		c.at(0, c.agent, c.text.SearchFailed(f.HResult))
		c.auFailed(f.HResult)
		return c.bytes()
	},
	"wu-en-invalidcookie.log": func() []byte {
		// A soap:Client fault the agent recovers from with a new cookie.
		c := newClientLog(wsuslog.LangEnglish, t0)
		c.searchStart()
		c.at(400*time.Millisecond, c.agent, c.text.SyncUpdatesFault(wsuslog.SyncFault{
			HResult: 0x8024400D, SOAPClientError: 7, SOAPErrorCode: 300, HTTPStatus: 200,
			FaultString: "Fault occurred", ErrorCode: "InvalidCookie", ErrorNumber: 1, Method: syncMethod, ID: cookieID,
		})...)
		c.at(300*time.Millisecond, c.agent, msg("PT", "Initializing simple targeting cookie, clientId = "+clientID+", target group = , DNS name = pc042.contoso.local"),
			msg("PT", "  Server URL = http://wsusebc/SimpleAuthWebService/SimpleAuth.asmx"))
		c.success(1)
		return c.bytes()
	},
	"wu-en-recovered.log": func() []byte {
		c := newClientLog(wsuslog.LangEnglish, t0)
		c.startup()
		c.searchStart()
		c.fault(iseFault(advisoryID))
		c.t = c.t.Add(22 * time.Hour) // the next day's scan, after KB954960
		c.searchStart()
		c.success(4)
		return c.bytes()
	},
	"wu-76-ws-affected.log": func() []byte {
		// WUA 7.6 (Windows 7): the fault through the WS component, as
		// 0x80244007, in the layout of source S9 of docs/protocol-facts.md.
		c := newClientLog(wsuslog.LangEnglish, time.Date(2015, 10, 30, 17, 12, 50, 120e6, time.UTC))
		c.pid, c.agent, c.au = 880, 0x1160, 0x3d8
		c.searchStart()
		detail := `<detail><ErrorCode>InternalServerError</ErrorCode><Message></Message><ID>` + ws76ID +
			`</ID><Method>"` + syncMethod + `"</Method></detail>`
		c.at(93*time.Millisecond, c.agent,
			msg("IdleTmr", "WU operation (CAgentProtocolTalker::SyncUpdates_WithRecover) started; operation # 584; does use network; is at background priority"),
			msg("WS", "WARNING: Nws Failure: errorCode=0x803d0013"),
			msg("WS", "WARNING: The body of the received message contained a fault."),
			msg("WS", "WARNING: Soap fault info:"),
			msg("WS", "WARNING: reason: Fault occurred"),
			msg("WS", "WARNING: code: Server"),
			msg("WS", "WARNING: detail: "+detail),
			msg("WS", "WARNING: Soap fault detail: errorCode='InternalServerError', message='', id='"+ws76ID+`', method='"`+syncMethod+`"'`),
			msg("WS", "FATAL: OnCallFailure failed with hr=0X80244007"),
			msg("PT", "WARNING: PTError: 0x80244007"),
			msg("PT", "WARNING: SyncUpdates_WithRecovery failed.: 0x80244007"),
			msg("IdleTmr", "WU operation (CAgentProtocolTalker::SyncUpdates_WithRecover, operation # 584) stopped; does use network; is at background priority"),
			msg("PT", "WARNING: Sync of Updates: 0x80244007"),
			msg("PT", "WARNING: SyncServerUpdatesInternal failed: 0x80244007"),
			msg("Agent", "  * WARNING: Failed to synchronize, error = 0x80244007"),
			msg("Agent", "  * WARNING: Exit code = 0x80244007"),
		)
		c.at(0, c.agent, c.text.AgentSearchEnd("AutomaticUpdates")...)
		c.at(0, c.agent, c.text.SearchFailed(0x80244007))
		c.auFailed(0x80244007)
		return c.bytes()
	},

	"sd-en-affected.log": func() []byte {
		return serverLog(wsuslog.LangEnglish, time.Date(2008, 6, 13, 17, 59, 53, 0, time.UTC), func(l *wsuslog.ServerLog) {
			l.Request("w3wp.12", "GetConfig", "")
			l.Request("w3wp.12", "SimpleAuthImplementation.GetAuthorizationCookie", clientID)
			l.Request("w3wp.12", "GetCookie", clientID)
			l.Request("w3wp.7", "SyncUpdates", "8d0e3a44-1b2c-4d5e-8f90-a1b2c3d4e5f6")
			l.Request("w3wp.12", "SyncUpdates", clientID)
			l.DuplicateKey("w3wp.12", "8862")
			l.ThrowException("w3wp.12", serverURL, advisoryID, "InternalServerError", "", clientID)
		})
	},
	"sd-en-clean.log": func() []byte {
		return serverLog(wsuslog.LangEnglish, time.Date(2008, 6, 14, 17, 59, 53, 0, time.UTC), func(l *wsuslog.ServerLog) {
			for _, op := range []string{"GetConfig", "SimpleAuthImplementation.GetAuthorizationCookie", "GetCookie", "SyncUpdates", "SyncUpdates", "GetExtendedUpdateInfo"} {
				l.Request("w3wp.12", op, clientID)
			}
		})
	},
	"sd-en-invalidcookie.log": func() []byte {
		return serverLog(wsuslog.LangEnglish, time.Date(2008, 6, 13, 17, 59, 50, 0, time.UTC), func(l *wsuslog.ServerLog) {
			l.Request("w3wp.3", "SyncUpdates", clientID)
			l.ThrowException("w3wp.3", serverURL, cookieID, "InvalidCookie", "", clientID)
			l.Request("w3wp.3", "GetCookie", clientID)
			l.Request("w3wp.3", "SyncUpdates", clientID)
		})
	},
}

// handWritten are the fixtures no writer of wsuslog produces: they are
// kept as they are and only checked to exist.
var handWritten = []string{
	"sd-nl-affected.log", // the advisory's Dutch server log, as printed there
	"not-a-log.txt",
	"README.md",
}

func TestFixturesUpToDate(t *testing.T) {
	names := make([]string, 0, len(generators))
	for name := range generators {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := generators[name]()
		path := filepath.Join(fixtureDir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its generator (wsuslog's texts changed?); run go test ./detect -run TestFixturesUpToDate -update and review the diff", name)
		}
	}
	for _, name := range handWritten {
		if _, err := os.Stat(filepath.Join(fixtureDir, name)); err != nil {
			t.Error(err)
		}
	}
}
