package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// runBackup makes a consistent copy of the database: through the serve
// process when one holds it (its admin socket), else directly.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	var d dbFlags
	d.register(fs)
	out := fs.String("out", "", "备份目录：新目录或空目录")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("out", *out); err != nil {
		return err
	}
	cfg, err := d.load()
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	info := &store.BackupInfo{}
	err = server.AskAdmin(ctx, cfg.DB, "/backup", map[string]string{"out": dir}, info)
	if errors.Is(err, server.ErrNoServe) {
		db, err := cfg.openExisting(ctx)
		if err != nil {
			return err
		}
		st := store.New(db, nil, metrics.AssessOptions{})
		defer st.Close()
		if info, err = st.Backup(ctx, dir); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	sayRemoved(stdout, info.Removed)
	fmt.Fprintf(stdout, "已备份到 %s：%d 个上传版本，迁移 %d 项。假名密钥不在备份中，请另行保管（见使用说明“备份与密钥”，服务的 /help 页面）\n", dir, info.Uploads, info.Migrations)
	return nil
}

// runRestore makes a new database file from a backup.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	from := fs.String("from", "", "flexemp backup 生成的备份目录")
	to := fs.String("db", "", "恢复出的新数据库文件（不能已存在）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("from", *from); err != nil {
		return err
	}
	if err := required("db", *to); err != nil {
		return err
	}
	info, err := store.Restore(ctx, *from, *to)
	if err != nil {
		return err
	}
	// Migrations newer than the backup apply as the file is opened; the key
	// is the operator's to put back (it is backed up on its own).
	db, err := transform.Open(ctx, *to)
	if err != nil {
		return err
	}
	// The restored trail goes on from the backup's head.
	err = store.New(db, nil, metrics.AssessOptions{}).Audit(ctx, "restore", *from, nil)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已从 %s 恢复到 %s（备份于 %s，%d 个上传版本）。请把原假名密钥放到 %s.key 或设置 FLEXEMP_ID_KEY\n",
		*from, *to, info.Made.Format("2006-01-02 15:04"), info.Uploads, *to)
	if _, err := os.Stat(*to + ".key"); err != nil {
		fmt.Fprintln(stderr, "提示：尚无密钥文件；用其他密钥入库会被拒绝（指纹不符）")
	}
	return nil
}

// runExport writes the lake: the current versions' pseudonymised rows as
// Hive-partitioned Parquet, for engines beyond one machine.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", stderr)
	var d dbFlags
	d.register(fs)
	out := fs.String("out", "", "导出目录：新目录、空目录或此前的导出目录（整体替换）")
	period := fs.String("period", "", "只导出该考核期的月份，如 2025 或 2025Q3（默认全部）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("out", *out); err != nil {
		return err
	}
	p, err := optionalPeriod(*period)
	if err != nil {
		return err
	}
	_, db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	dir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	sc, err := store.New(db, nil, metrics.AssessOptions{}).Export(ctx, dir, p)
	if err != nil {
		return err
	}
	sayRemoved(stdout, sc.Removed)
	if sc.Unchanged {
		fmt.Fprintf(stdout, "%s 已是这些上传版本的导出（%d 个），未改动\n", dir, len(sc.UploadIDs))
		return nil
	}
	fmt.Fprintf(stdout, "已导出到 %s：%d 个当前上传版本", dir, len(sc.UploadIDs))
	for _, k := range flexemp.Kinds {
		fmt.Fprintf(stdout, "，%s %d 行", k.Title(), sc.Kinds[string(k)].Rows)
	}
	fmt.Fprintln(stdout)
	return nil
}

// sayRemoved names the folders an interrupted export or backup had left,
// which this run removed.
func sayRemoved(w io.Writer, removed []string) {
	for _, r := range removed {
		fmt.Fprintf(w, "已清理上次中断留下的临时目录 %s\n", r)
	}
}
