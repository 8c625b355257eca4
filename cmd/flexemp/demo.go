package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
)

// runDemo generates a small synthetic province and ingests every file as the
// cities sent it, each with its month and receipt time from the manifest.
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
	fmt.Fprintf(stdout, "入库 %d 行，拒绝 %d 行，拒收文件 %d 个，用时 %.1f 秒\n", accepted, rejected, refused, time.Since(start).Seconds())
	fmt.Fprintf(stdout, "数据库：%s\n查看上传台账：flexemp uploads --db %s\n", cfg.DB, cfg.DB)
	if refused > 0 {
		return exitError(1)
	}
	return nil
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
