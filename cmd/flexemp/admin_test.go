package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// While serve holds the database, the operator's commands go through its
// admin socket instead of failing on the file lock: a city token added then
// works on the running server at once, and token list, uploads, jobs, rank
// and run-job answer as they do without serve, from another folder too.
func TestAdminCommandsWhileServing(t *testing.T) {
	dir, db := demoCopy(t)
	addr, stop := servingProcess(t, dir, db)
	// From another working folder, with the database by a relative path.
	elsewhere := t.TempDir()
	rel, err := filepath.Rel(elsewhere, db)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	os.Chdir(elsewhere)
	defer os.Chdir(wd)

	code, token, e := runCmd(t, "token", "add", "--db", rel, "--city", "沈阳")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, "fxe_") {
		t.Fatalf("token add while serving: exit %d %q %s", code, token, e)
	}
	req, _ := http.NewRequest("GET", addr+"/api/v1/uploads", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("the new token on the running server: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	if code, out, e := runCmd(t, "token", "list", "--db", rel); code != 0 || !strings.Contains(out, "沈阳市") || !strings.Contains(out, "有效") || strings.Contains(out, token) {
		t.Errorf("token list: exit %d %q %s", code, out, e)
	}
	if code, out, e := runCmd(t, "uploads", "--db", rel, "--city", "沈阳"); code != 0 || strings.Count(out, "\n") < 2 || strings.Contains(out, "大连") {
		t.Errorf("uploads: exit %d %s", code, e)
	}
	if code, out, e := runCmd(t, "rank", "--db", rel, "--period", "2024"); code != 0 || !strings.Contains(out, "沈阳") {
		t.Errorf("rank: exit %d %s", code, e)
	}
	if code, out, e := runCmd(t, "run-job", "reminder", "--db", rel); code != 0 || !strings.Contains(out, "reminder") {
		t.Errorf("run-job: exit %d %q %s", code, out, e)
	}
	if code, out, e := runCmd(t, "jobs", "--db", rel); code != 0 || !strings.Contains(out, "reminder") {
		t.Errorf("jobs: exit %d %q %s", code, out, e)
	}
	if code, _, e := runCmd(t, "token", "revoke", "--db", rel, "--city", "210100"); code != 0 || !strings.Contains(e, "已吊销") {
		t.Errorf("token revoke: exit %d %s", code, e)
	}
	if code, _, e := runCmd(t, "rank", "--db", rel, "--period", "2019"); code != 1 || !strings.Contains(e, "尚未考核") {
		t.Errorf("an error through serve: exit %d %s", code, e)
	}
	// The audit trail is read and verified through serve too; --since is a
	// day in Asia/Shanghai, so today's records are all listed.
	if code, out, e := runCmd(t, "audit", "verify", "--db", rel); code != 0 || !strings.Contains(out, "审计日志完整") {
		t.Errorf("audit verify while serving: exit %d %q %s", code, out, e)
	}
	today := time.Now().In(flexemp.Shanghai).Format("2006-01-02")
	if code, out, e := runCmd(t, "audit", "--db", rel, "--since", today, "--action", "token.add", "--format", "csv"); code != 0 || !strings.Contains(out, "token.add") {
		t.Errorf("audit --since today while serving: exit %d %q %s", code, out, e)
	}
	// A command run through serve is recorded whole: its arguments too.
	if code, out, e := runCmd(t, "audit", "--db", rel, "--action", "admin.rank", "--format", "csv"); code != 0 || !strings.Contains(out, "--period 2024") {
		t.Errorf("the admin command's record: exit %d %q %s", code, out, e)
	}
	if code, out, e := runCmd(t, "audit", "--db", rel, "--action", "admin.token add", "--format", "csv"); code != 0 || !strings.Contains(out, "--city 沈阳") {
		t.Errorf("a subcommand's record: exit %d %q %s", code, out, e)
	}
	// Reassessing, explaining, checking and reporting need no downtime
	// either; the report lands in the operator's folder.
	if code, out, e := runCmd(t, "assess", "--db", rel, "--period", "2024Q4", "--draws", "100"); code != 0 || !strings.Contains(out, "参与排名") {
		t.Errorf("assess while serving: exit %d %q %s", code, out, e)
	}
	if code, out, e := runCmd(t, "explain", "--db", rel, "--period", "2024Q4", "--city", "沈阳"); code != 0 || !strings.Contains(out, "I1") {
		t.Errorf("explain while serving: exit %d %s", code, e)
	}
	if code, _, e := runCmd(t, "integrity", "--db", rel, "--period", "2024Q4"); code != 0 {
		t.Errorf("integrity while serving: exit %d %s", code, e)
	}
	if code, _, e := runCmd(t, "report", "--db", rel, "--period", "2024Q4", "--out", "r"); code != 0 {
		t.Errorf("report while serving: exit %d %s", code, e)
	} else if _, err := os.Stat(filepath.Join(elsewhere, "r", "report.html")); err != nil {
		t.Errorf("the report while serving is not in the operator's folder: %v", err)
	}
	// A command that cannot go through serve says why, in Chinese.
	if code, _, e := runCmd(t, "export", "--db", rel, "--out", "lake"); code != 1 || !strings.Contains(e, "正由另一个进程") || strings.Contains(e, "IO Error") {
		t.Errorf("export while serving: exit %d %s", code, e)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	// Without serve, the same commands open the file themselves.
	if code, out, e := runCmd(t, "token", "list", "--db", rel); code != 0 || !strings.Contains(out, "已吊销") {
		t.Errorf("token list without serve: exit %d %q %s", code, out, e)
	}
}

// servingProcess runs serve over db in another process, as an operator
// would, so it holds the database's file lock; stop ends it with SIGTERM.
// It reads dir's flexemp.toml, written with the scheduler off when there is
// none.
func servingProcess(t *testing.T, dir, db string) (addr string, stop func() error) {
	t.Helper()
	config := filepath.Join(dir, "flexemp.toml")
	if _, err := os.Stat(config); err != nil {
		os.WriteFile(config, []byte("[schedules]\noff = true\n"), 0o644)
	}
	args, _ := json.Marshal([]string{"serve", "--config", config, "--db", db, "--listen", "127.0.0.1:0"})
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FLEXEMP_TEST_MAIN="+string(args))
	var out, errs lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if addr = startedAt(&out); addr == "" {
		cmd.Process.Kill()
		t.Fatalf("serve did not start: %s", errs.String())
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("%w: %s", err, errs.String())
		}
		return nil
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}
