package main

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/transform"
)

// Under the usual umask 022 the database, its WAL, the key, the lake and a
// report are still their owner's alone (files 0600, folders 0700), a
// database made earlier with 0644 is tightened when opened, and a command
// warns when the database's folder lets other users in.
func TestFilesAreTheOwnersAlone(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	db := filepath.Join(dir, "flexemp.db")
	t.Setenv("FLEXEMP_ID_KEY", "")
	code, e := ingestSample(t, db)
	if code != 0 {
		t.Fatalf("ingest: exit %d %s", code, e)
	}
	if !strings.Contains(e, "警告：数据库所在目录") || !strings.Contains(e, "chmod 700 "+dir) {
		t.Errorf("no warning about the folder others can read: %s", e)
	}
	syscall.Umask(0o022)
	if code, _, e := runCmd(t, "assess", "--db", db, "--period", "2024Q1"); code != 0 && !strings.Contains(e, "尚无城市报送") {
		t.Fatalf("assess: %s", e)
	}
	lake := filepath.Join(dir, "lake")
	syscall.Umask(0o022)
	if code, _, e := runCmd(t, "export", "--db", db, "--out", lake); code != 0 {
		t.Fatalf("export: %s", e)
	}
	checked := 0
	for _, root := range []string{db, db + ".key", lake} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			info, _ := d.Info()
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if info.Mode().Perm() != want {
				t.Errorf("%s: %#o, want %#o", path, info.Mode().Perm(), want)
			}
			checked++
			return nil
		})
	}
	if checked < 5 {
		t.Errorf("only %d files checked", checked)
	}
	// Another OS user (nobody), who can reach the folder, reads none of it.
	if os.Getuid() == 0 {
		os.Chmod(filepath.Dir(dir), 0o755)
		for _, f := range []string{db, db + ".key", filepath.Join(lake, "_schema.json")} {
			cat := exec.Command("cat", f)
			cat.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			if out, err := cat.CombinedOutput(); err == nil || !strings.Contains(string(out), "Permission denied") {
				t.Errorf("another user read %s: %v %s", f, err, out)
			}
		}
	}
	// A database file left readable by others is tightened when opened.
	os.Chmod(db, 0o644)
	sqlDB, err := transform.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	if st, _ := os.Stat(db); st.Mode().Perm() != 0o600 {
		t.Errorf("an opened database stays %#o", st.Mode().Perm())
	}
}

