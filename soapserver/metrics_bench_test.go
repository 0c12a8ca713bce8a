package soapserver_test

import (
	"testing"

	"github.com/wsusmock/wsusmock/metrics"
	"github.com/wsusmock/wsusmock/soapserver"
)

// BenchmarkSyncUpdatesFaultMetrics is BenchmarkSyncUpdatesFault with the
// Prometheus metrics of "wsusmock serve" observing every exchange: the two
// figures side by side show what the metrics cost the hot path.
func BenchmarkSyncUpdatesFaultMetrics(b *testing.B) {
	soapserver.BenchSyncUpdatesFault(b, soapserver.Config{Observe: metrics.New().Observe})
}
