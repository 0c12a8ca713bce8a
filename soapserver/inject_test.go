package soapserver_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/internal/adminrig"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wusp"
)

// addFault posts a rule and returns it as the server stored it.
func addFault(t *testing.T, a *adminrig.Rig, rule string) soapserver.FaultRule {
	t.Helper()
	var r soapserver.FaultRule
	if st := a.Admin("POST", "/faults", rule, &r); st != http.StatusCreated {
		t.Fatalf("POST /faults %s: %d", rule, st)
	}
	return r
}

// freshClient does not reuse connections, so each exchange sees its own
// connection's fate.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
}

func TestInjectErrorCode(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	r := addFault(t, a, `{"operation": "GetConfig", "error_code": "ServerBusy", "message": "injected"}`)
	if r.ID == "" || r.Operation != "GetConfig" {
		t.Fatalf("stored rule: %+v", r)
	}
	err := a.GetConfig()
	var f *wusp.Fault
	if !errors.As(err, &f) || f.Code != wusp.ServerBusy || f.Message != "injected" || f.FaultCode() != "Server" {
		t.Fatalf("GetConfig: %v, want the injected ServerBusy fault", err)
	}
	if err := a.Authorize("c1"); err != nil {
		t.Errorf("another operation was hit: %v", err)
	}
	e := a.SOAP.Journal(soapserver.JournalFilter{Operation: "GetConfig"}).Entries[0]
	if e.Fault != "ServerBusy" || e.FaultID != f.ID || e.Injected != r.ID {
		t.Errorf("journal entry %+v", e)
	}
}

func TestInjectTransport(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	post := func() (*http.Response, error) {
		return freshClient().Post(a.URL()+"/ClientWebService/client.asmx", "text/xml; charset=utf-8",
			bytes.NewReader(wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"})))
	}

	t.Run("reset: the client sees the connection reset", func(t *testing.T) {
		a.SOAP.ClearFaults()
		addFault(t, a, `{"transport": "reset", "times": 1}`)
		_, err := post()
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("err = %v, want connection reset", err)
		}
		if e := a.SOAP.Journal(soapserver.JournalFilter{}).Entries; e[len(e)-1].Status != 0 || e[len(e)-1].Transport != "reset" {
			t.Errorf("journal: %+v", e[len(e)-1])
		}
	})
	t.Run("empty: the client sees EOF", func(t *testing.T) {
		a.SOAP.ClearFaults()
		addFault(t, a, `{"transport": "empty", "times": 1}`)
		_, err := post()
		if !errors.Is(err, io.EOF) {
			t.Fatalf("err = %v, want EOF", err)
		}
	})
	t.Run("truncate: the full Content-Length, half the body, an unexpected EOF", func(t *testing.T) {
		a.SOAP.ClearFaults()
		addFault(t, a, `{"transport": "truncate", "times": 1}`)
		resp, err := post()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("read: %v, want unexpected EOF", err)
		}
		if int64(len(b)) != resp.ContentLength/2 {
			t.Errorf("got %d of %d bytes, want half", len(b), resp.ContentLength)
		}
	})
	t.Run("drip: the whole reply, slowly", func(t *testing.T) {
		a.SOAP.ClearFaults()
		addFault(t, a, `{"transport": "drip", "drip": {"bytes": 100, "interval_ms": 20, "max_ms": 300}, "times": 1}`)
		start := time.Now()
		resp, err := post()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		took := time.Since(start)
		if err != nil || int64(len(b)) != resp.ContentLength {
			t.Fatalf("read %d of %d bytes: %v", len(b), resp.ContentLength, err)
		}
		if err := wusp.ParseResponse(b, wusp.OpGetConfig, &wusp.GetConfigResponse{}); err != nil {
			t.Errorf("dripped reply does not parse: %v", err)
		}
		// A reply of several hundred bytes in 100-byte pieces every 20 ms.
		if min := time.Duration(len(b)/100-1) * 20 * time.Millisecond; took < min || took > 2*time.Second {
			t.Errorf("took %v for %d bytes, want at least %v and within max_ms", took, len(b), min)
		}
	})
	t.Run("latency: a fixed delay before the genuine reply", func(t *testing.T) {
		a.SOAP.ClearFaults()
		addFault(t, a, `{"latency": {"fixed_ms": 150}, "times": 1}`)
		start := time.Now()
		if err := a.GetConfig(); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 150*time.Millisecond {
			t.Errorf("took %v, want at least 150ms", took)
		}
	})
	t.Run("latency with an error code", func(t *testing.T) {
		a.SOAP.ClearFaults()
		addFault(t, a, `{"error_code": "ServerBusy", "latency": {"distribution": "uniform", "min_ms": 50, "max_ms": 80, "seed": 3}, "times": 1}`)
		start := time.Now()
		if err := a.GetConfig(); faultCode(err) != wusp.ServerBusy || time.Since(start) < 50*time.Millisecond {
			t.Errorf("got %v after %v", err, time.Since(start))
		}
	})
}

