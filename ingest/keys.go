package ingest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Key custody. The pseudonym key's fingerprint is stored at a database's
// first ingest; from then on the key that would be used (FLEXEMP_ID_KEY, else
// the key file beside the database) is held to that fingerprint, and a
// missing or another key is refused. A key is only ever made for a database
// that has none, and a key file others can read is refused.

// KeySource is where a database's pseudonym key may come from.
type KeySource struct {
	Path     string // the key file
	Env      string // FLEXEMP_ID_KEY's value, or ""
	Database string // the database's path, for messages
}

// FindKey finds the pseudonym key — FLEXEMP_ID_KEY, else the key file — and
// holds it to the stored fingerprint (none: the database never ingested).
// With no key anywhere it makes a key file when makeKey and the database has
// no fingerprint; it never makes one for a database that has. It returns
// where the key came from, in words for the operator (never the key).
func FindKey(src KeySource, stored string, makeKey bool) ([]byte, string, error) {
	path := src.Path
	file, err := readKeyFile(path)
	if err != nil {
		return nil, "", err
	}
	var key []byte
	var source string
	switch env := src.Env; {
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
			src.Database, stored[:8], path)
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
	if fp := KeyFingerprint(key); stored != "" && fp != stored {
		return nil, "", fmt.Errorf("假名密钥（指纹 %s…）与数据库 %s 首次入库时的密钥（指纹 %s…）不一致，拒绝运行：请恢复原密钥（%s 或 FLEXEMP_ID_KEY）", fp[:8], src.Database, stored[:8], path)
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
