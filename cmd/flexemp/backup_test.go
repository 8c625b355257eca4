package main

import (
	"context"
	"github.com/liaoning-hrss/flexemp/server"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A backup made while serve holds the database goes through serve's admin
// socket; restored into a new file and assessed as of the same date, it
// ranks exactly as the original. A restore never overwrites a database, and
// a backup never goes into a folder that holds something.
func TestBackupAndRestore(t *testing.T) {
	dir, db := demoCopy(t)
	srv := serving(t, dir, db)
	if st, err := os.Stat(server.AdminSocket(db)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v", err)
	}
	if st, err := os.Stat(filepath.Dir(server.AdminSocket(db))); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("the admin socket's folder: %v", err)
	}
	backup := filepath.Join(dir, "backup")
	code, msg, e := runCmd(t, "backup", "--db", db, "--out", backup)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(msg, "已备份") {
		t.Fatalf("backup while serving: exit %d %s %s", code, msg, e)
	}
	if _, err := os.Stat(filepath.Dir(server.AdminSocket(db))); !os.IsNotExist(err) {
		t.Error("the admin socket outlived serve")
	}
	if code, _, e := runCmd(t, "backup", "--db", db, "--out", backup); code == 0 || !strings.Contains(e, "不是空的") {
		t.Errorf("a backup into a folder that holds one: exit %d %s", code, e)
	}
	restored := filepath.Join(dir, "restored.db")
	if code, _, e := runCmd(t, "restore", "--from", backup, "--db", restored); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := runCmd(t, "restore", "--from", backup, "--db", restored); code == 0 || !strings.Contains(e, "已存在") {
		t.Errorf("a restore over a database: exit %d %s", code, e)
	}
	os.WriteFile(restored+".key", must(os.ReadFile(db+".key")), 0o600)
	var ranks []string
	for _, f := range []string{db, restored} {
		if code, _, e := runCmd(t, "assess", "--db", f, "--period", "2025", "--as-of", "2026-01-15"); code != 0 {
			t.Fatal(e)
		}
		_, r, _ := runCmd(t, "rank", "--db", f, "--period", "2025", "--format", "json")
		ranks = append(ranks, r)
	}
	if ranks[0] != ranks[1] || !strings.Contains(ranks[0], `"as_of": "2026-01-15"`) {
		t.Errorf("the restored database ranks differently:\n%s\n%s", ranks[0], ranks[1])
	}
	if code, _, e := runCmd(t, "backup", "--db", filepath.Join(dir, "missing.db"), "--out", filepath.Join(dir, "b2")); code == 0 || !strings.Contains(e, "不存在") {
		t.Errorf("a backup of a missing database: exit %d %s", code, e)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// demoCopy copies the shared demo's database and key into a new folder, for
// a test that changes them or that serve holds.
func demoCopy(t *testing.T) (dir, db string) {
	t.Helper()
	demo := sharedDemo(t)
	dir = t.TempDir()
	for _, f := range []string{"flexemp.db", "flexemp.db.key"} {
		b, err := os.ReadFile(filepath.Join(demo, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o600)
	}
	return dir, filepath.Join(dir, "flexemp.db")
}

// servingServe is a serve running in the test's process.
type servingServe struct {
	Addr   string        // http://127.0.0.1:port
	Log    *lockedBuffer // what serve wrote to stderr
	Signal func()        // as SIGTERM: serve shuts down gracefully
	served chan error
	done   bool
	err    error
}

// Wait waits for serve to end and returns its error.
func (s *servingServe) Wait() error {
	if !s.done {
		s.done, s.err = true, <-s.served
	}
	return s.err
}

// Stop signals serve and waits for it.
func (s *servingServe) Stop() error {
	s.Signal()
	return s.Wait()
}

// serving runs serve over db with the scheduler off, until stopped; the
// test's end stops it.
func serving(t *testing.T, dir, db string) *servingServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	s := &servingServe{Log: &lockedBuffer{}, Signal: cancel, served: make(chan error, 1)}
	config := filepath.Join(dir, "flexemp.toml")
	os.WriteFile(config, []byte("[schedules]\noff = true\n"), 0o644)
	go func() {
		s.served <- runServe(newCall(ctx, "serve", []string{"--config", config, "--db", db, "--listen", "127.0.0.1:0"}, &out, s.Log))
	}()
	if s.Addr = startedAt(&out); s.Addr == "" {
		cancel()
		t.Fatalf("serve did not start: %s", s.Log.String())
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// startedAt waits up to 30 seconds for serve to print its address.
func startedAt(out *lockedBuffer) string {
	started := regexp.MustCompile(`http://\S+`)
	for deadline := time.Now().Add(30 * time.Second); !started.MatchString(out.String()) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
	}
	return started.FindString(out.String())
}
