package main

import (
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/app"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// runAudit lists the audit trail, or (audit verify) walks its chain. It
// reads without the pseudonym key: an auditor needs none.
func runAudit(c *call) error {
	verify := len(c.args) > 0 && c.args[0] == "verify"
	if verify {
		c.args, c.name = c.args[1:], "audit verify"
	}
	c.dbFlags()
	since := c.flags.Date("since", "只列此日期（YYYY-MM-DD）以来的记录")

	actor := c.flags.String("actor", "", "只列此操作者的记录，如 cli:root、scheduler 或 token:3")
	action := c.flags.String("action", "", "只列此操作，如 login、upload、assess、token.add")
	format := c.flags.Format(tableJSONCSV...)
	head := c.flags.String("head", "", "verify：核对此前邮件中的链头 序号:哈希")
	if err := c.parse(); err != nil {
		return err
	}
	db, done, err := c.auditDB()
	if err != nil {
		return err
	}
	defer done()
	if !verify {
		rs, total, err := store.FindAudit(c.ctx, db, store.AuditFilter{Actor: *actor, Action: *action, Since: *since})
		if err != nil {
			return err
		}
		return reports.WriteAudit(c.stdout, rs, total, *format)
	}
	seq, hash, err := store.VerifyAudit(c.ctx, db, *head)
	var broken *store.AuditBroken
	if errors.As(err, &broken) {
		fmt.Fprintf(c.stdout, "审计日志校验失败：%s\n", broken.Error())
		return exitError(1)
	}
	if err == nil {
		fmt.Fprintf(c.stdout, "审计日志完整：共 %d 条，链头 %d:%s\n", seq, seq, hash)
	}
	return err
}

// auditDB is the database the audit trail is read from, without the
// pseudonym key: serve's while it holds the file (the command runs inside
// it, so a head from a mail is checked without stopping the service), else
// the file opened alone. done closes what auditDB opened.
func (c *call) auditDB() (db *sql.DB, done func(), err error) {
	if svc := app.Held(c.ctx); svc != nil {
		return svc.Store.DB(), func() {}, nil
	}
	cfg, err := c.load()
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(cfg.DB); err != nil {
		return nil, nil, flexemp.Errorf(flexemp.ENOTFOUND, "数据库 %s 不存在", cfg.DB)
	}
	if db, err = transform.Open(c.ctx, cfg.DB, cfg.DuckDB); err != nil {
		return nil, nil, err
	}
	return db, func() { db.Close() }, nil
}
