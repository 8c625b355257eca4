package server

import "github.com/prometheus/client_golang/prometheus"

// serverMetrics are what /metrics shows.
type serverMetrics struct {
	registry *prometheus.Registry
	uploads  *prometheus.CounterVec   // by status: accepted, unchanged, refused
	rows     *prometheus.CounterVec   // by result: accepted, rejected
	jobs     *prometheus.CounterVec   // by job and outcome, for the scheduler
	requests *prometheus.HistogramVec // by route and status
}

func newMetrics() *serverMetrics {
	m := &serverMetrics{
		registry: prometheus.NewRegistry(),
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flexemp_uploads_total",
			Help: "Uploaded files by outcome."}, []string{"status"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flexemp_rows_total",
			Help: "Rows of uploaded files, accepted or rejected."}, []string{"result"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flexemp_job_runs_total",
			Help: "Scheduled job runs by job and outcome."}, []string{"job", "outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "flexemp_http_request_duration_seconds",
			Help: "HTTP request latency by route and status.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)},
			[]string{"route", "status"}),
	}
	m.registry.MustRegister(m.uploads, m.rows, m.jobs, m.requests,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// JobRun counts one run of a scheduled job.
func (s *Server) JobRun(job, outcome string) { s.metrics.jobs.WithLabelValues(job, outcome).Inc() }
