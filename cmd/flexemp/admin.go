package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/server"
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

// adminHandler answers on the admin socket: the backup, and the viaServe
// commands, run on svc's store.
func adminHandler(svc *service) http.Handler {
	return server.AdminHandler(svc.store, svc.db, func(ctx context.Context, args []string, stdout, stderr io.Writer) (int, bool) {
		if !viaServe[args[0]] {
			return 0, false
		}
		return runInServe(withHeld(ctx, svc), args, stdout, stderr), true
	})
}
