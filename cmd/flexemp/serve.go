package main

import (
	"context"
	"fmt"
	"github.com/liaoning-hrss/flexemp/reports"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	var d dbFlags
	d.register(fs)
	listen := fs.String("listen", "", "监听地址（优先于配置；默认 127.0.0.1:8080）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := d.load()
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Server.Listen = *listen
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	// Listen before anything starts: a taken port or a bad address fails at
	// once, loudly, holding nothing.
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("无法在 %s 监听：%v（端口已被占用或地址有误；可用 --listen 或 [server] listen 指定）", cfg.Server.Listen, err)
	}
	defer ln.Close()
	if err := cfg.file().Folder(); err != nil {
		return err
	}
	admin, err := server.ListenAdmin(cfg.DB)
	if err != nil {
		return err
	}
	svc, err := newService(ctx, cfg, time.Now, log)
	if err != nil {
		admin.Close()
		return err
	}
	defer svc.store.Close()
	if !cfg.Schedules.Off {
		svc.sched.Start(ctx)
		// Jobs end (or roll back) before the database closes.
		defer svc.sched.Wait()
	}
	adminServer := &http.Server{Handler: adminHandler(svc), ReadHeaderTimeout: 10 * time.Second}
	go adminServer.Serve(admin)
	defer func() {
		adminServer.Close()
		os.Remove(server.AdminSocket(cfg.DB))
	}()
	scheme := "http"
	if cfg.Server.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "flexemp 服务已启动：%s://%s\n", scheme, ln.Addr())
	return svc.server.Serve(ctx, ln, cfg.Server.TLSCert, cfg.Server.TLSKey)
}

const tokenUsage = "用法：token add|revoke --db DB (--city 代码或名称 | --reviewer 姓名)；token list --db DB"

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, tokenUsage)
		return nil
	}
	if len(args) == 0 || (args[0] != "add" && args[0] != "revoke" && args[0] != "list") {
		return usagef(tokenUsage)
	}
	if args[0] == "list" {
		return runTokenList(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("token "+args[0], stderr)
	var d dbFlags
	d.register(fs)
	city := fs.String("city", "", "城市代码或名称")
	reviewer := fs.String("reviewer", "", "令牌所属的审核人员")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if (*city == "") == (*reviewer == "") {
		return usagef("--city 与 --reviewer 二者给且只给一个")
	}
	code, err := optionalCity(*city)
	if err != nil {
		return err
	}
	st, done, err := d.tokenStore(ctx, true)
	if err != nil {
		return err
	}
	defer done()
	if args[0] == "add" {
		token, err := st.AddToken(ctx, code, *reviewer, time.Now())
		if err != nil {
			return err
		}
		// The token alone on stdout: it is never shown again.
		fmt.Fprintln(stdout, token)
		return nil
	}
	n, err := st.RevokeTokens(ctx, code, *reviewer, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "已吊销 %d 个令牌\n", n)
	if n == 0 {
		return exitError(1)
	}
	return nil
}

// tokenStore is the store tokens go through: the serve process's when the
// command runs inside it, else one over the configured database, made if
// need be when create is set (the first token may come before the first
// upload).
func (d *dbFlags) tokenStore(ctx context.Context, create bool) (*store.Store, func(), error) {
	if svc := heldService(ctx); svc != nil {
		return svc.store, func() {}, nil
	}
	cfg, err := d.load()
	if err != nil {
		return nil, nil, err
	}
	open := cfg.openExisting
	if create {
		open = cfg.open
	}
	db, err := open(ctx)
	if err != nil {
		return nil, nil, err
	}
	st := store.New(db, nil, metrics.AssessOptions{})
	return st, func() { st.Close() }, nil
}

// runTokenList lists the tokens: who each is for, when made and revoked;
// never a token, which is not kept.
func runTokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token list", stderr)
	var d dbFlags
	d.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, done, err := d.tokenStore(ctx, false)
	if err != nil {
		return err
	}
	defer done()
	ts, err := st.ListTokens(ctx)
	if err != nil {
		return err
	}
	return reports.WriteTokens(stdout, ts)
}
