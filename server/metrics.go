package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// serverMetrics are what /metrics shows.
type serverMetrics struct {
	registry *prometheus.Registry
	requests *prometheus.HistogramVec // by route and status
}

func newMetrics(others ...prometheus.Collector) *serverMetrics {
	m := &serverMetrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "flexemp_http_request_duration_seconds",
			Help: "HTTP request latency by route and status.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)},
			[]string{"route", "status"}),
	}
	m.registry.MustRegister(append(others, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))...)
	return m
}
