package main

import (
	"context"
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
	demo := sharedDemo(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "flexemp.db")
	// A copy of the demo's database and key, so serve can hold it here.
	for _, f := range []string{"flexemp.db", "flexemp.db.key"} {
		b, err := os.ReadFile(filepath.Join(demo, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o600)
	}
	ctx, stop := context.WithCancel(context.Background())
	var out, errs lockedBuffer
	served := make(chan error, 1)
	config := filepath.Join(dir, "flexemp.toml")
	os.WriteFile(config, []byte("[schedules]\noff = true\n"), 0o644)
	go func() {
		served <- runServe(ctx, []string{"--config", config, "--db", db, "--listen", "127.0.0.1:0"}, &out, &errs)
	}()
	for deadline := time.Now().Add(20 * time.Second); !regexp.MustCompile(`http://`).MatchString(out.String()) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
	}
	if st, err := os.Stat(db + ".admin.sock"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v", err)
	}
	backup := filepath.Join(dir, "backup")
	code, msg, e := runCmd(t, "backup", "--db", db, "--out", backup)
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(msg, "已备份") {
		t.Fatalf("backup while serving: exit %d %s %s", code, msg, e)
	}
	if _, err := os.Stat(db + ".admin.sock"); !os.IsNotExist(err) {
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