// A demo never empties a folder whose database serve is using: serve's
// socket beside it, or the database's lock held by another process, stops
// it, and the database and its key are left as they were.
func TestDemoLeavesAServedDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "flexemp.db")
	t.Setenv("FLEXEMP_ID_KEY", "")
	if code, e := ingestSample(t, db); code != 0 {
		t.Fatal(e)
	}
	os.WriteFile(filepath.Join(dir, ".flexemp-demo"), []byte("made by flexemp demo\n"), 0o600) // as if a demo had made it
	_, stop := servingProcess(t, dir, db)
	code, _, e := runCmd(t, "demo", "--dir", dir)
	if code != 1 || !strings.Contains(e, "演示不会清空它") {
		t.Errorf("demo over a served database: exit %d %s", code, e)
	}
	for _, f := range []string{db, db + ".key"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s is gone", f)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// What a killed export or backup leaves behind (a partial <target>.tmp-…
// folder beside its target, as kill -9 leaves it) is removed by the next
// run, which says so and writes its own whole; and a restore refuses a path
// that is a link, even one to nothing, rather than write where it points.
func TestLeftoversAndLinks(t *testing.T) {
	dir, db := demoCopy(t)
	lake, backup := filepath.Join(dir, "lake"), filepath.Join(dir, "backup")
	for _, left := range []string{lake + ".tmp-0a1b2c3d4e5f", backup + ".tmp-f5e4d3c2b1a0"} {
		os.MkdirAll(filepath.Join(left, "kind=registrations"), 0o700)
		os.WriteFile(filepath.Join(left, "kind=registrations", "data_0.parquet"), []byte("PAR1 half"), 0o600)
	}
	for _, args := range [][]string{{"export", "--db", db, "--out", lake}, {"backup", "--db", db, "--out", backup}} {
		code, out, e := runCmd(t, args...)
		if code != 0 || !strings.Contains(out, "已清理上次中断留下的临时目录 "+args[len(args)-1]+".tmp-") {
			t.Errorf("%s: exit %d %s %s", args[0], code, out, e)
		}
		if left, _ := filepath.Glob(args[len(args)-1] + ".tmp-*"); len(left) != 0 {
			t.Errorf("%s left %v", args[0], left)
		}
	}
	if _, err := os.Stat(filepath.Join(backup, "backup.json")); err != nil {
		t.Errorf("the backup is not whole: %v", err)
	}
	link := filepath.Join(dir, "restored.db")
	target := filepath.Join(dir, "elsewhere", "x.db")
	os.Symlink(target, link)
	if code, _, e := runCmd(t, "restore", "--from", backup, "--db", link); code == 0 || !strings.Contains(e, "链接") {
		t.Errorf("restore onto a dangling link: exit %d %s", code, e)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("restore wrote through the link")
	}
}

// In a folder another user can write, that user may bind a database's admin
// socket before serve does. The command line checks who answers (the
// kernel's SO_PEERCRED): another user's socket is refused, nothing is sent
// to it and nothing it says is printed. (Run as root, as CI is: the other
// user is nobody.)
func TestAdminSocketOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a process as another user")
	}
	shared := t.TempDir()
	os.Chmod(filepath.Dir(shared), 0o755)
	os.Chmod(shared, 0o1777) // a folder everyone can write, like /tmp
	bin := filepath.Join(shared, "flexemp-test")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, b, 0o755)
	os.Chmod(bin, 0o755) // whatever the umask an earlier command set
	db := filepath.Join(shared, "flexemp.db")
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FLEXEMP_TEST_FAKE_ADMIN="+server.AdminSocket(db))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100 && !strings.Contains(out.String(), "listening"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "listening") {
		t.Fatalf("the other user's socket: %s", out.String())
	}
	code, stdout, e := runCmd(t, "token", "add", "--db", db, "--city", "210100")
	if code != 1 || strings.Contains(stdout, "fxe_attackers_token") || !strings.Contains(e, "其他用户") {
		t.Errorf("token add over another user's socket: exit %d %q %s", code, stdout, e)
	}
	if code, _, e := runCmd(t, "backup", "--db", db, "--out", filepath.Join(shared, "b")); code != 1 || !strings.Contains(e, "其他用户") {
		t.Errorf("backup over another user's socket: exit %d %s", code, e)
	}
	// serve says the true reason it cannot take the database's admin
	// socket, not that another serve holds it.
	if code, _, e := runCmd(t, "serve", "--db", db, "--listen", "127.0.0.1:0"); code != 1 || !strings.Contains(e, "其他用户") || strings.Contains(e, "另一个 flexemp serve") {
		t.Errorf("serve beside another user's socket: exit %d %s", code, e)
	}
}

// The SMTP password is refused in a configuration file other users can
// read, and taken from FLEXEMP_MAIL_PASSWORD instead.
func TestMailPasswordNotReadable(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "flexemp.toml")
	os.WriteFile(config, []byte("[mail]\nhost = \"127.0.0.1\"\nfrom = \"考核系统 <flexemp@hrss.example>\"\nusername = \"u\"\npassword = \"s3cret\"\n"), 0o600)
	os.Chmod(config, 0o644)
	db := filepath.Join(dir, "f.db")
	if code, _, e := runCmd(t, "uploads", "--config", config, "--db", db); code == 0 || !strings.Contains(e, "其他用户可读") || strings.Contains(e, "s3cret") {
		t.Errorf("a password readable by others: exit %d %s", code, e)
	}
	os.Chmod(config, 0o600)
	if _, _, e := runCmd(t, "uploads", "--config", config, "--db", db); strings.Contains(e, "其他用户可读") {
		t.Errorf("a password readable by its owner only: %s", e)
	}
}
