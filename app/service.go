package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/schedules"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Service is what serve runs in one process over one database: the HTTP
// server, the scheduler and the issuer over one store.
type Service struct {
	DB         string // the database's path, absolute
	Store      *store.Store
	Server     *server.Server
	Sched      *schedules.Scheduler
	Env        *schedules.Env
	Issuer     *issuing.Issuer
	Dispatcher *dispatch.Dispatcher
	Assess     metrics.AssessOptions // the configured assessment settings serve runs with
}

// New opens the configured database and puts the service together over
// it, the jobs scheduled but not started; now is its clock.
func New(ctx context.Context, cfg Config, now func() time.Time, log *slog.Logger) (*Service, error) {
	reports.CleanScratch() // what a killed render left behind
	o, err := cfg.AssessOptions()
	if err != nil {
		return nil, err
	}
	db, g, err := cfg.OpenIngest(ctx)
	if err != nil {
		return nil, err
	}
	g.Now, o.Now = now, now
	st := store.New(db, g, o)
	sc := cfg.Schedules.Beside(cfg.DB)
	env := &schedules.Env{Store: st, Now: now, Inbox: sc.Inbox, Archive: sc.Archive, Rejected: sc.Rejected, ReportsDir: sc.Reports,
		Mailer: &schedules.Mailer{Config: cfg.Mail, Store: st, Now: now}}
	sched := &schedules.Scheduler{Store: st, Now: now, Log: log}
	for _, j := range env.Jobs(sc.Specs) {
		if err := sched.Add(j); err != nil {
			db.Close()
			return nil, fmt.Errorf("config [schedules]: %w", err)
		}
	}
	issuer := cfg.Issuer(st, o, env)
	dispatcher, err := cfg.Dispatcher(st, o)
	if err != nil {
		db.Close()
		return nil, err
	}
	env.Dispatcher, env.Poster = dispatcher, &schedules.Poster{Config: cfg.Notify, Store: st, Now: now}
	env.ResumeNotices = issuer.ResumeNotices // each inbox run sends what is still owed
	so := cfg.Server.Options
	so.Log, so.Now, so.Collectors, so.Issuer, so.Dispatcher = log, now, []prometheus.Collector{sched.Collector()}, issuer, dispatcher
	so.SpoolDir = filepath.Join(filepath.Dir(cfg.DB), "spool")
	srv, err := server.New(st, so)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("spool folder: %w", err)
	}
	abs, _ := filepath.Abs(cfg.DB)
	return &Service{DB: abs, Store: st, Server: srv, Sched: sched, Env: env, Issuer: issuer, Dispatcher: dispatcher, Assess: o}, nil
}

// Serve runs the service on the configured address until ctx ends: the
// scheduler (unless [schedules] off), the admin socket, on which run
// answers the commands forwarded to it, and the HTTP server. It says on
// stdout where it serves.
func Serve(ctx context.Context, cfg Config, log *slog.Logger, run server.AdminRun, stdout io.Writer) error {
	// Listen before anything starts: a taken port or a bad address fails at
	// once, loudly, holding nothing.
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("无法在 %s 监听：%v（端口已被占用或地址有误；可用 --listen 或 [server] listen 指定）", cfg.Server.Listen, err)
	}
	defer ln.Close()
	if err := cfg.File().Folder(); err != nil {
		return err
	}
	admin, err := server.ListenAdmin(cfg.DB)
	if err != nil {
		return err
	}
	svc, err := New(ctx, cfg, time.Now, log)
	if err != nil {
		admin.Close()
		return err
	}
	defer svc.Store.Close()
	// Mail a crash left owed (a step committed, its recipients not all
	// reached) goes out now, beside the rest of the start.
	resumed := make(chan struct{})
	go func() {
		defer close(resumed)
		if n, err := svc.Issuer.ResumeNotices(ctx); err != nil || n > 0 {
			log.Info("owed issuing mail resumed", "notices", n, "err", err)
		}
	}()
	defer func() { <-resumed }()
	if !cfg.Schedules.Off {
		svc.Sched.Start(ctx)
		// Jobs end (or roll back) before the database closes.
		defer svc.Sched.Wait()
	}
	adminServer := &http.Server{Handler: server.AdminHandler(svc.Store, svc.DB, func(ctx context.Context, args []string, stdout, stderr io.Writer) (int, bool) {
		return run(context.WithValue(ctx, heldKey{}, svc), args, stdout, stderr)
	}), ReadHeaderTimeout: 10 * time.Second}
	go adminServer.Serve(admin)
	defer func() {
		adminServer.Close()
		os.Remove(server.AdminSocket(cfg.DB))
		os.Remove(filepath.Dir(server.AdminSocket(cfg.DB)))
	}()
	scheme := "http"
	if cfg.Server.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "flexemp 服务已启动：%s://%s\n", scheme, ln.Addr())
	return svc.Server.Serve(ctx, ln, cfg.Server.TLSCert, cfg.Server.TLSKey)
}

