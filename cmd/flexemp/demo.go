package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

// runDemo shows the whole product on a small synthetic province: it ingests
// every file as the cities sent it (each with its month and receipt time from
// the manifest), assesses every year and quarter, writes the report for the
// latest year and prints its path with a short ranking.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	dir := fs.String("dir", "demo", "working folder; emptied first")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	start := time.Now()
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	data := filepath.Join(*dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	man, err := gen.Generate(data, gen.Options{Seed: *seed})
	if err != nil {
		return err
	}
	cfg := defaultConfig()
	cfg.DB = filepath.Join(*dir, "flexemp.db")
	db, g, err := cfg.openIngest(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	accepted, rejected, refused, err := ingestManifest(ctx, g, data, man, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "演示省份：14 个城市，%s 至 %s，%d 个文件（%d 个未报送）\n", man.From, man.To, len(man.Files), len(man.Missing))
	fmt.Fprintf(stdout, "入库 %d 行，拒绝 %d 行，拒收文件 %d 个\n", accepted, rejected, refused)
	if refused > 0 {
		return exitError(1)
	}
	from, _ := flexemp.ParseMonth(man.From)
	to, _ := flexemp.ParseMonth(man.To)
	o, err := cfg.assessOptions()
	if err != nil {
		return err
	}
	var latest flexemp.Period
	for y := from.Year; y <= to.Year; y++ {
		for q := 0; q <= 4; q++ {
			p := flexemp.Period{Year: y, Quarter: q}
			if _, err := metrics.Assess(ctx, db, p, o); err != nil {
				return fmt.Errorf("assess %s: %w", p, err)
			}
		}
		latest = flexemp.Period{Year: y}
	}
	rd, err := reports.Load(ctx, db, latest, time.Now())
	if err != nil {
		return err
	}
	written, err := reports.Write(filepath.Join(*dir, "report"), rd)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已考核 %d–%d 年各年度和季度，用时 %.1f 秒\n", from.Year, to.Year, time.Since(start).Seconds())
	fmt.Fprintf(stdout, "报告：%s\n\n", written.Report)
	writeSummary(stdout, rd.Result)
	return nil
}

// writeSummary prints a ranking in five lines: the top three, the last, and
// the grades with the cities recommended for priority.
func writeSummary(w io.Writer, r *metrics.PeriodResult) {
	var ranked []metrics.CityResult
	grades := map[string]int{}
	var priority []string
	for _, c := range r.Cities {
		grades[c.Grade]++
		if c.Priority {
			priority = append(priority, c.Name)
		}
		if c.Ranked {
			ranked = append(ranked, c)
		}
	}
	line := func(c metrics.CityResult) {
		fmt.Fprintf(w, "%2d  %s  指数 %.2f  90%%区间 %d–%d  %s\n", c.Rank, c.Name, *c.Index, c.RankP5, c.RankP95, c.Grade)
	}
	for i := 0; i < 3 && i < len(ranked); i++ {
		line(ranked[i])
	}
	if len(ranked) > 3 {
		line(ranked[len(ranked)-1])
	}
	if len(priority) == 0 {
		priority = []string{"无"}
	}
	fmt.Fprintf(w, "%s：优秀 %d、良好 %d、一般 %d、数据不足 %d；推荐优先纳入创业型城市创建范围：%s\n", r.Period.Label(),
		grades["优秀"], grades["良好"], grades["一般"], grades["数据不足"], strings.Join(priority, "、"))
}

// ingestManifest ingests every generated file as its city sent it, with its
// month and receipt time from the manifest, and counts the rows and the
// refused files (each one reported on w).
func ingestManifest(ctx context.Context, g *ingest.Ingester, data string, man *gen.Manifest, w io.Writer) (accepted, rejected, refused int, err error) {
	for _, f := range man.Files {
		month, _ := flexemp.ParseMonth(f.Month)
		received, _ := time.Parse(time.RFC3339, f.ReceivedAt)
		res, err := g.Ingest(ctx, ingest.Request{Path: filepath.Join(data, f.Path), City: f.City, Kind: f.Kind,
			Month: month, ReceivedAt: received, Uploader: "demo"})
		if err != nil {
			return accepted, rejected, refused, fmt.Errorf("%s: %w", f.Path, err)
		}
		if res.Status == ingest.StatusRefused {
			refused++
			fmt.Fprintln(w, summaryLine(res))
		}
		accepted += res.Accepted
		rejected += res.Rejected
	}
	return accepted, rejected, refused, nil
}
