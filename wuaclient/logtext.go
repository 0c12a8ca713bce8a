package wuaclient

import (
	"fmt"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// Lines of a detection cycle that package wsuslog's catalogue does not hold
// (yet). They are English in every Lang: WUA did not localise its log and
// the advisory shows none of them (see wsuslog.Lang).

const componentReport = "Report"

func ptMsg(format string, args ...any) wsuslog.Message {
	return wsuslog.Message{Component: wsuslog.ComponentPT, Text: fmt.Sprintf(format, args...)}
}

func agentMsg(format string, args ...any) wsuslog.Message {
	return wsuslog.Message{Component: wsuslog.ComponentAgent, Text: fmt.Sprintf(format, args...)}
}

// exceededRoundTrips is the line of the WSUS support team's 2008 post on
// 0x80244010 (docs/protocol-facts.md §0 S8, S15).
func exceededRoundTrips() wsuslog.Message {
	return ptMsg("WARNING: Exceeded max server round trips: 0x%08X", uint32(ExceededMaxServerTrips))
}

// cookieRecovery are the lines WUA writes when it drops its cookie and asks
// the SimpleTargeting plug-in for a new one.
func cookieRecovery(clientID, group, dnsName, authURL string) []wsuslog.Message {
	return []wsuslog.Message{
		ptMsg("WARNING: Cached cookie has expired or new PID is available"),
		ptMsg("Initializing simple targeting cookie, clientId = %s, target group = %s, DNS name = %s", clientID, group, dnsName),
		ptMsg("  Server URL = %s", authURL),
	}
}

func addedUpdate(u Update) wsuslog.Message {
	return agentMsg("  * Added update {%s}.%d to search result", strings.ToUpper(u.UpdateID), u.RevisionNumber)
}

func foundUpdates(updates, categories, evaluated, deployed int) wsuslog.Message {
	return agentMsg("  * Found %d updates and %d categories in search; evaluated appl. rules of %d out of %d deployed entities",
		updates, categories, evaluated, deployed)
}

// reportEvent is the REPORT EVENT line, TAB-separated as a WUA 7.6 log shows
// it (docs/protocol-facts.md §3.3): event GUID, time with zone, namespace, event ID,
// source ID, update GUID, revision, HRESULT, caller, result, category, text.
func reportEvent(id string, at time.Time, eventID, sourceID int, hr HRESULT, status, text string) wsuslog.Message {
	ts := at.Format("2006-01-02 15:04:05") + fmt.Sprintf(":%03d", at.Nanosecond()/1e6) + at.Format("-0700")
	return wsuslog.Message{Component: componentReport, Text: fmt.Sprintf(
		"REPORT EVENT: {%s}\t%s\t1\t%d\t%d\t{00000000-0000-0000-0000-000000000000}\t0\t%x\tAutomaticUpdates\t%s\tSoftware Synchronization\t%s",
		strings.ToUpper(id), ts, eventID, sourceID, uint32(hr), status, text)}
}

func uploadingEvents(n int, reportingURL string) wsuslog.Message {
	return wsuslog.Message{Component: componentReport,
		Text: fmt.Sprintf("Uploading %d events using cached cookie, reporting URL = %s", n, reportingURL)}
}

func uploadedEvents(n int) wsuslog.Message {
	return wsuslog.Message{Component: componentReport, Text: fmt.Sprintf("Reporter successfully uploaded %d events.", n)}
}
