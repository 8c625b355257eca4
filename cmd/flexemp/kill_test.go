package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/internal/smtptest"
	"github.com/liaoning-hrss/flexemp/internal/testfiles"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// process is flexemp running args in a process group of its own, as an
// operator would run it, with env besides the test's own.
type process struct {
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan error
}

func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	a, _ := json.Marshal(args)
	p := &process{cmd: exec.Command(os.Args[0]), done: make(chan error, 1)}
	p.cmd.Env = append(append(os.Environ(), "FLEXEMP_TEST_MAIN="+string(a)), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(p.kill)
	return p
}

// kill kills the process and every child of its with SIGKILL.
func (p *process) kill() { syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }

// killed runs flexemp with args (startProcess) and kills it once at() says
// the moment has come (polled every 20 ms, for at most two minutes).
func killed(t *testing.T, env []string, at func() bool, args ...string) {
	t.Helper()
	p := startProcess(t, env, args...)
	for deadline := time.Now().Add(2 * time.Minute); !at(); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-p.done:
			t.Fatalf("%v ended before it was killed (%v): %s", args, err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			p.kill()
			t.Fatalf("%v: the moment to kill never came: %s", args, p.out.String())
		}
	}
	p.kill()
	<-p.done
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

// kill -9 of an issuing step while its mail goes out, at the worst moment
// (the SMTP server has kept a message and not yet answered): serve, started
// again, sends what the step still owed; every recipient gets its mail
// once, and the one whose acceptance the step never learnt of once more
// with the same Message-ID (README). A publication and a withdrawal.
func TestIssuingMailSurvivesKill(t *testing.T) {
	t.Parallel()
	dir, db := demoCopy(t)
	mb := smtptest.Start(t)
	recipients := []string{"province@hrss.example"}
	cities := ""
	for _, c := range flexemp.Cities {
		recipients = append(recipients, c.Code+"@city.example")
		cities += fmt.Sprintf("%q = [\"%s@city.example\"]\n", c.Code, c.Code)
	}
	config := filepath.Join(dir, "flexemp.toml")
	os.WriteFile(config, []byte(fmt.Sprintf(`[schedules]
off = true
[mail]
host = "127.0.0.1"
port = %d
tls = "none"
from = "灵活就业考核 <flexemp@hrss.example>"
province = ["province@hrss.example"]
link = "http://flexemp.example/"
[mail.cities]
%s`, mb.Port, cities)), 0o600)
	demo := filepath.Join(sharedDemo(t), "flexemp.toml")
	if code, out, e := runCmd(t, "assess", "--config", demo, "--db", db, "--period", "2025Q2", "--as-of", "2025-07-20", "--draws", "200"); code != 0 {
		t.Fatalf("assess: %s%s", out, e)
	}
	// Each recipient's mails by Message-ID, from the from-th on.
	received := func(from int) map[string][]string {
		got := map[string][]string{}
		for _, m := range mb.Messages()[from:] {
			got[m.To[0]] = append(got[m.To[0]], smtptest.Parse(t, m.Raw).MessageID)
		}
		return got
	}
	step := func(killAt int, args ...string) {
		t.Helper()
		before := len(mb.Messages())
		var p atomic.Pointer[process]
		mb.OnData(func(n int) {
			if n == before+killAt {
				p.Load().kill()
			}
		})
		p.Store(startProcess(t, nil, append(args, "--config", config, "--db", db)...))
		<-p.Load().done
		mb.OnData(nil)
		if got := len(mb.Messages()) - before; got != killAt {
			t.Fatalf("%v sent %d mails before it was killed, want %d: %s", args, got, killAt, p.Load().out.String())
		}
		// The next start sends what is owed.
		_, stop := servingProcess(t, dir, db)
		want := before + len(recipients) + 1
		for deadline := time.Now().Add(time.Minute); len(mb.Messages()) < want && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		cut := mb.Messages()[before+killAt-1].To[0]
		got := received(before)
		for _, to := range recipients {
			ids := got[to]
			switch {
			case to == cut && (len(ids) != 2 || ids[0] != ids[1]):
				t.Errorf("%v: %s, whose acceptance was cut off, received %v; want the same mail twice", args, to, ids)
			case to != cut && len(ids) != 1:
				t.Errorf("%v: %s received %v; want one mail", args, to, ids)
			}
		}
	}
	step(4, "publish", "--period", "2025Q2", "--at", "2025-07-21T10:00:00+08:00")
	step(1, "withdraw", "--period", "2025Q2", "--reason", "数据有误", "--at", "2025-07-22T10:00:00+08:00")
	if code, out, e := runCmd(t, "audit", "verify", "--db", db); code != 0 {
		t.Errorf("audit verify: exit %d %s%s", code, out, e)
	}
}

