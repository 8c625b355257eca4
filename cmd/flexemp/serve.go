package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/app"
	"github.com/liaoning-hrss/flexemp/internal/cli"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/schedules"
)

func runServe(c *call) error {
	c.dbFlags()
	listen := c.flags.String("listen", "", "监听地址（优先于配置；默认 127.0.0.1:8080）")
	if err := c.parse(); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Server.Listen = *listen
	}
	return app.Serve(c.ctx, cfg, slog.New(slog.NewTextHandler(c.stderr, nil)), runInServe, c.stdout)
}

func runToken(c *call) error {
	c.flags.Synopsis = "用法：flexemp token add|revoke (--city 代码或名称 | --reviewer 姓名)；flexemp token list"
	sub := ""
	if len(c.args) > 0 && !strings.HasPrefix(c.args[0], "-") {
		sub, c.args, c.name = c.args[0], c.args[1:], "token "+c.args[0]
	}
	c.dbFlags()
	city := c.flags.City("城市代码或名称（add、revoke）", false)
	reviewer := c.flags.String("reviewer", "", "令牌所属的审核人员（add、revoke）")
	if err := c.parse(); err != nil {
		return err
	}
	if sub != "add" && sub != "revoke" && sub != "list" {
		return cli.UsageError{Msg: c.flags.Synopsis}
	}
	if sub != "list" && (city.Code == "") == (*reviewer == "") {
		return cli.Usagef("--city 与 --reviewer 二者给且只给一个")
	}
	st, err := c.store(sub == "add")
	if err != nil {
		return err
	}
	switch sub {
	case "list": // who each is for, when made and revoked; never a token, which is not kept
		ts, err := st.ListTokens(c.ctx)
		if err != nil {
			return err
		}
		return reports.WriteTokens(c.stdout, ts)
	case "add":
		token, err := st.AddToken(c.ctx, city.Code, *reviewer, time.Now())
		if err == nil { // the token alone on stdout: it is never shown again
			fmt.Fprintln(c.stdout, token)
		}
		return err
	}
	n, err := st.RevokeTokens(c.ctx, city.Code, *reviewer, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "已吊销 %d 个令牌\n", n)
	if n == 0 {
		return exitError(1)
	}
	return nil
}

func runJobs(c *call) error {
	c.dbFlags()
	limit := c.flags.Int("limit", 50, "列出最近多少次运行（0 为全部）")
	if err := c.parse(); err != nil {
		return err
	}
	db, err := c.open()
	if err != nil {
		return err
	}
	runs, err := schedules.Runs(c.ctx, db, *limit)
	if err != nil {
		return err
	}
	return schedules.WriteRuns(c.stdout, runs)
}

func runRunJob(c *call) error {
	c.flags.Synopsis = "用法：flexemp run-job 任务名 [参数]\n任务：" + strings.Join(schedules.JobNames, "、")
	c.dbFlags()
	period := c.flags.OptionalPeriod("report 任务：要报告的考核期，如 2025 或 2025Q3（默认上月所在年度）")
	resend := c.flags.Bool("resend", false, "report 任务：即使已发送过，也作为新一批邮件重新发送")
	if err := c.parse(); err != nil {
		return err
	}
	if c.flags.NArg() != 1 {
		return cli.Usagef("用法：run-job 任务名（%s）", strings.Join(schedules.JobNames, "、"))
	}
	p := period()
	svc := app.Held(c.ctx) // inside serve: its scheduler, so the run is recorded once and never overlaps
	if svc == nil {
		cfg, err := c.load()
		if err != nil {
			return err
		}
		if svc, err = app.New(c.ctx, cfg, time.Now, slog.New(slog.NewTextHandler(c.stderr, nil))); err != nil {
			return err
		}
		defer svc.Store.Close()
	}
	name := c.flags.Arg(0)
	svc.Env.ReportPeriod, svc.Env.Resend = p, *resend
	defer func() { svc.Env.ReportPeriod, svc.Env.Resend = nil, false }()
	r, err := svc.Sched.Trigger(name)
	switch {
	case flexemp.ErrorCode(err) == flexemp.ENOTFOUND:
		return cli.Usagef("%s", flexemp.ErrorMessage(err))
	case err != nil:
		return err
	case r == nil:
		return fmt.Errorf("任务 %s 未留下运行记录", name)
	}
	fmt.Fprintf(c.stdout, "%s（运行 %d）：%s。%s\n", r.Job, r.ID, schedules.OutcomeText(r.Outcome), r.Note())
	if r.Outcome == schedules.Failed || r.Outcome == schedules.Skipped && r.Error == schedules.StillRunning {
		return exitError(1)
	}
	return nil
}
