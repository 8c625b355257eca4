package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/internal/cli"
	"github.com/liaoning-hrss/flexemp/reports"
)

// dispatchFlags registers --year and --as-of; the report they ask for is
// counted once parse has read them.
func (c *call) dispatchFlags() func() (*dispatch.Report, error) {
	c.dbFlags()
	year := c.flags.Int("year", 0, "调度的年度，如 2025")
	asOf := c.flags.Date("as-of", "调度截至日期 YYYY-MM-DD（默认北京时间今天）：只计此前已到报送截止时间的月份")
	c.flags.Require("year")
	return func() (*dispatch.Report, error) {
		if *year < 2000 || *year > 2100 {
			return nil, cli.Usagef("--year 应为年份，如 2025")
		}
		s, err := c.session()
		if err != nil {
			return nil, err
		}
		d, err := s.Dispatcher(c.ctx)
		if err != nil {
			return nil, err
		}
		var at time.Time
		if c.flags.Given("as-of") {
			at = *asOf
		}
		return d.Report(c.ctx, *year, at)
	}
}

func runDispatch(c *call) error {
	report := c.dispatchFlags()
	format := c.flags.Format("table", "json")
	if err := c.parse(); err != nil {
		return err
	}
	r, err := report()
	if err != nil {
		return err
	}
	if *format == "json" {
		return c.json(r)
	}
	return dispatch.WriteTable(c.stdout, r)
}

func runBulletin(c *call) error {
	report := c.dispatchFlags()
	out := c.flags.Out("输出目录：bulletin.html 与 bulletin.pdf")
	if err := c.parse(); err != nil {
		return err
	}
	r, err := report()
	if err != nil {
		return err
	}
	var h bytes.Buffer
	if err := (&reports.Bulletin{Report: r, Made: time.Now()}).HTML(&h); err != nil {
		return err
	}
	pdf, err := reports.PDF(c.ctx, h.Bytes())
	if err != nil {
		return fmt.Errorf("打印 PDF 失败（需要 chromium）：%w", err)
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"bulletin.html": h.Bytes(), "bulletin.pdf": pdf} {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.stdout, "%s\n%s\n%s\n", r.Title(), filepath.Join(*out, "bulletin.html"), filepath.Join(*out, "bulletin.pdf"))
	return nil
}
