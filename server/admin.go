package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/peercred"
	"github.com/liaoning-hrss/flexemp/store"
)

// AdminSocket is the local socket beside a database through which commands
// reach the serve process that holds it: in a folder of its own
// (DB.admin/, 0700) that only the operator can write, the socket itself
// 0600, so no other user can bind it first even where the database's folder
// lets others write.
func AdminSocket(dbPath string) string { return filepath.Join(dbPath+".admin", "sock") }

// DialAdmin connects to the admin socket and makes sure the process
// answering is this user's (or root's): in a folder others can write,
// another user could have bound the socket first, and would receive every
// argument and answer with anything.
func DialAdmin(ctx context.Context, sock string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, err
	}
	if err := peercred.Trusted(c); err != nil {
		c.Close()
		return nil, flexemp.Errorf(flexemp.EFORBIDDEN, "管理套接字 %s 不可信：%v", sock, err)
	}
	return c, nil
}

// AdminClient is an HTTP client over the admin socket, every connection
// checked by DialAdmin.
func AdminClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return DialAdmin(ctx, sock)
	}}}
}

// TrustedListener takes only connections from processes of this user (or
// root) on the admin socket, closing any other as it arrives.
func TrustedListener(ln net.Listener) net.Listener { return trusted{ln} }

type trusted struct{ net.Listener }

func (t trusted) Accept() (net.Conn, error) {
	for {
		c, err := t.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if peercred.Trusted(c) == nil {
			return c, nil
		}
		c.Close()
	}
}

// ListenAdmin listens on the database's admin socket, mode 0600, taking
// this user's processes only. A socket file no process answers on is an
// earlier, killed serve's, and is replaced; one that answers means another
// serve holds the database.
func ListenAdmin(db string) (net.Listener, error) {
	sock := AdminSocket(db)
	if err := privateFolder(filepath.Dir(sock)); err != nil {
		return nil, err
	}
	if c, err := net.Dial("unix", sock); err == nil {
		defer c.Close()
		if err := peercred.Trusted(c); err != nil {
			return nil, fmt.Errorf("数据库 %s 的管理接口 %s 被其他用户的进程占用（%v）：数据库所在目录不应允许其他用户写入", db, sock, err)
		}
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
	return TrustedListener(ln), nil
}

// privateFolder makes the admin socket's folder, 0700, or makes sure the
// one there is this user's and no one else's, saying the true reason when
// it is not.
func privateFolder(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("无法建立管理接口目录 %s：%v", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("管理接口目录 %s 不是目录：请移走该文件后再启动", dir)
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("管理接口目录 %s 属于其他用户（uid %d）：数据库所在目录允许其他用户写入，请把数据库放到只有本用户可写的目录", dir, st.Uid)
	case fi.Mode().Perm()&0o077 != 0:
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// AdminRun runs a command line inside the process that holds the
// database; ok is false for a command that may not run there.
type AdminRun func(ctx context.Context, args []string, stdout, stderr io.Writer) (code int, ok bool)

// AdminAnswer is what a command run through the admin socket printed and
// its exit code.
type AdminAnswer struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Code   int    `json:"code"`
}

// AdminHandler answers the operator's commands that must go through the
// process owning the database db: POST /backup {"out": DIR}, and POST /run
// {"args": [...]}, a command line run there (only for db itself), recorded
// in the audit trail.
func AdminHandler(st *store.Store, db string, run AdminRun) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /backup", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Out string `json:"out"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Out == "" {
			writeAPIError(w, http.StatusBadRequest, flexemp.EINVALID, "需要备份目录 out")
			return
		}
		info, err := st.Backup(r.Context(), req.Out)
		if err != nil {
			writeAPIError(w, statusOf(err), flexemp.ErrorCode(err), flexemp.ErrorMessage(err))
			return
		}
		writeJSON(w, http.StatusOK, info)
	})
	mux.HandleFunc("POST /run", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Args []string `json:"args"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Args) == 0 {
			http.Error(w, "不支持经由服务运行的命令", http.StatusBadRequest)
			return
		}
		// A --db names the database the command is for: serve runs only
		// commands for its own.
		for i, a := range req.Args {
			if (a == "--db" || a == "-db") && i+1 < len(req.Args) && filepath.Clean(req.Args[i+1]) != db {
				writeJSON(w, http.StatusOK, AdminAnswer{Stderr: fmt.Sprintf("此服务使用的数据库是 %s，不是 %s，拒绝执行\n", db, req.Args[i+1]), Code: 1})
				return
			}
		}
		var out, errs bytes.Buffer
		ctx := store.WithActor(r.Context(), &store.Actor{}) // the operator at the command line, through the socket
		code, ok := run(ctx, req.Args, &out, &errs)
		if !ok {
			http.Error(w, "不支持经由服务运行的命令", http.StatusBadRequest)
			return
		}
		var runErr error
		if code != 0 {
			runErr = flexemp.Errorf("exit_"+strconv.Itoa(code), "admin command failed")
		}
		// The command (and its subcommand) is the action; every argument
		// after it is the object, IDs masked: "admin.finalise --period 2025".
		action, rest := req.Args[0], req.Args[1:]
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			action, rest = action+" "+rest[0], rest[1:]
		}
		st.Audit(ctx, "admin."+action, flexemp.MaskIDs(strings.Join(rest, " ")), runErr)
		writeJSON(w, http.StatusOK, AdminAnswer{Stdout: out.String(), Stderr: errs.String(), Code: code})
	})
	return mux
}

// ErrNoServe is AskAdmin's error when no process answers on the database's
// admin socket: the command opens the file itself.
var ErrNoServe = errors.New("no serve process holds the database")

// AskAdmin posts req to path on the admin socket of the database db and
// decodes the answer into answer: ErrNoServe when nothing answers, an
// EFORBIDDEN error when another user's process holds the socket.
func AskAdmin(ctx context.Context, db, path string, req, answer any) error {
	sock := AdminSocket(db)
	conn, err := DialAdmin(ctx, sock)
	if flexemp.ErrorCode(err) == flexemp.EFORBIDDEN {
		return err
	}
	if err != nil {
		return ErrNoServe
	}
	conn.Close()
	body, _ := json.Marshal(req)
	r, _ := http.NewRequestWithContext(ctx, "POST", "http://flexemp"+path, bytes.NewReader(body))
	resp, err := AdminClient(sock).Do(r)
	if err != nil {
		return ErrNoServe
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Message string }
		json.NewDecoder(resp.Body).Decode(&e)
		if e.Message == "" {
			e.Message = fmt.Sprintf("数据库由 flexemp serve 占用，经由服务运行失败（HTTP %d）", resp.StatusCode)
		}
		return flexemp.Errorf(flexemp.EINVALID, "%s", e.Message)
	}
	return json.NewDecoder(resp.Body).Decode(answer)
}
