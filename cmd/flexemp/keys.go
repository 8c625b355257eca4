package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
	warnIfShared(c.DB)
	_, statErr := os.Stat(c.DB)
	fresh := errors.Is(statErr, fs.ErrNotExist)
	db, err := transform.Open(ctx, c.DB, c.DuckDB)
	if err != nil && strings.Contains(err.Error(), "Could not set lock on file") {
		// Another process holds the file: DuckDB's words, in the user's.
		return nil, nil, flexemp.Errorf(flexemp.ECONFLICT, "数据库 %s 正由另一个进程（如 flexemp serve）使用。"+
			"服务运行时，token、uploads、jobs、rank、run-job 与 backup 经由服务执行；上传请用网页、接口或收件目录，其他命令请先停止服务", c.DB)
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

// idKey finds the pseudonym key — FLEXEMP_ID_KEY, else the key file — and
// holds it to the stored fingerprint (none: the database never ingested).
// With no key anywhere it makes a key file when makeKey and the database has
// no fingerprint; it never makes one for a database that has. It returns
// where the key came from, in words for the operator (never the key).
func (c Config) idKey(stored string, makeKey bool) ([]byte, string, error) {
	path := c.keyPath()
	file, err := readKeyFile(path)
	if err != nil {
		return nil, "", err
	}
	var key []byte
	var source string
	switch env := os.Getenv("FLEXEMP_ID_KEY"); {
	case env != "":
		if len(env) < 16 {
			return nil, "", errors.New("FLEXEMP_ID_KEY 至少需要 16 个字符")
		}
		// The variable and an existing key file must agree: two keys would
		// split every person in two.
		if file != nil && string(file) != env {
			return nil, "", fmt.Errorf("FLEXEMP_ID_KEY 与密钥文件 %s 不一致：请只保留一个，或使二者相同", path)
		}
		key, source = []byte(env), "假名密钥来自环境变量 FLEXEMP_ID_KEY，请妥善保管。"
	case file != nil:
		key, source = file, "假名密钥文件为 "+path+"。"
	case stored != "":
		return nil, "", fmt.Errorf("数据库 %s 已用一个假名密钥入库（指纹 %s…），但找不到密钥文件 %s，也没有设置 FLEXEMP_ID_KEY：请从备份恢复该密钥文件后重试。flexemp 不会为已有数据的数据库生成新密钥，否则同一个人会被拆成两个人",
			c.DB, stored[:8], path)
	case !makeKey:
		return nil, "", nil
	default:
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, "", err
		}
		k := hex.EncodeToString(raw)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, "", fmt.Errorf("无法创建密钥文件 %s：%w", path, err)
		}
		if _, err := f.WriteString(k + "\n"); err != nil {
			f.Close()
			return nil, "", err
		}
		if err := f.Close(); err != nil {
			return nil, "", err
		}
		key, source = []byte(k), "已生成假名密钥文件 "+path+"（仅所有者可读）：请立即将其备份到安全的地方——丢失或更换后，新数据将无法与已有数据关联。"
	}
	if fp := ingest.KeyFingerprint(key); stored != "" && fp != stored {
		return nil, "", fmt.Errorf("假名密钥（指纹 %s…）与数据库 %s 首次入库时的密钥（指纹 %s…）不一致，拒绝运行：请恢复原密钥（%s 或 FLEXEMP_ID_KEY）", fp[:8], c.DB, stored[:8], path)
	}
	return key, source, nil
}

// readKeyFile reads a key file: nil when there is none; refused when anyone
// but its owner may read or write it, or it is too short.
func readKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("密钥文件 %s 的权限为 %#o，其他用户可以读取；请执行 chmod 600 %s 后重试", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k := strings.TrimSpace(string(b))
	if len(k) < 16 {
		return nil, fmt.Errorf("密钥文件 %s 过短（至少 16 个字符）", path)
	}
	return []byte(k), nil
}
