package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// runAudit lists the audit trail, or (audit verify) walks its chain. It
// reads without the pseudonym key: an auditor needs none.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verify := len(args) > 0 && args[0] == "verify"
	if verify {
		args = args[1:]
	}
	fs := newFlags("audit", stderr)
	var d dbFlags
	d.register(fs)
	since := fs.String("since", "", "只列此日期（YYYY-MM-DD）以来的记录")
	actor := fs.String("actor", "", "只列此操作者的记录，如 cli:root、scheduler 或 token:3")
	action := fs.String("action", "", "只列此操作，如 login、upload、assess、token.add")
	format := fs.String("format", "table", "table、json 或 csv")
	head := fs.String("head", "", "verify：核对此前邮件中的链头 序号:哈希")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := d.load()
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.DB); err != nil {
		return flexemp.Errorf(flexemp.ENOTFOUND, "数据库 %s 不存在", cfg.DB)
	}
	db, err := transform.Open(ctx, cfg.DB, cfg.DuckDB)
	if err != nil {
		return err
	}
	defer db.Close()
	if verify {
		seq, hash, err := store.VerifyAudit(ctx, db, *head)
		var broken *store.AuditBroken
		if errors.As(err, &broken) {
			fmt.Fprintf(stdout, "审计日志校验失败：%s\n", broken.Error())
			return exitError(1)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "审计日志完整：共 %d 条，链头 %d:%s\n", seq, seq, hash)
		return nil
	}
	f := store.AuditFilter{Actor: *actor, Action: *action}
	if *since != "" {
		if f.Since, err = flexemp.ParseDate(*since); err != nil {
			return usagef("%s", flexemp.ErrorMessage(err))
		}
	}
	rs, total, err := store.FindAudit(ctx, db, f)
	if err != nil {
		return err
	}
	return reports.WriteAudit(stdout, rs, total, *format)
}
