package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/liaoning-hrss/flexemp/reports"
)

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var d dbFlags
	var out string
	var pdf bool
	p, _, err := periodFlags("report", d.registerFlags, args, stderr, nil, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "输出目录：report.html 与 ranking.xlsx")
		fs.BoolVar(&pdf, "pdf", false, "同时输出 report.pdf（A4，由无界面 chromium 打印）")
	})
	if err != nil {
		return err
	}
	if err := required("out", out); err != nil {
		return err
	}
	db, _, err := d.openAssessed(ctx, p)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	data, err := reports.Load(ctx, db, p, time.Now())
	if err != nil {
		return err
	}
	w, err := reports.Write(out, data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n%s\n", w.Report, w.Ranking)
	if pdf {
		html, err := os.ReadFile(w.Report)
		if err != nil {
			return err
		}
		b, err := reports.PDF(ctx, html)
		if err != nil {
			return fmt.Errorf("打印 PDF 失败（需要 chromium）：%w", err)
		}
		path := filepath.Join(filepath.Dir(w.Report), "report.pdf")
		if err := writeFile(path, func(f io.Writer) error { _, err := f.Write(b); return err }); err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
	}
	return nil
}
