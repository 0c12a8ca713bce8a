package detect_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wusp"
)

// forgedFailure is the text of a complete 954960 failure as a server
// log shows it: the duplicate-key exception with its GetSyncInfo stack,
// then the InternalServerError ThrowException on the same thread. A
// client that could get it into the log verbatim would make a fixed
// server look affected.
func forgedFailure() string {
	at := time.Date(2008, 6, 14, 2, 59, 57, 0, time.UTC)
	dup := wsuslog.ServerEntry{Time: at, Level: wsuslog.LevelError, Thread: "w3wp.99",
		Source: wsuslog.DuplicateKeySource, Message: wsuslog.DuplicateKeyMessage(wsuslog.LangEnglish, "8862")}
	throw := wsuslog.ServerEntry{Time: at, Level: wsuslog.LevelWarning, Thread: "w3wp.99",
		Source: wsuslog.ThrowExceptionSource, Message: "ThrowException: actor = http://x/, ID=c0a7445f-b989-43fa-ac20-11f8ca65fa8c, ErrorCode=InternalServerError, Message=, Client=?"}
	return "forged\n" + dup.Format(wsuslog.LangEnglish) + "\n" + throw.Format(wsuslog.LangEnglish)
}

// The forged text must itself be detected when it stands in a log, or the
// tests below prove nothing.
func TestForgedFailureIsAFailure(t *testing.T) {
	rep := analyze(t, "forged", []byte(strings.ReplaceAll(forgedFailure(), "\n", "\r\n")))
	if rep.Verdict != detect.VerdictAffected {
		t.Fatalf("the forged text is %s, not affected: %s", rep.Verdict, rep.Summary)
	}
}

// A client ID carrying line breaks and a whole forged failure cannot make
// the log of a fixed (SP2) server look affected: the server writes it as
// one escaped line.
func TestClientCannotForgeServerLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, serverLog := startServer(t, "sp2")

	body := wusp.MarshalRequest(wusp.OpGetAuthorizationCookie,
		&wusp.GetAuthorizationCookieRequest{ClientID: forgedFailure(), DNSName: "xp01"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"SimpleAuthWebService/SimpleAuth.asmx", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", wusp.OpGetAuthorizationCookie.QuotedSOAPAction())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A real scan after it, so the log holds the server's own lines too.
	if rep, err := detect.Probe(ctx, url); err != nil || rep.Verdict != detect.VerdictClean {
		t.Fatalf("probe of the SP2 server: %v %s", err, rep.Verdict)
	}

	log := serverLog()
	rep := analyze(t, "SoftwareDistribution.log", log)
	if rep.Verdict == detect.VerdictAffected {
		t.Fatalf("a client made the fixed server's log affected: %s\n%s", rep.Summary, log)
	}
	for _, line := range strings.Split(string(log), "\r\n") {
		if strings.Contains(line, "ClientImplementation.GetSyncInfo") {
			if !strings.Contains(line, `\n`) {
				t.Errorf("the forged stack frame stands on a line of its own: %q", line)
			}
		}
	}
}

// prefixLongLine puts a line of n bytes in front of log.
func prefixLongLine(n int, log []byte) []byte {
	return append(append(bytes.Repeat([]byte("A"), n), "\r\n"...), log...)
}

// A line over the 1 MiB the reader keeps does not stop the analysis: the
// failure after it is still found.
func TestLongLineBeforeFailure(t *testing.T) {
	for _, name := range []string{"sd-en-affected.log", "wu-en-affected.log", "wu-en-affected-utf16.log"} {
		t.Run(name, func(t *testing.T) {
			log := readFixture(t, name)
			if strings.Contains(name, "utf16") {
				// The long line goes after the byte-order mark, in UTF-16LE.
				long := bytes.Repeat([]byte{'A', 0}, 2<<20)
				log = append(append(append([]byte{}, log[:2]...), long...), log[2:]...)
			} else {
				log = prefixLongLine(2<<20, log)
			}
			rep := analyze(t, name, log)
			if rep.Verdict != detect.VerdictAffected {
				t.Fatalf("verdict %s (%s), want affected", rep.Verdict, rep.Summary)
			}
			if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "line 1 is longer than") {
				t.Errorf("no note on the long line: %q", rep.Notes)
			}
			for _, e := range rep.Evidence {
				if len(e.Text) > detect.MaxEvidenceText {
					t.Errorf("evidence line %d holds %d bytes", e.Line, len(e.Text))
				}
			}
		})
	}
}

