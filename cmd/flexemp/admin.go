package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
)

// viaServe are the commands that, while a serve process holds the
// database, run inside it through its admin socket instead of failing on
// DuckDB's file lock: adding a city's token needs no downtime. They write
// no files on the operator's side, so where they run makes no difference.
var viaServe = map[string]bool{"token": true, "jobs": true, "rank": true, "run-job": true, "uploads": true,
	"assess": true, "report": true, "explain": true, "integrity": true, "publish": true, "withdraw": true, "object": true, "objections": true, "decide": true, "finalise": true, "verify": true}

// runInServe is run, set at init: the command table refers to serve, which
// refers back to it.
var runInServe func(ctx context.Context, args []string, stdout, stderr io.Writer) int

func init() { runInServe = run }

type heldKey struct{}

// withHeld marks ctx as running inside the serve process that holds svc's
// database: the commands use its store rather than opening the file.
func withHeld(ctx context.Context, svc *service) context.Context {
	return context.WithValue(ctx, heldKey{}, svc)
}

func heldService(ctx context.Context) *service {
	svc, _ := ctx.Value(heldKey{}).(*service)
	return svc
}

// release closes a database a command opened, and leaves the serve
// process's own alone.
func release(ctx context.Context, db *sql.DB) {
	if svc := heldService(ctx); svc != nil && svc.store.DB() == db {
		return
	}
	db.Close()
}

// adminRequest is a command sent to the serve process, and its answer.
type adminRequest struct {
	Args []string `json:"args"`
}

type adminAnswer struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Code   int    `json:"code"`
}

// adminRun runs a command sent through the admin socket inside the serve
// process, on its store; only the viaServe commands are taken.
func adminRun(svc *service) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req adminRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Args) == 0 || !viaServe[req.Args[0]] {
			http.Error(w, "不支持经由服务运行的命令", http.StatusBadRequest)
			return
		}
		// A --db names the database the command is for: serve runs only
		// commands for its own.
		for i, a := range req.Args {
			if (a == "--db" || a == "-db") && i+1 < len(req.Args) && filepath.Clean(req.Args[i+1]) != svc.db {
				json.NewEncoder(w).Encode(adminAnswer{Stderr: fmt.Sprintf("此服务使用的数据库是 %s，不是 %s，拒绝执行\n", svc.db, req.Args[i+1]), Code: 1})
				return
			}
		}
		var out, errs bytes.Buffer
		ctx := store.WithActor(r.Context(), &store.Actor{}) // the operator at the command line, through the socket
		code := runInServe(withHeld(ctx, svc), req.Args, &out, &errs)
		var runErr error
		if code != 0 {
			runErr = flexemp.Errorf("exit_"+strconv.Itoa(code), "admin command failed")
		}
		svc.store.Audit(ctx, "admin."+strings.Join(req.Args[:min(2, len(req.Args))], " "), "", runErr)
		json.NewEncoder(w).Encode(adminAnswer{Stdout: out.String(), Stderr: errs.String(), Code: code})
	}
}

// forward sends the command to the serve process holding its database,
// when one does; ok is false when none does and the command runs here.
func forward(ctx context.Context, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	if heldService(ctx) != nil {
		return 0, false
	}
	var d dbFlags
	rest := make([]string, 0, len(args))
	for i := 1; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "out" || name == "upload" || name == "doc") {
			// A path is the operator's, resolved here: serve has its own
			// working folder.
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			if abs, err := filepath.Abs(value); err == nil {
				value = abs
			}
			rest = append(rest, "--"+name+"="+value)
			continue
		}
		if !strings.HasPrefix(a, "-") || (name != "db" && name != "config") {
			if name == "h" || name == "help" {
				return 0, false // help is printed here
			}
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return 0, false // the command reports the missing value
			}
			i++
			value = args[i]
		}
		if name == "db" {
			d.db = value
		} else {
			d.config = value
		}
	}
	cfg, err := d.load()
	if err != nil {
		return 0, false
	}
	sock := server.AdminSocket(cfg.DB)
	if c, err := server.DialAdmin(ctx, sock); err != nil {
		if flexemp.ErrorCode(err) == flexemp.EFORBIDDEN {
			fmt.Fprintf(stderr, "flexemp %s：%s\n", args[0], flexemp.ErrorMessage(err))
			return 1, true // someone else's socket: neither it nor the file is used
		}
		return 0, false // no serve answers: the command opens the file itself
	} else {
		c.Close()
	}
	client := server.AdminClient(sock)
	// The serve process has its own working folder: it is told the files
	// by their full paths.
	sent := append([]string{args[0]}, rest...)
	if db, err := filepath.Abs(cfg.DB); err == nil {
		sent = append(sent, "--db", db)
	}
	if d.config != "" {
		if c, err := filepath.Abs(d.config); err == nil {
			sent = append(sent, "--config", c)
		}
	}
	body, _ := json.Marshal(adminRequest{Args: sent})
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://flexemp/run", bytes.NewReader(body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, false // no serve answers: the command opens the file itself
	}
	defer resp.Body.Close()
	var a adminAnswer
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&a) != nil {
		fmt.Fprintf(stderr, "flexemp %s：数据库由 flexemp serve 占用，经由服务运行失败（HTTP %d）\n", args[0], resp.StatusCode)
		return 1, true
	}
	io.WriteString(stdout, a.Stdout)
	io.WriteString(stderr, a.Stderr)
	return a.Code, true
}

// adminHandler answers on the admin socket: the backup, and the viaServe
// commands.
func adminHandler(svc *service) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", server.AdminHandler(svc.store))
	mux.Handle("POST /run", adminRun(svc))
	return mux
}
