package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Key custody over the command line, as an operator meets it: a new
// database says where its key is; once it holds a fingerprint, a deleted key
// file is never replaced by a new one and every command refuses, as it does
// with another key, with FLEXEMP_ID_KEY disagreeing with the file, and with
// a key file others can read (naming the chmod to run).
func TestKeyCustody(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "flexemp.db")
	keyFile := db + ".key"
	t.Setenv("FLEXEMP_ID_KEY", "")
	src := filepath.Join(testdata, "registrations_bom.csv")
	ingest := func() (int, string) { return ingestSample(t, db) }
	code, e := ingest()
	if code != 0 || !strings.Contains(e, "已新建数据库 "+db) || !strings.Contains(e, "已生成假名密钥文件 "+keyFile) || !strings.Contains(e, "备份") {
		t.Fatalf("first ingest: exit %d %s", code, e)
	}
	key, _ := os.ReadFile(keyFile)
	if strings.Contains(e, strings.TrimSpace(string(key))) {
		t.Fatal("the key was printed")
	}
	if _, e := ingest(); strings.Contains(e, "已新建数据库") {
		t.Errorf("an existing database announced as new: %s", e)
	}
	commands := [][]string{
		{"ingest", "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-03", src},
		{"assess", "--db", db, "--period", "2024Q1"},
		{"rank", "--db", db, "--period", "2024Q1"},
		{"uploads", "--db", db},
		{"export", "--db", db, "--out", filepath.Join(dir, "lake")},
		{"token", "add", "--db", db, "--city", "210100"},
		{"serve", "--db", db, "--listen", "127.0.0.1:0"}, // refuses to start
	}
	refusedAll := func(label, want string) {
		t.Helper()
		for _, args := range commands {
			code, out, e := runCmd(t, args...)
			if code != 1 || !strings.Contains(e, want) || strings.Contains(out, "fxe_") {
				t.Errorf("%s: %s: exit %d, %q", label, args[0], code, e)
			}
		}
	}
	// The key file deleted: refused, and no new key made for the database.
	os.Rename(keyFile, keyFile+".saved")
	refusedAll("key deleted", "找不到密钥文件")
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("a new key was made for a database that has a fingerprint")
	}
	// Another key in its place: refused.
	os.WriteFile(keyFile, []byte("another-key-0123456789abcdef\n"), 0o600)
	refusedAll("another key", "不一致")
	// The right key back, but readable by others: refused with the chmod.
	os.Rename(keyFile+".saved", keyFile)
	os.Chmod(keyFile, 0o644)
	refusedAll("key mode 0644", "chmod 600 "+keyFile)
	os.Chmod(keyFile, 0o600)
	// FLEXEMP_ID_KEY disagreeing with the file: refused.
	t.Setenv("FLEXEMP_ID_KEY", "a-different-key-0123456789")
	refusedAll("FLEXEMP_ID_KEY disagreeing", "FLEXEMP_ID_KEY 与密钥文件")
	t.Setenv("FLEXEMP_ID_KEY", "")
	if code, e := ingest(); code != 0 {
		t.Errorf("with the right key back: exit %d %s", code, e)
	}
}

// ingestSample ingests the sample registrations of 沈阳, March 2024, into
// db, and returns the exit code and what the command wrote to stderr.
func ingestSample(t *testing.T, db string) (int, string) {
	t.Helper()
	code, _, e := runCmd(t, "ingest", "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-03",
		"--received-at", "2024-04-01T09:00:00+08:00", filepath.Join(testdata, "registrations_bom.csv"))
	return code, e
}