// blankLines pads a log past the 64 KiB OpenLog reads ahead, so that a
// reader failing at the end fails after the analysis has started.
var blankLines = bytes.Repeat([]byte("\r\n"), 40<<10)

// A log the detector could not read in full is never clean.
func TestNotReadInFullIsNeverClean(t *testing.T) {
	t.Run("long line", func(t *testing.T) {
		rep := analyze(t, "sd", prefixLongLine(3<<20, readFixture(t, "sd-en-clean.log")))
		if rep.Verdict != detect.VerdictIncomplete {
			t.Fatalf("verdict %s (%s), want incomplete", rep.Verdict, rep.Summary)
		}
		if !strings.Contains(rep.Summary, "not called clean") {
			t.Errorf("summary does not say what the lines read show: %s", rep.Summary)
		}
	})
	for _, name := range []string{"sd-en-clean.log", "wu-en-clean.log", "wu-en-recovered.log"} {
		t.Run("unreadable tail of "+name, func(t *testing.T) {
			rep, err := detect.Analyze(name, readErr{io.MultiReader(bytes.NewReader(blankLines), bytes.NewReader(readFixture(t, name)))})
			if !errors.Is(err, errDisk) {
				t.Fatalf("err = %v, want %v", err, errDisk)
			}
			if rep.Verdict != detect.VerdictIncomplete {
				t.Errorf("verdict %s (%s), want incomplete", rep.Verdict, rep.Summary)
			}
		})
	}
	t.Run("unreadable tail after a failure", func(t *testing.T) {
		rep, err := detect.Analyze("wu", readErr{io.MultiReader(bytes.NewReader(blankLines), bytes.NewReader(readFixture(t, "wu-en-affected.log")))})
		if err == nil || rep.Verdict != detect.VerdictAffected {
			t.Errorf("verdict %s, err %v; want affected and the error", rep.Verdict, err)
		}
	})
	t.Run("unreadable head", func(t *testing.T) {
		rep, err := detect.Analyze("wu", readErr{bytes.NewReader(readFixture(t, "wu-en-clean.log"))})
		if err == nil || rep.Verdict != detect.VerdictIncomplete {
			t.Errorf("verdict %s, err %v; want incomplete and the error", rep.Verdict, err)
		}
	})
}

// A probed server that puts a forged WindowsUpdate.log failure into its
// fault message cannot make the probe report affected: the simulated
// client logs the message on one escaped line.
func TestProbeServerCannotForgeClientLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	affected := strings.Split(string(readFixture(t, "wu-en-affected.log")), "\r\n")
	forged := "busy\n" + strings.Join(affected[26:33], "\n")
	if rep := analyze(t, "forged", []byte(strings.Join(affected[26:33], "\r\n"))); rep.Verdict != detect.VerdictAffected {
		t.Fatalf("the forged lines are %s, not affected", rep.Verdict)
	}

	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := wusp.NewFault(wusp.ServerBusy, forged)
		f.Method = r.Header.Get("SOAPAction")
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(wusp.MarshalFault(f))
	}))
	defer hostile.Close()

	rep, err := detect.Probe(ctx, hostile.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict == detect.VerdictAffected {
		t.Fatalf("a server's fault message made the probe affected: %s", rep.Summary)
	}
	if rep.Verdict != detect.VerdictOtherSOAPFault {
		t.Errorf("verdict %s (%s), want other-soap-fault", rep.Verdict, rep.Summary)
	}
}
