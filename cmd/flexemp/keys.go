package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
)

// Key custody. The pseudonym key's fingerprint is stored at a database's
// first ingest; from then on every command that opens the database holds
// the key it would use (FLEXEMP_ID_KEY, else the key file beside the
// database) to that fingerprint, and refuses to run on a missing or another
// key. A key is only ever made for a database that has none, and a key file
// others can read is refused.

// dbFolder refuses a database whose folder does not exist, in words,
// before DuckDB answers with its own.
func (c Config) dbFolder() error {
	dir := filepath.Dir(c.DB)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return flexemp.Errorf(flexemp.ENOTFOUND, "数据库所在目录 %s 不存在：请先创建该目录，或用 --db 指定其他位置", dir)
	}
	return nil
}

// open opens (creating and migrating) the configured database with its
// DuckDB settings, its key held to its fingerprint.
func (c Config) open(ctx context.Context) (*sql.DB, error) {
	db, _, err := c.openKeyed(ctx, false)
	return db, err
}

// openIngest opens the configured database with an ingester over it,
// making a key for a database that has never had one.
func (c Config) openIngest(ctx context.Context) (*sql.DB, *ingest.Ingester, error) {
	db, key, err := c.openKeyed(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	return db, &ingest.Ingester{DB: db, Key: key, Options: c.Ingest}, nil
}

// openKeyed opens the database and finds its key; with makeKey a database
// without a fingerprint gets a new key file when none exists. A database
// made by this call is said on notices, with where its key is.
func (c Config) openKeyed(ctx context.Context, makeKey bool) (*sql.DB, []byte, error) {
	if err := c.dbFolder(); err != nil {
		return nil, nil, err
	}
	warnIfShared(c.DB)
	_, statErr := os.Stat(c.DB)
	fresh := errors.Is(statErr, fs.ErrNotExist)
	db, err := transform.Open(ctx, c.DB, c.DuckDB)
	if err != nil && strings.Contains(err.Error(), "Could not set lock on file") {
		// Another process holds the file: DuckDB's words, in the user's.
		return nil, nil, flexemp.Errorf(flexemp.ECONFLICT, "数据库 %s 正由另一个进程（如 flexemp serve）使用。"+
			"服务运行时，token、uploads、jobs、rank、run-job、backup、assess、report、explain、integrity 与排名发布的命令经由服务执行；"+
			"上传请用网页、接口或收件目录，其他命令请先停止服务", c.DB)
	}
	if err != nil {
		return nil, nil, err
	}
	var stored string
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(fingerprint), '') FROM key_fingerprint`).Scan(&stored); err != nil {
		db.Close()
		return nil, nil, err
	}
	key, source, err := c.idKey(stored, makeKey)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if fresh {
		fmt.Fprintf(notices, "已新建数据库 %s。%s\n", c.DB, source)
	}
	return db, key, nil
}

// keyPath is where the key file is: id_key_file, else <db>.key.
func (c Config) keyPath() string {
	if c.IDKeyFile != "" {
		return c.IDKeyFile
	}
	return c.DB + ".key"
}

// idKey finds the key the configuration names (FLEXEMP_ID_KEY, else the
// key file) and holds it to the stored fingerprint (ingest.FindKey).
func (c Config) idKey(stored string, makeKey bool) ([]byte, string, error) {
	return ingest.FindKey(ingest.KeySource{Path: c.keyPath(), Env: os.Getenv("FLEXEMP_ID_KEY"), Database: c.DB}, stored, makeKey)
}
