package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/schedules"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/prometheus/client_golang/prometheus"
)

// service is what `serve` runs in one process over one database: the HTTP
// server and the scheduler over one store.
type service struct {
	db     string // the database's path, absolute
	store  *store.Store
	server *server.Server
	sched  *schedules.Scheduler
	env    *schedules.Env
	issuer *issuing.Issuer
	assess metrics.AssessOptions // the configured assessment settings serve runs with
}

func newService(ctx context.Context, cfg Config, now func() time.Time, log *slog.Logger) (*service, error) {
	o, err := cfg.assessOptions()
	if err != nil {
		return nil, err
	}
	db, g, err := cfg.openIngest(ctx)
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
	issuer := cfg.issuer(st, o, env)
	so := cfg.Server.Options
	so.Log, so.Now, so.Collectors, so.Issuer = log, now, []prometheus.Collector{sched.Collector()}, issuer
	so.SpoolDir = filepath.Join(filepath.Dir(cfg.DB), "spool")
	srv, err := server.New(st, so)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("spool folder: %w", err)
	}
	abs, _ := filepath.Abs(cfg.DB)
	return &service{db: abs, store: st, server: srv, sched: sched, env: env, issuer: issuer, assess: o}, nil
}

func runJobs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("jobs", stderr)
	var d dbFlags
	d.register(fs)
	limit := fs.Int("limit", 50, "列出最近多少次运行（0 为全部）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	runs, err := schedules.Runs(ctx, db, *limit)
	if err != nil {
		return err
	}
	return schedules.WriteRuns(stdout, runs)
}

func runRunJob(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run-job", stderr)
	var d dbFlags
	d.register(fs)
	period := fs.String("period", "", "report 任务：要报告的考核期，如 2025 或 2025Q3（默认上月所在年度）")
	resend := fs.Bool("resend", false, "report 任务：即使已发送过，也作为新一批邮件重新发送")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "用法：flexemp run-job 任务名 [参数]\n任务：%s\n参数：\n", strings.Join(schedules.JobNames, "、"))
		printFlags(fs, stderr)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("用法：run-job 任务名（%s）", strings.Join(schedules.JobNames, "、"))
	}
	p, err := optionalPeriod(*period)
	if err != nil {
		return err
	}
	svc := heldService(ctx) // inside serve: its scheduler, so the run is recorded once and never overlaps
	if svc == nil {
		cfg, err := d.load()
		if err != nil {
			return err
		}
		if svc, err = newService(ctx, cfg, time.Now, slog.New(slog.NewTextHandler(stderr, nil))); err != nil {
			return err
		}
		defer svc.store.Close()
	}
	name := fs.Arg(0)
	svc.env.ReportPeriod, svc.env.Resend = p, *resend
	defer func() { svc.env.ReportPeriod, svc.env.Resend = nil, false }()
	r, err := svc.sched.Trigger(name)
	switch {
	case flexemp.ErrorCode(err) == flexemp.ENOTFOUND:
		return usagef("%s", flexemp.ErrorMessage(err))
	case err != nil:
		return err
	case r == nil:
		return fmt.Errorf("任务 %s 未留下运行记录", name)
	}
	fmt.Fprintf(stdout, "%s（运行 %d）：%s。%s\n", r.Job, r.ID, schedules.OutcomeText(r.Outcome), r.Note())
	if r.Outcome == schedules.Failed || r.Outcome == schedules.Skipped && r.Error == schedules.StillRunning {
		return exitError(1)
	}
	return nil
}