// kill -9 at random moments of a backfill through the inbox, whose small
// files are committed in groups: every file is in whole (its ledger row,
// all its rows, its audit record) or not at all, the audit chain verifies,
// and the next run picks up exactly the files that were missing. Each run
// kills at another moment; FLEXEMP_KILL_RUNS sets how many (2 in make test;
// BENCHMARKS records a longer run).
func TestGroupedBackfillSurvivesKill(t *testing.T) {
	t.Parallel()
	runs := 2
	if n, err := strconv.Atoi(os.Getenv("FLEXEMP_KILL_RUNS")); err == nil && n > 0 {
		runs = n
	}
	data := t.TempDir()
	man, err := gen.Generate(data, gen.Options{Seed: 11, Scale: 0.003, From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 6}})
	if err != nil {
		t.Fatal(err)
	}
	// drop links the generated files into a new inbox, settled an hour ago.
	drop := func(inbox string) {
		old := time.Now().Add(-time.Hour)
		for _, f := range man.Files {
			dest := filepath.Join(inbox, f.Path)
			os.MkdirAll(filepath.Dir(dest), 0o755)
			if err := os.Link(filepath.Join(data, f.Path), dest); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(dest, old, old)
		}
	}
	// A run never killed: what a whole backfill stores, and how long it takes.
	clean := t.TempDir()
	drop(filepath.Join(clean, "inbox"))
	began := time.Now()
	p := startProcess(t, nil, "run-job", "--db", filepath.Join(clean, "flexemp.db"), "inbox")
	if err := <-p.done; err != nil {
		t.Fatalf("inbox: %v %s", err, p.out.String())
	}
	took := time.Since(began)
	want := count(t, filepath.Join(clean, "flexemp.db"), `SELECT count(*) FROM uploads`)
	if want < len(man.Files)*9/10 {
		t.Fatalf("a whole backfill stored %d of %d files", want, len(man.Files))
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for run := range runs {
		dir := t.TempDir()
		drop(filepath.Join(dir, "inbox"))
		db := filepath.Join(dir, "flexemp.db")
		// Past migration and into the files: from a tenth of the clean
		// run's time to its end.
		at := took/10 + time.Duration(rng.Int64N(int64(took*9/10)))
		p := startProcess(t, nil, "run-job", "--db", db, "inbox")
		select {
		case <-p.done:
			t.Logf("run %d: the inbox ended before %v", run, at)
			continue
		case <-time.After(at):
		}
		p.kill()
		<-p.done
		sqlDB, err := transform.Open(context.Background(), db)
		if err != nil {
			t.Fatalf("run %d, killed after %v: %v", run, at, err)
		}
		stored := whole(t, sqlDB, fmt.Sprintf("run %d, killed after %v", run, at))
		if _, _, err := store.VerifyAudit(context.Background(), sqlDB, ""); err != nil {
			t.Errorf("run %d, killed after %v: audit chain: %v", run, at, err)
		}
		sqlDB.Close()
		code, out, e := runCmd(t, "run-job", "--db", db, "inbox")
		if code != 0 {
			t.Fatalf("run %d: the inbox again: %s%s", run, out, e)
		}
		m := regexp.MustCompile(`入库 (\d+) 个，未变 (\d+) 个`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("run %d: the inbox again said %q", run, out)
		}
		again, _ := strconv.Atoi(m[1])
		sqlDB, err = transform.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		after := whole(t, sqlDB, fmt.Sprintf("run %d, run again", run))
		sqlDB.Close()
		if stored+again != want || after != want {
			t.Errorf("run %d, killed after %v with %d of %d uploads stored: the next run stored %d (%d in all), want the %d missing",
				run, at, stored, want, again, after, want-stored)
		}
		t.Logf("run %d: killed after %v with %d of %d uploads stored; the next run stored %d and found %s unchanged", run, at.Round(time.Millisecond), stored, want, again, m[2])
	}
}

// whole is testfiles.Whole, failing t for what is broken.
func whole(t *testing.T, db *sql.DB, when string) int {
	t.Helper()
	uploads, broken, err := testfiles.Whole(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range broken {
		t.Errorf("%s: %s", when, b)
	}
	return uploads
}
