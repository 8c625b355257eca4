package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/peercred"
	"github.com/liaoning-hrss/flexemp/store"
)

// AdminSocket is the local socket beside a database through which commands
// reach the serve process that holds it (mode 0600: the operator's only).
func AdminSocket(dbPath string) string { return dbPath + ".admin.sock" }

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

// AdminHandler answers the operator's commands that must go through the
// process owning the database: POST /backup {"out": DIR}.
func AdminHandler(st *store.Store) http.Handler {
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
	return mux
}