type heldKey struct{}

// Held is the serve process a command runs inside (through its admin
// socket), or nil.
func Held(ctx context.Context) *Service {
	svc, _ := ctx.Value(heldKey{}).(*Service)
	return svc
}

// WithHeld marks ctx as running inside svc.
func WithHeld(ctx context.Context, svc *Service) context.Context {
	return context.WithValue(ctx, heldKey{}, svc)
}

// pathFlags are the flags whose values are the operator's files, resolved
// on the operator's side: serve has its own working folder.
var pathFlags = map[string]bool{"out": true, "upload": true, "doc": true}

// Forward sends a command (args: its name, then its arguments) to the serve
// process holding its database, when one does, and relays its output; ok
// is false when none does (or help is asked) and the command runs here.
func Forward(ctx context.Context, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	if Held(ctx) != nil {
		return 0, false
	}
	var db, config string
	rest := make([]string, 0, len(args))
	for i := 1; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		flag := strings.HasPrefix(a, "-")
		switch {
		case flag && (name == "h" || name == "help"):
			return 0, false // help is printed here
		case !flag || !pathFlags[name] && name != "db" && name != "config":
			rest = append(rest, a)
			continue
		case !hasValue && i+1 >= len(args):
			return 0, false // the command reports the missing value
		case !hasValue:
			i++
			value = args[i]
		}
		switch name {
		case "db":
			db = value
		case "config":
			config = value
		default:
			if abs, err := filepath.Abs(value); err == nil {
				value = abs
			}
			rest = append(rest, "--"+name+"="+value)
		}
	}
	cfg, err := Load(config)
	if err != nil {
		return 0, false
	}
	if db != "" {
		cfg.DB = db
	}
	// The serve process is told the files by their full paths.
	sent := append([]string{args[0]}, rest...)
	if abs, err := filepath.Abs(cfg.DB); err == nil {
		sent = append(sent, "--db", abs)
	}
	if config != "" {
		if abs, err := filepath.Abs(config); err == nil {
			sent = append(sent, "--config", abs)
		}
	}
	var a server.AdminAnswer
	switch err := server.AskAdmin(ctx, cfg.DB, "/run", map[string][]string{"args": sent}, &a); {
	case errors.Is(err, server.ErrNoServe):
		return 0, false // no serve answers: the command opens the file itself
	case err != nil: // someone else's socket, or serve could not run it: neither it nor the file is used
		fmt.Fprintf(stderr, "flexemp %s：%s\n", args[0], flexemp.ErrorMessage(err))
		return 1, true
	}
	io.WriteString(stdout, a.Stdout)
	io.WriteString(stderr, a.Stderr)
	return a.Code, true
}

// Backup makes a consistent copy of the configured database in dir: by the
// serve process when one holds it, else directly.
func Backup(ctx context.Context, cfg Config, dir string) (*store.BackupInfo, error) {
	info := &store.BackupInfo{}
	err := server.AskAdmin(ctx, cfg.DB, "/backup", map[string]string{"out": dir}, info)
	if !errors.Is(err, server.ErrNoServe) {
		return info, err
	}
	db, err := cfg.OpenExisting(ctx)
	if err != nil {
		return nil, err
	}
	st := store.New(db, nil, metrics.AssessOptions{})
	defer st.Close()
	return st.Backup(ctx, dir)
}
