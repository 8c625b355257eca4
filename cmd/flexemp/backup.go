package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/app"
	"github.com/liaoning-hrss/flexemp/store"
)

// runBackup makes a consistent copy of the database: through the serve
// process when one holds it (its admin socket), else directly.
func runBackup(c *call) error {
	c.dbFlags()
	out := c.flags.Out("备份目录：新目录或空目录")
	if err := c.parse(); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	info, err := app.Backup(c.ctx, cfg, dir)
	if err != nil {
		return err
	}
	sayRemoved(c, info.Removed)
	fmt.Fprintf(c.stdout, "已备份到 %s：%d 个上传版本，迁移 %d 项。假名密钥不在备份中，请另行保管（见使用说明“备份与密钥”，服务的 /help 页面）\n", dir, info.Uploads, info.Migrations)
	return nil
}

// runRestore makes a new database file from a backup.
func runRestore(c *call) error {
	from := c.flags.String("from", "", "flexemp backup 生成的备份目录")
	to := c.flags.String("db", "", "恢复出的新数据库文件（不能已存在）")
	c.flags.Require("from", "db")
	if err := c.parse(); err != nil {
		return err
	}
	info, err := store.Restore(c.ctx, *from, *to)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "已从 %s 恢复到 %s（备份于 %s，%d 个上传版本）。请把原假名密钥放到 %s.key 或设置 FLEXEMP_ID_KEY\n",
		*from, *to, info.Made.Format("2006-01-02 15:04"), info.Uploads, *to)
	if _, err := os.Stat(*to + ".key"); err != nil {
		fmt.Fprintln(c.stderr, "提示：尚无密钥文件；用其他密钥入库会被拒绝（指纹不符）")
	}
	return nil
}

// runExport writes the lake: the current versions' pseudonymised rows as
// Hive-partitioned Parquet, for engines beyond one machine.
func runExport(c *call) error {
	c.dbFlags()
	out := c.flags.Out("导出目录：新目录、空目录或此前的导出目录（整体替换）")
	period := c.flags.OptionalPeriod("只导出该考核期的月份，如 2025 或 2025Q3（默认全部）")
	if err := c.parse(); err != nil {
		return err
	}
	p := period()
	st, err := c.store(false)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	sc, err := st.Export(c.ctx, dir, p)
	if err != nil {
		return err
	}
	sayRemoved(c, sc.Removed)
	if sc.Unchanged {
		fmt.Fprintf(c.stdout, "%s 已是这些上传版本的导出（%d 个），未改动\n", dir, len(sc.UploadIDs))
		return nil
	}
	fmt.Fprintf(c.stdout, "已导出到 %s：%d 个当前上传版本", dir, len(sc.UploadIDs))
	for _, k := range flexemp.Kinds {
		fmt.Fprintf(c.stdout, "，%s %d 行", k.Title(), sc.Kinds[string(k)].Rows)
	}
	fmt.Fprintln(c.stdout)
	return nil
}

// sayRemoved names the folders an interrupted export or backup had left,
// which this run removed.
func sayRemoved(c *call, removed []string) {
	for _, r := range removed {
		fmt.Fprintf(c.stdout, "已清理上次中断留下的临时目录 %s\n", r)
	}
}
