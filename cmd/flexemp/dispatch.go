package main

import (
	"fmt"
	"strings"
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
	paths, err := reports.WriteBulletin(c.ctx, *out, &reports.Bulletin{Report: r, Made: time.Now()})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s\n%s\n", r.Title(), strings.Join(paths, "\n"))
	return nil
}
