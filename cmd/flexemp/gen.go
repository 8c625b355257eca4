package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/app"
	"github.com/liaoning-hrss/flexemp/bench"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/cli"
	"github.com/liaoning-hrss/flexemp/walkthrough"
)

// The commands that need no database of the operator's: the generator,
// the templates, the demo and the benchmarks.

func runGen(c *call) error {
	out := c.flags.Out("输出目录")
	seed := c.flags.Uint64("seed", 1, "随机种子：相同种子生成完全相同的文件")
	scale := c.flags.Float64("scale", gen.DefaultScale, "数据规模：1 约等于全省一年的真实行数")
	from, to := c.flags.Month("from", "起始月份 YYYY-MM（默认 2024-01）"), c.flags.Month("to", "结束月份 YYYY-MM（默认 2025-12）")
	*from, *to = flexemp.Month{Year: 2024, Month: 1}, flexemp.Month{Year: 2025, Month: 12}
	if err := c.parse(); err != nil {
		return err
	}
	switch {
	case to.First().Before(from.First()):
		return cli.Usagef("--to 不能早于 --from")
	case *scale <= 0 || *scale > 10:
		return cli.Usagef("--scale 应在 (0, 10] 之间")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	man, err := gen.Generate(*out, gen.Options{Seed: *seed, Scale: *scale, From: *from, To: *to})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s：%s\n", *out, man.Summary())
	return nil
}

func runTemplate(c *call) error {
	kind, out := c.flags.Kind("数据类型：registrations、subsidies、trainings 或 services"), c.flags.Out("输出文件 FILE.xlsx")
	month := c.flags.Month("month", "模板适用的月份 YYYY-MM（默认本月）：按该月适用的数据规范版本生成列")
	*month = flexemp.MonthOf(time.Now().In(flexemp.Shanghai))
	if err := c.parse(); err != nil {
		return err
	}
	if !strings.HasSuffix(strings.ToLower(*out), ".xlsx") {
		return cli.Usagef("--out 应以 .xlsx 结尾")
	}
	if err := writeFile(*out, func(w io.Writer) error { return ingest.WriteTemplate(w, *kind, *month) }); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %s上传模板（%s，第%d版）\n", *out, kind.Title(), *month, flexemp.ContractOf(*kind).VersionAt(*month))
	return nil
}

// runDemo shows the whole product on a small synthetic province (package
// walkthrough) and prints the report's path with a short ranking.
func runDemo(c *call) error {
	dir := c.flags.String("dir", "demo", "工作目录（先清空）")
	seed := c.flags.Uint64("seed", 1, "随机种子")
	if err := c.parse(); err != nil {
		return err
	}
	cfg := app.Default()
	cfg.Notices = c.stderr
	o, err := cfg.AssessOptions()
	if err != nil {
		return err
	}
	out, err := walkthrough.Run(c.ctx, walkthrough.Options{Dir: *dir, Seed: *seed, Assess: o, Log: c.stderr,
		Open: func(ctx context.Context, path string) (*sql.DB, *ingest.Ingester, error) {
			cfg.DB = path
			return cfg.OpenIngest(ctx)
		}})
	if err != nil {
		return err
	}
	if err := out.WriteSummary(c.stdout); err != nil || out.Counts.Refused == 0 {
		return err
	}
	return exitError(1)
}

// runBench measures whole-pipeline figures with this binary (package bench).
func runBench(c *call) error {
	o := bench.Flags(c.flags.FlagSet)
	if err := c.parse(); err != nil {
		return err
	}
	if !slices.Contains(bench.Suites, o.Suite) {
		return cli.Usagef("--suite 应为 %s 之一", strings.Join(bench.Suites, "、"))
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return bench.Run(c.ctx, self, o, c.stdout, c.stderr)
}
