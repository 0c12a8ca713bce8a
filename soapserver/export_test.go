package soapserver

// BenchSyncUpdatesFault is BenchmarkSyncUpdatesFault with a Config of the
// caller's, for benchmarks of packages that import this one (metrics).
var BenchSyncUpdatesFault = benchSyncUpdatesFault
