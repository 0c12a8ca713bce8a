package wsustest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// HaveSucceeded matches a detection cycle (*wuaclient.Result) that
// completed.
func HaveSucceeded() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(r *wuaclient.Result) (bool, error) {
		if r == nil {
			return false, errors.New("HaveSucceeded needs a *wuaclient.Result, got nil")
		}
		return r.Succeeded, nil
	}).WithTemplate("Expected the detection cycle to succeed, it ended with\n{{.FormattedActual}}\n{{.To}} have succeeded", nil)
}

// HaveFailedWith matches a detection cycle (*wuaclient.Result) that ended
// with the WSUS fault code, or an error that is or wraps a *wusp.Fault
// with it (what wusp.ParseResponse returns).
func HaveFailedWith(code wusp.ErrorCode) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		switch v := actual.(type) {
		case *wuaclient.Result:
			if v == nil {
				return false, errors.New("HaveFailedWith got a nil *wuaclient.Result")
			}
			return !v.Succeeded && v.Fault != nil && v.Fault.Code == code, nil
		case error:
			var f *wusp.Fault
			return errors.As(v, &f) && f.Code == code, nil
		case nil:
			return false, nil
		}
		return false, fmt.Errorf("HaveFailedWith needs a *wuaclient.Result or an error, got %T", actual)
	}).WithTemplate("Expected\n{{.FormattedActual}}\n{{.To}} carry the WSUS fault {{.Data}}", code)
}

// AtLeastOnce, as the count of HaveServedFault or HaveServedFaultTo,
// matches any number of faults but none.
const AtLeastOnce = -1

// HaveServedFault matches a *Server whose journal holds exactly times
// exchanges answered with the WSUS fault code (or AtLeastOnce). The
// failure message says how many it found. The journal is bounded
// (soapserver.Config.JournalSize); the matcher refuses to count when
// entries were dropped.
func HaveServedFault(code wusp.ErrorCode, times int) types.GomegaMatcher {
	return servedFault("", code, times)
}

// HaveServedFaultTo is HaveServedFault for one client: the exchanges of the
// SusClientId clientID (a profile's ClientID).
func HaveServedFaultTo(clientID string, code wusp.ErrorCode, times int) types.GomegaMatcher {
	return servedFault(clientID, code, times)
}

// servedCount is what servedFault tells the failure message.
type servedCount struct {
	Want, To string
	Got      int
}

func servedFault(clientID string, code wusp.ErrorCode, times int) types.GomegaMatcher {
	data := &servedCount{Want: fmt.Sprintf("%s %s", code, timesText(times))}
	if clientID != "" {
		data.To = " to client " + clientID
	}
	return gcustom.MakeMatcher(func(s *Server) (bool, error) {
		if s == nil {
			return false, errors.New("HaveServedFault needs a *wsustest.Server, got nil")
		}
		page := s.Journal(soapserver.JournalFilter{Fault: string(code), ClientID: clientID})
		if page.Dropped > 0 {
			return false, fmt.Errorf("the journal dropped %d entries; raise JournalSize to count faults", page.Dropped)
		}
		data.Got = len(page.Entries)
		if times < 0 {
			return data.Got > 0, nil
		}
		return data.Got == times, nil
	}).WithTemplate("Expected the server {{.To}} have served {{.Data.Want}}{{.Data.To}}; it served it {{.Data.Got}} times", data)
}

func timesText(n int) string {
	switch {
	case n < 0:
		return "at least once"
	case n == 1:
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// HoldKB954960Signature matches a log — WindowsUpdate.log or
// SoftwareDistribution.log text (string or []byte), or the log of a
// detection cycle (*wuaclient.Result) — in which the reference detector
// (package detect) finds the advisory 954960 failure and no later recovery.
func HoldKB954960Signature() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		var text string
		switch v := actual.(type) {
		case string:
			text = v
		case []byte:
			text = string(v)
		case *wuaclient.Result:
			text = v.LogText()
		default:
			return false, fmt.Errorf("HoldKB954960Signature needs log text or a *wuaclient.Result, got %T", actual)
		}
		rep, err := detect.Analyze("log", strings.NewReader(text))
		if err != nil {
			return false, err
		}
		return rep.Verdict == detect.VerdictAffected, nil
	}).WithTemplate("Expected the log {{.To}} hold the advisory 954960 signature:\n{{.FormattedActual}}")
}
