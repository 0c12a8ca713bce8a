package soapserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// The hot operations, measured through ServeHTTP with the bytes a Windows
// Update Agent sends, beside the floor: a handler that only reads the body
// and writes fixed bytes (Floor). Each benchmark reports its cost as a
// multiple of the floor's, measured in the same run. Figures are in the
// README ("Performance"); run with
//
//	go test ./soapserver -run '^$' -bench . -benchmem
//
// BenchmarkHotPath calls the handlers directly (add -cpu 1 for one core);
// BenchmarkLoopback goes through net/http on loopback with 16 keep-alive
// clients, as a load run does, and reports the share of the floor's
// throughput each request reaches (floor-share; 1 is the floor's own).

// discard is a ResponseWriter that keeps nothing, so the benchmarks measure
// the handler rather than a recorder's buffer.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// rereadable is a request body that is read again on every iteration, so
// the benchmark allocates nothing per request of its own.
type rereadable struct{ bytes.Reader }

func (*rereadable) Close() error { return nil }

// serveLoop sends body to h b.N times, as requests on one connection are.
func serveLoop(b *testing.B, h http.Handler, path string, op wusp.Operation, body []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.RunParallel(func(pb *testing.PB) {
		call := repeatedCall(h, path, op, body)
		for pb.Next() {
			call()
		}
	})
}

// repeatedCall returns a function that sends body to h, as requests on one
// connection are, allocating nothing of its own.
func repeatedCall(h http.Handler, path string, op wusp.Operation, body []byte) func() {
	w := &discard{h: http.Header{}}
	rb := new(rereadable)
	req := httptest.NewRequest(http.MethodPost, "http://wsus01:8530"+path, nil)
	req.Header["Soapaction"] = []string{op.QuotedSOAPAction()}
	req.Header["Content-Type"] = []string{"text/xml; charset=utf-8"}
	req.ContentLength = int64(len(body))
	return func() {
		rb.Reset(body)
		req.Body = rb
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// inProcess is a wuaclient.Caller straight into a handler.
func inProcess(s *Server) wuaclient.Caller {
	return func(op wusp.Operation, req, resp wusp.Message) error {
		return wusp.ParseResponse(soapCall(s, op, req).Body.Bytes(), op, resp)
	}
}

// hotRequest is one request the benchmarks repeat, with the server that
// answers it.
type hotRequest struct {
	name   string
	server *Server
	op     wusp.Operation
	body   []byte
	want   string // in the reply, to check the request does what it says
}

func hotRequests(b *testing.B) []hotRequest {
	b.Helper()
	affected := newTestServer(b, scenarios.DefaultScenario, Config{})
	fixed := newTestServer(b, "sp1-kb954960", Config{})
	third := func(s *Server) *wusp.SyncUpdatesRequest {
		req, err := wuaclient.ThirdSyncUpdates(inProcess(s), fixedNow)
		if err != nil {
			b.Fatal(err)
		}
		return req
	}
	faultReq, offerReq := third(affected), third(fixed)
	var offer wusp.SyncUpdatesResponse
	if err := wusp.ParseResponse(soapCall(fixed, wusp.OpSyncUpdates, offerReq).Body.Bytes(), wusp.OpSyncUpdates, &offer); err != nil {
		b.Fatal(err)
	}
	ext := &wusp.GetExtendedUpdateInfoRequest{Cookie: offer.Result.NewCookie, InfoTypes: []string{"Extended", "LocalizedProperties"}, Locales: []string{"en"}}
	for _, u := range offer.Result.NewUpdates {
		ext.RevisionIDs = append(ext.RevisionIDs, u.ID)
	}
	return []hotRequest{
		{"SyncUpdatesFault", affected, wusp.OpSyncUpdates, wusp.MarshalSyncUpdatesWUA(faultReq), "<ErrorCode>InternalServerError</ErrorCode>"},
		{fmt.Sprintf("SyncUpdatesOffer%d", len(offer.Result.NewUpdates)), fixed, wusp.OpSyncUpdates, wusp.MarshalSyncUpdatesWUA(offerReq), "<NewUpdates><UpdateInfo>"},
		{fmt.Sprintf("GetExtendedUpdateInfo%d", len(ext.RevisionIDs)), fixed, wusp.OpGetExtendedUpdateInfo, wusp.MarshalRequest(wusp.OpGetExtendedUpdateInfo, ext), "<Updates><Update>"},
		{"GetConfig", affected, wusp.OpGetConfig, wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}), "<GetConfigResult>"},
	}
}

