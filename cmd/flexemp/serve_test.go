package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/transform"
)

// lockedBuffer is a buffer the server writes to while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// `token add` prints the token alone; `serve` stops on a signal only after
// the upload in flight has finished, and it is stored whole.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "flexemp.db")
	code, token, e := runCmd(t, "token", "add", "--db", db, "--city", "沈阳")
	token = strings.TrimSpace(token)
	if code != 0 || !regexp.MustCompile(`^fxe_[A-Za-z0-9_-]{43}$`).MatchString(token) {
		t.Fatalf("token add: exit %d, %q %s", code, token, e)
	}
	big := filepath.Join(dir, "registrations.csv")
	if err := gen.BigRegistrations(big, 300000, 3); err != nil {
		t.Fatal(err)
	}
	// The scheduler's own shutdown is the month test's; here, only HTTP.
	srv := serving(t, dir, db)
	base := srv.Addr

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", "registrations")
	mw.WriteField("month", "2024-03")
	fw, _ := mw.CreateFormFile("file", "registrations.csv")
	data, _ := os.ReadFile(big)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/v1/uploads", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	type reply struct {
		code int
		body []byte
		err  error
	}
	replied := make(chan reply, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			replied <- reply{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		replied <- reply{code: resp.StatusCode, body: b}
	}()
	// Signal the server while the upload is being loaded: it takes about a
	// second, and its answer must come after the signal.
	time.Sleep(300 * time.Millisecond)
	srv.Signal()
	signalled := time.Now()
	r := <-replied
	if time.Since(signalled) < 50*time.Millisecond {
		t.Fatal("the upload finished before the signal; make the file bigger")
	}
	if r.err != nil || r.code != 200 {
		t.Fatalf("upload in flight at shutdown: %v %d %s", r.err, r.code, r.body)
	}
	var res struct {
		Status   string
		Accepted int
	}
	json.Unmarshal(r.body, &res)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if log := srv.Log.String(); !strings.Contains(log, "shutting down") || strings.Contains(log, token) {
		t.Errorf("server log: %s", log)
	}
	sqlDB, err := transform.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var uploads, rows int
	sqlDB.QueryRow(`SELECT count(*) FROM uploads`).Scan(&uploads)
	sqlDB.QueryRow(`SELECT count(*) FROM registrations`).Scan(&rows)
	if res.Status != "accepted" || uploads != 1 || rows != res.Accepted || rows != 300000 {
		t.Errorf("after shutdown: %s, %d uploads, %d rows stored, %d accepted", res.Status, uploads, rows, res.Accepted)
	}
}

// serve fails at once, loudly and with a non-zero status, when it cannot
// listen: it holds nothing and starts no job.
func TestServeFailsLoudlyOnABadAddress(t *testing.T) {
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, addr := range []string{taken.Addr().String(), "not an address"} {
		done := make(chan struct{})
		var code int
		var e string
		go func() {
			code, _, e = runCmd(t, "serve", "--db", filepath.Join(dir, "f.db"), "--listen", addr)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: serve still running after 30 s", addr)
		}
		if code == 0 || !strings.Contains(e, "无法在") {
			t.Errorf("%s: exit %d %q", addr, code, e)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "f.db.admin.sock")); !os.IsNotExist(err) {
		t.Error("a failed serve left its admin socket")
	}
}
