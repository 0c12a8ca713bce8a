package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/metrics"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// After an Office 2003 client's cycle and an injected fault, /metrics
// counts the exchanges by operation, ErrorCode and rule, times them,
// counts what the journal dropped and shows the process's CPU and memory.
func TestMetricsAfterAClientRun(t *testing.T) {
	world, err := scenarios.BuiltinWorld(scenarios.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{World: world, Metrics: metrics.New(), Config: soapserver.Config{JournalSize: 2}}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	if _, err := srv.Control.AddFault(ctx, soapserver.FaultRule{Operation: "GetConfig", ErrorCode: wusp.ServerBusy, Times: 1}); err != nil {
		t.Fatal(err)
	}
	profile, err := wuaclient.BuiltinProfile("xp-sp3-office2003")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first cycle meets the injected ServerBusy
		if _, err := (&wuaclient.Client{ServerURL: srv.URL(), Profile: profile}).Detect(ctx); err != nil {
			t.Fatal(err)
		}
	}

	resp, err := http.Get(srv.URL() + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`wsusmock_exchanges_total{error_code="ServerBusy",injected="f1",operation="GetConfig"} 1`,
		`wsusmock_exchanges_total{error_code="InternalServerError",injected="",operation="SyncUpdates"} 1`,
		`wsusmock_exchanges_total{error_code="",injected="",operation="SyncUpdates"} 2`,
		`wsusmock_exchange_duration_seconds_count{operation="SyncUpdates"} 3`,
		`wsusmock_exchange_duration_seconds_bucket{operation="GetConfig",le="+Inf"} `,
		"\nprocess_cpu_seconds_total ",
		"\nprocess_resident_memory_bytes ",
		"\ngo_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	page, _ := srv.Control.Journal(ctx, soapserver.JournalFilter{})
	if page.Dropped == 0 || !strings.Contains(body, "\nwsusmock_journal_dropped_total "+strconv.FormatUint(page.Dropped, 10)+"\n") {
		t.Errorf("journal dropped %d; /metrics says:\n%s", page.Dropped, grep(body, "wsusmock_journal_dropped_total"))
	}
}

func grep(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// BenchmarkObserve is what the metrics add to one exchange: a lookup of
// resolved counters, an add and a histogram observation, no allocation.
func BenchmarkObserve(b *testing.B) {
	m := metrics.New()
	e := &soapserver.JournalEntry{Operation: "SyncUpdates", Fault: "InternalServerError", DurationMicros: 180}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Observe(e)
		}
	})
}

// Label values come from outside (rule IDs, SOAP faultstrings), so the
// series are bounded: past a thousand combinations, exchanges are counted
// under "other" and none is lost.
func TestSeriesAreBounded(t *testing.T) {
	m := metrics.New()
	for i := range 1100 {
		m.Observe(&soapserver.JournalEntry{Operation: "GetConfig", Injected: "f" + strconv.Itoa(i)})
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
	body := rec.Body.String()
	if n := strings.Count(body, "\nwsusmock_exchanges_total{"); n != 1001 {
		t.Errorf("%d series, want 1000 and other", n)
	}
	if !strings.Contains(body, `wsusmock_exchanges_total{error_code="other",injected="other",operation="other"} 100`) {
		t.Errorf("no other series with 100:\n%s", grep(body, `wsusmock_exchanges_total{error_code="other"`))
	}
}
