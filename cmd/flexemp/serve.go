package main

import (
	"context"
	"errors"
	"fmt"
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
	listen := fs.String("listen", "", "address to listen on (overrides the config; default 127.0.0.1:8080)")
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
	admin, err := listenAdmin(cfg.DB)
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
	adminServer := &http.Server{Handler: server.AdminHandler(svc.store), ReadHeaderTimeout: 10 * time.Second}
	go adminServer.Serve(admin)
	defer func() {
		adminServer.Close()
		os.Remove(server.AdminSocket(cfg.DB))
	}()
	hs := svc.server.HTTPServer()
	scheme := "http"
	if cfg.Server.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "flexemp 服务已启动：%s://%s\n", scheme, ln.Addr())
	served := make(chan error, 1)
	go func() {
		if scheme == "https" {
			served <- hs.ServeTLS(ln, cfg.Server.TLSCert, cfg.Server.TLSKey)
		} else {
			served <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Graceful: stop accepting, let in-flight uploads finish (each commits or
	// rolls back as a whole), then close the database.
	log.Info("shutting down")
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

// listenAdmin listens on the database's admin socket, mode 0600. A socket
// file no process answers on is an earlier, killed serve's, and is replaced;
// one that answers means another serve holds the database.
func listenAdmin(db string) (net.Listener, error) {
	sock := server.AdminSocket(db)
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close()
		return nil, fmt.Errorf("另一个 flexemp serve 正在使用数据库 %s", db)
	}
	os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "revoke") {
		return usagef("用法：token add|revoke|list --db DB (--city 代码或名称 | --reviewer 姓名)")
	}
	fs := newFlags("token "+args[0], stderr)
	var d dbFlags
	d.register(fs)
	city := fs.String("city", "", "city code or name")
	reviewer := fs.String("reviewer", "", "the reviewer the token is for")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if (*city == "") == (*reviewer == "") {
		return usagef("--city 与 --reviewer 二者给且只给一个")
	}
	code := ""
	if *city != "" {
		c, err := cityFlag(*city)
		if err != nil {
			return err
		}
		code = c.Code
	}
	cfg, err := d.load()
	if err != nil {
		return err
	}
	db, err := cfg.open(ctx) // the first token may come before the first upload
	if err != nil {
		return err
	}
	st := store.New(db, nil, metrics.AssessOptions{})
	defer st.Close()
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
