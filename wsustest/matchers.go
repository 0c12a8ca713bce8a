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

// HaveServedFault matches a *Server whose journal holds exactly times
// exchanges answered with the WSUS fault code (times < 0: at least one).
// The journal is bounded (soapserver.Config.JournalSize); the matcher
// refuses to count when entries were dropped.
func HaveServedFault(code wusp.ErrorCode, times int) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(s *Server) (bool, error) {
		page := s.Journal(soapserver.JournalFilter{Fault: string(code)})
		if page.Dropped > 0 {
			return false, fmt.Errorf("the journal dropped %d entries; raise JournalSize to count faults", page.Dropped)
		}
		n := len(page.Entries)
		if times < 0 {
			return n > 0, nil
		}
		return n == times, nil
	}).WithTemplate("Expected the server {{.To}} have served {{.Data}}", fmt.Sprintf("%s %s", code, timesText(times)))
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
			var b strings.Builder
			for _, e := range v.Log {
				b.WriteString(e.Format())
				b.WriteString("\r\n")
			}
			text = b.String()
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
