package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/cli"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

// The commands on a period's assessment: assess, rank, explain, integrity
// and report.

func runAssess(c *call) error {
	c.dbFlags()
	p := c.flags.Period()
	seed := c.flags.Uint64("seed", 0, "敏感性分析的随机种子（默认取配置，为 1）")
	draws := c.flags.Int("draws", 0, "敏感性分析的模拟次数（默认取配置，为 1000）")
	asOf := c.flags.Date("as-of", "考核截至日期 YYYY-MM-DD（默认北京时间今天）：只计此前已到报送截止时间的月份")

	source := c.flags.String("source", "db", "考核的数据来源：db（数据库中的数据），或 parquet:目录（flexemp export 导出的目录；结果存入 --db，该库不能有上传数据）")
	if err := c.parse(); err != nil {
		return err
	}
	lake, fromLake := strings.CutPrefix(*source, "parquet:")
	switch {
	case *source != "db" && (!fromLake || lake == ""):
		return cli.Usagef("--source 应为 db 或 parquet:目录")
	case *draws < 0:
		return cli.Usagef("--draws 应为正整数")
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	o, err := s.Assess()
	if err != nil {
		return err
	}
	if *seed != 0 {
		o.Seed = *seed
	}
	if *draws != 0 {
		o.Draws = *draws
	}
	if c.flags.Given("as-of") {
		o.AsOf = *asOf
	}
	var st *store.Store
	if fromLake {
		if s.Held() != nil {
			return flexemp.Errorf(flexemp.ECONFLICT, "服务正在使用该数据库：考核 Parquet 目录请把结果存入单独的数据库文件（--db 新文件）")
		}
		o.Lake = lake
		st, err = s.Store(c.ctx, true) // a results database may be new
	} else {
		st, err = s.Store(c.ctx, false)
	}
	if err != nil {
		return err
	}
	a, err := st.AssessWith(c.ctx, *p, o) // through the store: its lock and audit trail
	if err != nil {
		return err
	}
	fmt.Fprint(c.stdout, a.Summary())
	return nil
}

func runRank(c *call) error {
	c.dbFlags()
	p, format := c.flags.Period(), c.flags.Format(tableJSONCSV...)
	state := cli.Value(c.flags, "state", "draft（草稿）、published（公示稿）或 final（定稿）（默认：有定稿显示定稿，否则公示稿，否则最新草稿）", false, issuing.ParseState)
	if err := c.parse(); err != nil {
		return err
	}
	db, err := c.open()
	if err != nil {
		return err
	}
	out, err := issuing.RankingIn(c.ctx, db, *p, *state)
	if out == nil && err == nil {
		var pr *metrics.PeriodResult
		if err = assessedIn(c.ctx, db, *p); err == nil {
			pr, err = metrics.Load(c.ctx, db, *p)
		}
		if err != nil {
			return err
		}
		r := pr.Ranking()
		out = &r
	}
	if err != nil {
		return err
	}
	if *format == "json" {
		return c.json(out)
	}
	return reports.WriteRanking(c.stdout, out, *format, fmt.Sprintf("%s 排名（%s）", p, issuing.StateText(out)))
}

func runExplain(c *call) error {
	c.dbFlags()
	p, city, format := c.flags.Period(), c.flags.City("城市代码或名称", true), c.flags.Format("table", "json")
	byCounty := c.flags.Bool("by-county", false, "列出该市各区县的指标（不参与排名）")
	if err := c.parse(); err != nil {
		return err
	}
	db, err := c.assessed(*p)
	if err != nil {
		return err
	}
	if *byCounty {
		cc, err := metrics.Counties(c.ctx, db, *p, city.Code)
		if err != nil || *format == "json" {
			return errors.Join(err, c.json(cc))
		}
		return reports.WriteCounties(c.stdout, cc, city.Name)
	}
	e, err := metrics.Explain(c.ctx, db, *p, city.Code)
	if err != nil {
		return err
	}
	if *format == "json" {
		return c.json(e)
	}
	return reports.WriteExplanation(c.stdout, e)
}

// runIntegrity prints a period's integrity findings (数据核查) with their
// evidence, as stored by assess.
func runIntegrity(c *call) error {
	c.dbFlags()
	p, format := c.flags.Period(), c.flags.Format(tableJSONCSV...)
	if err := c.parse(); err != nil {
		return err
	}
	db, err := c.assessed(*p)
	if err != nil {
		return err
	}
	found, err := metrics.Integrity(c.ctx, db, *p, "")
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return c.json(reports.FindingsOf(*p, found))
	case "csv":
		return reports.WriteFindingsCSV(c.stdout, *p, found)
	}
	return reports.WriteFindings(c.stdout, *p, found)
}

func runReport(c *call) error {
	c.dbFlags()
	p, out := c.flags.Period(), c.flags.Out("输出目录：report.html 与 ranking.xlsx")
	pdf := c.flags.Bool("pdf", false, "同时输出 report.pdf（A4，由无界面 chromium 打印）")
	if err := c.parse(); err != nil {
		return err
	}
	db, err := c.assessed(*p)
	if err != nil {
		return err
	}
	data, err := reports.Load(c.ctx, db, *p, time.Now())
	if err != nil {
		return err
	}
	w, err := reports.Write(*out, data)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s\n%s\n", w.Report, w.Ranking)
	if !*pdf {
		return nil
	}
	html, err := os.ReadFile(w.Report)
	if err != nil {
		return err
	}
	b, err := reports.PDF(c.ctx, html)
	if err != nil {
		return fmt.Errorf("打印 PDF 失败（需要 chromium）：%w", err)
	}
	path := filepath.Join(filepath.Dir(w.Report), "report.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, path)
	return nil
}
