// Package server is flexemp's HTTP side: city uploads, reviewer pages and
// the JSON API over the store, in the process that owns the database. Every
// write goes through the store's one lock.
package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

// Options are the server's settings, as [server] in flexemp.toml; zero
// values take the defaults.
type Options struct {
	UploadLimitMiB int64 `toml:"upload_limit_mib"` // largest uploaded file; default 100
	SessionHours   int   `toml:"session_hours"`    // how long a page login lasts; default 12
	// Timeouts of a connection, sized for 100 MiB over a slow link (about
	// 60 KB/s): reading a request whole, writing its answer, and an idle
	// keep-alive. Default 30 minutes, 30 minutes and 2 minutes; "90s",
	// "45m" in flexemp.toml.
	ReadTimeout  time.Duration `toml:"read_timeout"`
	WriteTimeout time.Duration `toml:"write_timeout"`
	IdleTimeout  time.Duration `toml:"idle_timeout"`
	// SpoolDir is where uploads are spooled before they are ingested: a
	// folder the server owns (mode 0700), beside the database; serve sets
	// <db dir>/spool. Files a killed process left there are removed at
	// start: they are whole raw files, IDs and all.
	SpoolDir string `toml:"-"`
	// MaxConnections caps the connections served at once (default 64): a
	// client that sends a byte a second holds one for the read timeout, and
	// no more than this many can.
	MaxConnections int `toml:"max_connections"`
	// SpoolMiBPerCity caps what one city's uploads in flight may spool at
	// once (default twice the upload limit), so no city's slow or stalled
	// uploads fill the spool folder for the others.
	SpoolMiBPerCity int64            `toml:"spool_mib_per_city"`
	Now             func() time.Time `toml:"-"`
	Log             *slog.Logger     `toml:"-"`
	// Collectors are other counters /metrics shows, e.g. the scheduler's.
	Collectors []prometheus.Collector `toml:"-"`
	// Issuer issues the store's rankings; default one with SPEC's window
	// and no mail.
	Issuer *issuing.Issuer `toml:"-"`
	// Dispatcher counts the year's dispatch; default one over the store
	// with the embedded (empty) targets.
	Dispatcher *dispatch.Dispatcher `toml:"-"`
}

func (o Options) uploadLimit() int64 { return o.UploadLimitMiB << 20 }

func (o Options) sessionTTL() time.Duration { return time.Duration(o.SessionHours) * time.Hour }

// Server serves one database.
type Server struct {
	store *store.Store
	db    *sql.DB // the store's, for reads
	opt   Options
	log   *slog.Logger

	failedMu   sync.Mutex
	failed     map[string][]time.Time // failed logins by address, the last ten minutes'
	checking   map[string]int         // logins by address whose token is being checked now
	spoolMu    sync.Mutex
	spooled    map[string]int64 // bytes each city's uploads in flight have spooled
	sessionsMu sync.Mutex
	sessions   map[string]*session

	metrics *serverMetrics
	handler http.Handler
}