func TestInjectNthTimesAndClient(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	addFault(t, a, `{"operation": "GetConfig", "nth": 3, "error_code": "InternalServerError"}`)
	addFault(t, a, `{"operation": "GetAuthorizationCookie", "client_id": "flaky", "times": 2, "error_code": "ServerBusy"}`)

	var got []wusp.ErrorCode
	for range 5 {
		got = append(got, faultCode(a.GetConfig()))
	}
	if want := []wusp.ErrorCode{"", "", wusp.InternalServerError, "", ""}; !equalJSON(got, want) {
		t.Errorf("nth 3: %v, want %v", got, want)
	}

	got = nil
	for _, c := range []string{"flaky", "steady", "flaky", "flaky"} {
		got = append(got, faultCode(a.Authorize(c)))
	}
	if want := []wusp.ErrorCode{wusp.ServerBusy, "", wusp.ServerBusy, ""}; !equalJSON(got, want) {
		t.Errorf("client flaky, 2 times: %v, want %v", got, want)
	}

	rules := a.SOAP.Faults()
	if rules[0].Matched != 5 || rules[0].Hits != 1 || rules[1].Matched != 3 || rules[1].Hits != 2 {
		t.Errorf("counters: %+v", rules)
	}

	var removed struct{ Removed int }
	if st := a.Admin("DELETE", "/faults/"+rules[0].ID, "", &removed); st != http.StatusOK || removed.Removed != 1 {
		t.Errorf("DELETE one: %d %+v", st, removed)
	}
	if st := a.Admin("DELETE", "/faults/"+rules[0].ID, "", nil); st != http.StatusNotFound {
		t.Errorf("DELETE again: %d", st)
	}
	if st := a.Admin("DELETE", "/faults", "", &removed); st != http.StatusOK || removed.Removed != 1 {
		t.Errorf("DELETE all: %d %+v", st, removed)
	}
}

// A rule with a probability and a seed hits the same exchanges on every run.
func TestInjectProbabilityIsDeterministic(t *testing.T) {
	pattern := func() string {
		a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
		addFault(t, a, `{"probability": 0.3, "seed": 42, "error_code": "ServerBusy"}`)
		var b strings.Builder
		for range 40 {
			if a.GetConfig() != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, second := pattern(), pattern()
	if first != second {
		t.Errorf("same seed, different hits:\n%s\n%s", first, second)
	}
	if n := strings.Count(first, "x"); n < 4 || n > 24 {
		t.Errorf("%d of 40 hit at probability 0.3: %s", n, first)
	}
}

func TestInjectRuleValidation(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	for _, tc := range []struct{ rule, field string }{
		{`{"operation": "SyncUpdate", "error_code": "ServerBusy"}`, "operation"},
		{`{"error_code": "ServerOnFire"}`, "error_code"},
		{`{"probability": 1.5, "error_code": "ServerBusy"}`, "probability"},
		{`{"probability": -0.1, "error_code": "ServerBusy"}`, "probability"},
		{`{"nth": -1, "error_code": "ServerBusy"}`, "nth"},
		{`{"transport": "explode"}`, "transport"},
		{`{"transport": "reset", "error_code": "ServerBusy"}`, "transport"},
		{`{"drip": {"bytes": 1}, "error_code": "ServerBusy"}`, "drip"},
		{`{"latency": {"distribution": "poisson"}}`, "latency.distribution"},
		{`{"latency": {"distribution": "uniform", "min_ms": 9, "max_ms": 1}}`, "latency.max_ms"},
		{`{"latency": {"fixed_ms": -5}}`, "latency.fixed_ms"},
		{`{"operation": "GetConfig"}`, "error_code"},
	} {
		var e adminError
		if st := a.Admin("POST", "/faults", tc.rule, &e); st != http.StatusBadRequest || e.Field != tc.field {
			t.Errorf("%s: %d %+v, want 400 naming %s", tc.rule, st, e, tc.field)
		}
	}
	var e adminError
	if st := a.Admin("POST", "/faults", `{"error_code": "ServerBusy", "colour": "red"}`, &e); st != http.StatusBadRequest || !strings.Contains(e.Reason, "colour") {
		t.Errorf("unknown field: %d %+v", st, e)
	}
	if len(a.SOAP.Faults()) != 0 {
		t.Errorf("refused rules were installed: %+v", a.SOAP.Faults())
	}
}

// SetFaults installs rules whose IDs a shared store gave: a rule the server
// holds already keeps its counters, a bad one changes nothing.
func TestSetFaultsKeepsTheCountersOfRulesItHolds(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	getConfig := soapserver.FaultRule{ID: "f7", Operation: "GetConfig", ErrorCode: wusp.ServerBusy}
	if err := a.SOAP.SetFaults([]soapserver.FaultRule{getConfig}); err != nil {
		t.Fatal(err)
	}
	if err := a.GetConfig(); err == nil {
		t.Fatal("GetConfig succeeded under rule f7")
	}
	cookie := soapserver.FaultRule{ID: "f8", Operation: "GetCookie", ErrorCode: wusp.ServerBusy}
	if err := a.SOAP.SetFaults([]soapserver.FaultRule{getConfig, cookie}); err != nil {
		t.Fatal(err)
	}
	fs := a.SOAP.Faults()
	if len(fs) != 2 || fs[0].ID != "f7" || fs[0].Hits != 1 || fs[1].ID != "f8" || fs[1].Hits != 0 {
		t.Errorf("rules after the second SetFaults: %+v", fs)
	}
	var re *soapserver.RuleError
	if err := a.SOAP.SetFaults([]soapserver.FaultRule{{ID: "f9", Operation: "NoSuchOperation"}}); !errors.As(err, &re) || re.Field != "operation" {
		t.Errorf("a bad rule: %v, want a RuleError on operation", err)
	}
	if n := len(a.SOAP.Faults()); n != 2 {
		t.Errorf("a refused SetFaults changed the rules: %d left", n)
	}
}
