package server

import (
	"encoding/json"
	"net/http"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/store"
)

// AdminSocket is the local socket beside a database through which commands
// reach the serve process that holds it (mode 0600: the operator's only).
func AdminSocket(dbPath string) string { return dbPath + ".admin.sock" }

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
