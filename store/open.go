package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
)

// File is a database file as the operator names it, with its key's custody.
// The pseudonym key's fingerprint is stored at a database's first ingest;
// from then on every opening holds the key it would use (the environment's
// FLEXEMP_ID_KEY, else the key file beside the database) to that
// fingerprint, and refuses a missing or another key. A key is only ever
// made for a database that has none, and a key file others can read is
// refused (ingest.FindKey).
type File struct {
	Path    string
	KeyFile string // default <Path>.key
	KeyEnv  string // a key given in the environment, which wins
	DuckDB  transform.Settings
	Notices io.Writer // warnings and the new database's notice; default stderr
}

func (f File) notices() io.Writer {
	if f.Notices == nil {
		return os.Stderr
	}
	return f.Notices
}

// Folder refuses a database whose folder does not exist, in words, before
// DuckDB answers with its own.
func (f File) Folder() error {
	dir := filepath.Dir(f.Path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return flexemp.Errorf(flexemp.ENOTFOUND, "数据库所在目录 %s 不存在：请先创建该目录，或用 --db 指定其他位置", dir)
	}
	return nil
}

// OpenExisting opens a database that must exist: a command that reads never
// makes an empty database by accident.
func (f File) OpenExisting(ctx context.Context) (*sql.DB, error) {
	if _, err := os.Stat(f.Path); err != nil {
		return nil, flexemp.Errorf(flexemp.ENOTFOUND, "数据库 %s 不存在", f.Path)
	}
	db, _, err := f.Open(ctx, false)
	return db, err
}

// Open opens (creating and migrating) the database and finds its key; with
// makeKey a database without a fingerprint gets a new key file when none
// exists. A database made by this call is said on Notices, with where its
// key is; a folder others can enter is warned of.
func (f File) Open(ctx context.Context, makeKey bool) (*sql.DB, []byte, error) {
	if err := f.Folder(); err != nil {
		return nil, nil, err
	}
	// The files flexemp makes are their owner's alone, but a folder others
	// can enter exposes them by name and lets others place files.
	dir := filepath.Dir(f.Path)
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(f.notices(), "警告：数据库所在目录 %s 的权限为 %#o，其他用户可以访问；建议执行 chmod 700 %s\n", dir, st.Mode().Perm(), dir)
	}
	_, statErr := os.Stat(f.Path)
	fresh := errors.Is(statErr, fs.ErrNotExist)
	db, err := transform.Open(ctx, f.Path, f.DuckDB)
	if err != nil && strings.Contains(err.Error(), "Could not set lock on file") {
		// Another process holds the file: DuckDB's words, in the user's.
		return nil, nil, flexemp.Errorf(flexemp.ECONFLICT, "数据库 %s 正由另一个进程（如 flexemp serve）使用。"+
			"服务运行时，token、uploads、jobs、rank、run-job、backup、assess、report、explain、integrity 与排名发布的命令经由服务执行；"+
			"上传请用网页、接口或收件目录，其他命令请先停止服务", f.Path)
	}
	if err != nil {
		return nil, nil, err
	}
	var stored string
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(fingerprint), '') FROM key_fingerprint`).Scan(&stored); err != nil {
		db.Close()
		return nil, nil, err
	}
	keyFile := f.KeyFile
	if keyFile == "" {
		keyFile = f.Path + ".key"
	}
	key, source, err := ingest.FindKey(ingest.KeySource{Path: keyFile, Env: f.KeyEnv, Database: f.Path}, stored, makeKey)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if fresh {
		fmt.Fprintf(f.notices(), "已新建数据库 %s。%s\n", f.Path, source)
	}
	return db, key, nil
}
