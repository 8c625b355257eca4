package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the restored file is opened before it is migrated

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/sqltext"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
)

// BackupInfo is a backup's manifest, backup.json beside the data.
type BackupInfo struct {
	Made       time.Time `json:"made"`
	Migrations int       `json:"migrations"`
	Uploads    int       `json:"uploads"`
	KeyPrint   string    `json:"key_fingerprint"` // the pseudonym key's, never the key: it is backed up on its own
	// Removed are the folders an interrupted backup had left beside this
	// one, removed first.
	Removed []string `json:"removed,omitempty"`
}

const backupManifest = "backup.json"

// Backup writes a consistent copy of the database into dir, which must not
// exist or be empty: DuckDB's EXPORT DATABASE (schema and Parquet data)
// under the write lock, so no upload or assessment is half in it, and
// backup.json — written beside dir and renamed into place when whole, so a
// killed backup leaves no half backup in dir (its leftovers beside it are
// removed by the next). The pseudonym key is not in it: it is kept apart.
func (s *Store) Backup(ctx context.Context, dir string) (info *BackupInfo, err error) {
	// The record of a backup stands where its snapshot was taken, under the
	// same lock (an upload committed after the snapshot is recorded after
	// it); a backup that fails is recorded with its error.
	recorded := false
	defer func() {
		if err != nil || !recorded {
			err = errors.Join(err, s.Audit(ctx, "backup", dir, err))
		}
	}()
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	info = &BackupInfo{Made: time.Now().In(flexemp.Shanghai)}
	if info.Removed, err = removeLeftovers(dir); err != nil {
		return nil, err
	}
	tmp, err := besideTemp(dir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // gone once renamed; left by a failure
	err = s.Write(func() error {
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf("EXPORT DATABASE %s (FORMAT PARQUET, COMPRESSION ZSTD)", sqltext.String(tmp))); err != nil {
			return err
		}
		s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&info.Migrations)
		s.db.QueryRowContext(ctx, `SELECT count(*) FROM uploads`).Scan(&info.Uploads)
		s.db.QueryRowContext(ctx, `SELECT coalesce(max(fingerprint), '') FROM key_fingerprint`).Scan(&info.KeyPrint)
		if err := s.audit(ctx, "backup", dir, nil); err != nil {
			return err
		}
		recorded = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	manifest := *info
	manifest.Removed = nil
	b, _ := json.MarshalIndent(manifest, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, backupManifest), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	// dir is new or empty: into its place.
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return info, os.Rename(tmp, dir)
}

// Restore makes a new database file at path from a backup folder, migrated
// to this build's schema, its audit trail going on from the backup's head
// with the restore. The file must not exist: a restore never overwrites a
// database. The pseudonym key is the operator's to put back (it is backed
// up on its own).
func Restore(ctx context.Context, from, path string) (*BackupInfo, error) {
	b, err := os.ReadFile(filepath.Join(from, backupManifest))
	if err != nil {
		return nil, flexemp.Errorf(flexemp.EINVALID, "%s 不是 flexemp 备份（缺少 %s）", from, backupManifest)
	}
	var info BackupInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, flexemp.Errorf(flexemp.EINVALID, "%s 的 %s 无法读取", from, backupManifest)
	}
	// Lstat: a link at the path, even one to nothing, is something there
	// (DuckDB would write the restored file wherever it points).
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil, flexemp.Errorf(flexemp.ECONFLICT, "%s 已存在（或是一个链接）：恢复只写入新的数据库文件，请另选路径或先移走原文件", path)
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return nil, err
	}
	_, err = db.ExecContext(ctx, fmt.Sprintf("IMPORT DATABASE %s", sqltext.String(from)))
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		os.Remove(path + ".wal")
		return nil, err
	}
	if db, err = transform.Open(ctx, path); err != nil {
		return nil, err
	}
	st := New(db, nil, metrics.AssessOptions{})
	return &info, errors.Join(st.Audit(ctx, "restore", from, nil), st.Close())
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return err
	case len(entries) > 0:
		return flexemp.Errorf(flexemp.ECONFLICT, "目录 %s 不是空的：请另选一个新的或空的目录", dir)
	}
	return nil
}
