package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/walkthrough"
)

// runDemo shows the whole product on a small synthetic province (package
// demo) and prints the report's path with a short ranking.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	dir := fs.String("dir", "demo", "工作目录（先清空）")
	seed := fs.Uint64("seed", 1, "随机种子")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := defaultConfig()
	o, err := cfg.assessOptions()
	if err != nil {
		return err
	}
	out, err := walkthrough.Run(ctx, walkthrough.Options{Dir: *dir, Seed: *seed, Assess: o, Log: stderr,
		Open: func(ctx context.Context, path string) (*sql.DB, *ingest.Ingester, error) {
			cfg.DB = path
			return cfg.openIngest(ctx)
		}})
	if err != nil {
		return err
	}
	man, n := out.Manifest, out.Counts
	fmt.Fprintf(stdout, "演示省份：14 个城市，%s 至 %s，%d 个文件（%d 个未报送）\n", man.From, man.To, len(man.Files), len(man.Missing))
	fmt.Fprintf(stdout, "入库 %d 行，拒绝 %d 行，拒收文件 %d 个\n", n.Accepted, n.Rejected, n.Refused)
	if n.Refused > 0 {
		return exitError(1)
	}
	fmt.Fprintf(stdout, "已考核 %s 至 %s 各年度和季度，用时 %.1f 秒\n", man.From, man.To, out.Took.Seconds())
	for _, w := range out.Withheld {
		fmt.Fprintln(stdout, reports.WithheldText(w.Period, w.City, w.Indicators))
	}
	fmt.Fprintln(stdout, reports.FindingsLine(out.Findings))
	fmt.Fprintf(stdout, "报告：%s\n\n", out.Report)
	return reports.WriteSummary(stdout, out.Result)
}
