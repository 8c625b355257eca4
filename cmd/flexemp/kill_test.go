package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp/transform"
)

// killed runs flexemp with args in a process group of its own, as an
// operator would, and kills the whole group with SIGKILL once at() says
// the moment has come (polled every 20 ms, for at most two minutes). The
// process is given env besides the test's own; what it wrote is returned.
func killed(t *testing.T, env []string, at func() bool, args ...string) string {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), "FLEXEMP_TEST_MAIN="+string(a)), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for deadline := time.Now().Add(2 * time.Minute); !at(); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("%v ended before it was killed (%v): %s", args, err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("%v: the moment to kill never came: %s", args, out.String())
		}
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	return out.String()
}

// hangingBrowser is a CHROMIUM that touches marker when it is started and
// never answers: the moment a step prints its PDF.
func hangingBrowser(t *testing.T, dir string) (env []string, started func() bool) {
	t.Helper()
	marker := filepath.Join(dir, "printing")
	script := filepath.Join(dir, "chromium-hangs")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch '"+marker+"'\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"CHROMIUM=" + script}, func() bool {
		_, err := os.Stat(marker)
		return err == nil
	}
}

// count is the number a query of db's gives.
func count(t *testing.T, db, query string) int {
	t.Helper()
	sqlDB, err := transform.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var n int
	if err := sqlDB.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