// BenchmarkHotPath runs the floor and the hot requests in one process and
// one run, and reports each request's time as a multiple of the floor's
// (x-floor). The floor writes the KB954960 fault's bytes.
func BenchmarkHotPath(b *testing.B) {
	path := wusp.ClientService.Path()
	reqs := hotRequests(b)
	floorReply := callBytes(b, reqs[0])
	floor := Floor(floorReply)
	var floorNs float64
	b.Run("Floor", func(b *testing.B) {
		serveLoop(b, floor, path, reqs[0].op, reqs[0].body)
		floorNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	for _, r := range reqs {
		if got := callBytes(b, r); !bytes.Contains(got, []byte(r.want)) {
			b.Fatalf("%s: the reply lacks %s:\n%s", r.name, r.want, got)
		}
		b.Run(r.name, func(b *testing.B) {
			serveLoop(b, r.server, path, r.op, r.body)
			if floorNs > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floorNs, "x-floor")
			}
		})
	}
}

// callBytes sends one hot request and returns the reply.
func callBytes(b testing.TB, r hotRequest) []byte {
	req := httptest.NewRequest(http.MethodPost, "http://wsus01:8530/ClientWebService/client.asmx", bytes.NewReader(r.body))
	req.Header.Set("SOAPAction", r.op.QuotedSOAPAction())
	rec := httptest.NewRecorder()
	r.server.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}

// BenchmarkSyncUpdatesFault is the KB954960 failure alone, on the request
// a Windows Update Agent sends; BenchmarkSyncUpdatesFaultMetrics
// (metrics_bench_test.go) is the same with Prometheus counting every
// exchange, so the two side by side show what the metrics cost.
func BenchmarkSyncUpdatesFault(b *testing.B) { benchSyncUpdatesFault(b, Config{}) }

func benchSyncUpdatesFault(b *testing.B, cfg Config) {
	s := newTestServer(b, scenarios.DefaultScenario, cfg)
	serveLoop(b, s, wusp.ClientService.Path(), wusp.OpSyncUpdates, wuaFault(b, s))
}

// wuaFault is an Office 2003 client's third SyncUpdates to s, as a WUA 7.x
// agent writes it, checked to get the KB954960 fault.
func wuaFault(b testing.TB, s *Server) []byte {
	b.Helper()
	req, err := wuaclient.ThirdSyncUpdates(inProcess(s), fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	r := hotRequest{"SyncUpdatesFault", s, wusp.OpSyncUpdates, wusp.MarshalSyncUpdatesWUA(req), "<ErrorCode>InternalServerError</ErrorCode>"}
	if got := callBytes(b, r); !bytes.Contains(got, []byte(r.want)) {
		b.Fatalf("not the KB954960 fault:\n%s", got)
	}
	return r.body
}

// BenchmarkLoopback serves the floor and the server with net/http on
// loopback and sends them the hot requests from 16 concurrent keep-alive
// clients in this process: the same comparison as a load run against
// "wsusmock floor" and "wsusmock serve", in one command. floor-share is the
// server's throughput as a share of the floor's.
func BenchmarkLoopback(b *testing.B) {
	path := wusp.ClientService.Path()
	reqs := hotRequests(b)
	floor := httptest.NewServer(Floor(callBytes(b, reqs[0])))
	defer floor.Close()
	var floorNs float64
	run := func(b *testing.B, url string, r hotRequest) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		defer client.CloseIdleConnections()
		send := func() error {
			req, _ := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(r.body))
			req.Header["Soapaction"] = []string{r.op.QuotedSOAPAction()}
			req.Header["Content-Type"] = []string{"text/xml; charset=utf-8"}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		}
		// Open the 16 connections before the clock starts.
		var warm sync.WaitGroup
		for range 16 {
			warm.Go(func() {
				for range 8 {
					_ = send()
				}
			})
		}
		warm.Wait()
		b.ReportAllocs()
		b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := send(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}
	b.Run("Floor", func(b *testing.B) {
		run(b, floor.URL, reqs[0])
		floorNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	for _, r := range reqs[:3] {
		srv := httptest.NewServer(r.server)
		b.Run(r.name, func(b *testing.B) {
			run(b, srv.URL, r)
			if floorNs > 0 {
				b.ReportMetric(floorNs/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "floor-share")
			}
		})
		srv.Close()
	}
}