// New makes a server over a store, with its spool folder ready.
func New(st *store.Store, o Options) (*Server, error) {
	if o.UploadLimitMiB == 0 {
		o.UploadLimitMiB = 100
	}
	if o.SessionHours == 0 {
		o.SessionHours = 12
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = 64
	}
	if o.SpoolMiBPerCity == 0 {
		o.SpoolMiBPerCity = 2 * o.UploadLimitMiB
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 30 * time.Minute
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 30 * time.Minute
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 2 * time.Minute
	}

	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Issuer == nil {
		o.Issuer = &issuing.Issuer{Store: st}
	}
	if o.Dispatcher == nil {
		o.Dispatcher = &dispatch.Dispatcher{Store: st, Reference: flexemp.DefaultReference(), Now: o.Now}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	s := &Server{store: st, db: st.DB(), opt: o, log: o.Log, sessions: map[string]*session{}, spooled: map[string]int64{}, failed: map[string][]time.Time{},
		checking: map[string]int{},
		metrics:  newMetrics(append(st.Collectors(), o.Collectors...)...)}
	s.handler = s.routes()
	return s, s.cleanSpool()
}

// spoolPattern names spooled uploads.
const spoolPattern = "flexemp-upload-*"

// cleanSpool makes the spool folder private and removes the uploads a
// killed process left in it, saying how many.
func (s *Server) cleanSpool() error {
	if s.opt.SpoolDir == "" {
		return errors.New("server: no spool folder")
	}
	if err := os.MkdirAll(s.opt.SpoolDir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(s.opt.SpoolDir, 0o700); err != nil {
		return err
	}
	left, err := filepath.Glob(filepath.Join(s.opt.SpoolDir, spoolPattern))
	if err != nil {
		return err
	}
	for _, f := range left {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	if len(left) > 0 {
		s.log.Warn("removed uploads left in the spool folder by an earlier process", "count", len(left), "dir", s.opt.SpoolDir)
	}
	return nil
}

// Limit caps the connections taken from ln at the configured number: the
// others wait in the kernel's queue until one ends.
func (s *Server) Limit(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, s.opt.MaxConnections)
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer is an http.Server of the handler with the configured timeouts:
// a client that stalls cannot hold a connection, and a goroutine, for ever.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Handler: s.handler, ReadHeaderTimeout: min(10*time.Second, s.opt.ReadTimeout),
		ReadTimeout: s.opt.ReadTimeout, WriteTimeout: s.opt.WriteTimeout, IdleTimeout: s.opt.IdleTimeout}
}

// Serve serves on ln (HTTPS with a certificate and key, else HTTP), at
// most MaxConnections at once, until ctx ends; then it stops accepting and
// lets requests in flight finish (an upload commits or rolls back whole)
// for up to two minutes.
func (s *Server) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	hs := s.HTTPServer()
	ln = s.Limit(ln)
	served := make(chan error, 1)
	go func() {
		if certFile != "" {
			served <- hs.ServeTLS(ln, certFile, keyFile)
		} else {
			served <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.observe(pattern, h)) }

	handle("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))

	// API: Authorization: Bearer TOKEN; every route declared once, for the
	// mux and the OpenAPI document (apiRoutes).
	for _, rt := range apiRoutes {
		handle(rt.method+" "+rt.path, rt.handler(s))
	}

	// Pages: a session cookie after logging in with the token once.
	handle("GET /login", s.loginPage)
	handle("GET /help", s.helpPage)
	handle("GET /api/docs", s.apiDocs)
	handle("GET /assets/echarts-5.6.0.min.js", echartsAsset)
	handle("POST /login", s.login)
	handle("POST /logout", s.page(s.logout))
	handle("GET /{$}", s.page(s.home))
	handle("POST /upload", s.page(s.uploadForm, true))
	handle("GET /uploads", s.page(s.uploadsPage))
	handle("GET /uploads/{id}/rejects.xlsx", s.page(s.rejectsDownload))
	handle("GET /refusals/{id}/rejects.xlsx", s.page(s.rejectsDownload))
	handle("GET /uploads/{id}/rows", s.page(s.rowsPage))
	handle("GET /templates/{file}", s.page(s.templateDownload))
	handle("GET /integrity", s.page(s.integrityPage))
	handle("GET /review", s.page(s.reviewPage))
	handle("GET /reports/{period}", s.page(s.reportPage))
	handle("GET /status", s.page(s.statusPage))
	handle("GET /audit", s.page(s.auditPage))
	handle("POST /assess", s.page(s.assessForm))
	handle("POST /publish", s.page(s.pageStep(s.publish)))
	handle("POST /withdraw", s.page(s.pageStep(s.withdraw)))
	handle("POST /finalise", s.page(s.pageStep(s.finalise)))
	handle("GET /objections", s.page(s.objectionsPage))
	handle("POST /objections", s.page(s.objectForm, true))
	handle("POST /objections/{id}/decision", s.page(s.decideForm))
	handle("GET /objections/{id}/documents/{n}", s.page(s.documentDownload))
	handle("GET /objections/{id}/preview", s.page(s.previewPage))
	handle("GET /issued/{id}/{stage}/{name}", s.page(s.issuedDownload))
	handle("GET /scorecard/{period}/{file}", s.page(s.scorecardDownload))
	handle("GET /dispatch", s.page(s.dispatchPage))
	handle("GET /dispatch/bulletin", s.page(s.bulletinPage))
	handle("GET /bulletins/{id}/{file}", s.page(s.bulletinDownload))
	handle("/", s.notFound)
	// A browser's cross-origin form post is refused before anything else
	// (Sec-Fetch-Site and Origin); API clients send neither and pass.
	return http.NewCrossOriginProtection().Handler(mux)
}

// echartsAsset serves the ECharts library the city page's charts draw
// with: the same file the reports inline, cached for good (its name
// carries its version).
func echartsAsset(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, reports.EChartsJS())
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.db.PingContext(r.Context()); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type principalKey struct{}

// observe times every request by route and logs it without credentials.
func (s *Server) observe(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var who string
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		// Until a token or session names who it is, a request is anonymous
		// (a failed login is not the operator running serve).
		actor := &store.Actor{Remote: host, ID: "anonymous", Role: "anonymous"}
		r = r.WithContext(store.WithActor(context.WithValue(r.Context(), principalKey{}, &who), actor))
		h(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		took := time.Since(start)
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Observe(took.Seconds())
		level := slog.LevelInfo
		if sw.status >= 400 {
			level = slog.LevelWarn
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "route", route, "status", sw.status,
			"took_ms", took.Milliseconds(), "who", who, "remote", r.RemoteAddr)
	})
}

// noteWho records the principal for the request log.
func noteWho(r *http.Request, p flexemp.Principal) {
	if who, ok := r.Context().Value(principalKey{}).(*string); ok {
		*who = p.Label()
	}
	if a := store.ActorIn(r.Context()); a != nil {
		*a = actorFor(p, *a)
	}
}

// actorFor is the audit trail's actor for a principal: its token and name.
func actorFor(p flexemp.Principal, a store.Actor) store.Actor {
	a.ID, a.Role, a.City = fmt.Sprintf("token:%d %s", p.TokenID, p.Label()), p.Role, p.City
	return a
}

// apiError is every API refusal: a machine code and a Chinese message.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeJSON writes an answer as the API's conventions say (SPEC "API
// contract → Conventions"): every list and map it holds is [] or {} when
// empty, never null, and every instant is in Asia/Shanghai (+08:00). The
// caller's value is copied, never changed.
func writeJSON(w http.ResponseWriter, status int, v any) {
	encodeJSON(w, status, conventional(v))
}

// encodeJSON writes v as it is.
func encodeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeAPIError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{Code: code, Message: message})
}

// statusByCode is the HTTP status of each application error code.
var statusByCode = map[string]int{
	flexemp.EINVALID:      http.StatusUnprocessableEntity,
	flexemp.ENOTFOUND:     http.StatusNotFound,
	flexemp.EUNAUTHORIZED: http.StatusUnauthorized,
	flexemp.EFORBIDDEN:    http.StatusForbidden,
	flexemp.ECONFLICT:     http.StatusConflict,
	flexemp.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	flexemp.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
}

// statusOf maps an application error to its HTTP status; any other error is
// a 500.
func statusOf(err error) int {
	if status, ok := statusByCode[flexemp.ErrorCode(err)]; ok {
		return status
	}
	return http.StatusInternalServerError
}

func randomID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}
