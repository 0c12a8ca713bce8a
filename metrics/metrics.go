// Package metrics exposes a wsusmock server's figures to Prometheus: the
// SOAP exchanges by operation, WSUS ErrorCode and injected fault rule,
// their latency by operation, the journal's drops, and the process (CPU,
// resident memory) and Go runtime collectors.
//
// The counters follow the exchange journal: Observe is the soapserver
// Config's Observe hook, called once per recorded exchange. It costs a
// lookup in a small map of counters already resolved for each label
// combination, an atomic add and a histogram observation, so the SOAP hot
// path pays no label hashing:
//
//	m := metrics.New()
//	cfg := soapserver.Config{Observe: m.Observe}
//	soap, _ := soapserver.New(world, cfg)
//	m.JournalDropped(soap.JournalDropped)
//	mux.Handle(metrics.Path, m.Handler())
package metrics

import (
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wsusmock/wsusmock/soapserver"
)

// Path is where a server serves its metrics (server.MetricsPath).
const Path = "/metrics"

// maxSeries bounds the label combinations of the exchange counter. Fault
// strings of protocol faults and rule IDs come from outside; past the
// bound, new combinations are counted under the label value "other".
const maxSeries = 1000

// Metrics is one server's registry.
type Metrics struct {
	reg       *prometheus.Registry
	exchanges *prometheus.CounterVec
	latency   *prometheus.HistogramVec

	// series maps each label combination seen to its children. Readers
	// load the map without a lock; a new combination (rare: they are
	// bounded by the operations, ErrorCodes and rules) copies it under mu.
	series atomic.Pointer[map[key]*series]
	mu     sync.Mutex
}

// key is a label combination of the exchange counter.
type key struct{ operation, errorCode, injected string }

// series are the resolved children of one label combination.
type series struct {
	exchanges prometheus.Counter
	latency   prometheus.Observer
}

// New makes a registry with the exchange metrics and the process and Go
// collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		exchanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wsusmock_exchanges_total",
			Help: "SOAP exchanges by operation, the WSUS ErrorCode (or SOAP faultstring) answered, empty for a normal reply, and the ID of the injected fault rule that shaped the reply, empty for none.",
		}, []string{"operation", "error_code", "injected"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wsusmock_exchange_duration_seconds",
			Help:    "Time from a SOAP request's arrival to its reply being decided, injected latency included, by operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
	}
	m.series.Store(&map[key]*series{})
	m.reg.MustRegister(m.exchanges, m.latency,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	return m
}

// JournalDropped registers the count of exchanges the journal dropped for
// lack of room (soapserver.Server.JournalDropped). The count restarts when
// the journal is cleared, which Prometheus reads as a counter reset.
func (m *Metrics) JournalDropped(f func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "wsusmock_journal_dropped_total",
		Help: "Exchanges the journal dropped for lack of room since it was last cleared.",
	}, func() float64 { return float64(f()) }))
}

// Observe counts one recorded exchange; it is soapserver.Config.Observe.
func (m *Metrics) Observe(e *soapserver.JournalEntry) {
	s := m.resolve(key{e.Operation, e.Fault, e.Injected})
	s.exchanges.Inc()
	s.latency.Observe(time.Duration(e.DurationMicros * int64(time.Microsecond)).Seconds())
}

// resolve returns the children of k, resolving them on its first use.
func (m *Metrics) resolve(k key) *series {
	if s, ok := (*m.series.Load())[k]; ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	known := *m.series.Load()
	if s, ok := known[k]; ok {
		return s
	}
	labels := k
	if len(known) >= maxSeries {
		labels = key{"other", "other", "other"}
	}
	s := &series{
		exchanges: m.exchanges.WithLabelValues(labels.operation, labels.errorCode, labels.injected),
		latency:   m.latency.WithLabelValues(labels.operation),
	}
	if labels == k {
		next := make(map[key]*series, len(known)+1)
		maps.Copy(next, known)
		next[k] = s
		m.series.Store(&next)
	}
	return s
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
