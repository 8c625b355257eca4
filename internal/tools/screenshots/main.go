// Command screenshots draws the report's charts of an assessed period as
// PNG files, for docs/screenshots: what reviewers see, kept beside the
// code that draws it (go run ./internal/tools/screenshots --db DB --period P --out DIR).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/transform"
)

func main() {
	db := flag.String("db", "flexemp.db", "an assessed database")
	period := flag.String("period", "", "the period, e.g. 2025")
	out := flag.String("out", "docs/screenshots", "folder for the PNG files")
	flag.Parse()
	if err := run(*db, *period, *out); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(dbPath, period, out string) error {
	ctx := context.Background()
	p, err := flexemp.ParsePeriod(period)
	if err != nil {
		return err
	}
	db, err := transform.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	d, err := reports.Load(ctx, db, p, time.Now())
	if err != nil {
		return err
	}
	pngs, err := reports.ChartImages(ctx, reports.Charts(d))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for id, b := range pngs {
		path := filepath.Join(out, id+".png")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		fmt.Println(path)
	}
	return nil
}
