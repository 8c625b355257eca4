package ingest_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/transform"
)

// benchFile writes (once per run) a file of n valid registrations.
func benchFile(b *testing.B, name string, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "flexemp-bench")
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		if err := gen.BigRegistrations(path, n, 1); err != nil {
			b.Fatal(err)
		}
	}
	return path
}

func peakRSSMiB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}

// ingestOnce loads path into a fresh DuckDB file and returns the time taken.
func ingestOnce(b *testing.B, path string, n int) time.Duration {
	db, err := transform.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := &ingest.Ingester{DB: db, Key: testKey}
	start := time.Now()
	res, err := g.Ingest(context.Background(), ingest.Request{Path: path, City: "210100", Kind: flexemp.Registrations, Month: march2024})
	took := time.Since(start)
	if err != nil || res.Accepted != n {
		b.Fatalf("%v %+v", err, res)
	}
	return took
}

// readCSVOnce is DuckDB's own read_csv of the same file into a table of a
// fresh DuckDB file: the yardstick.
func readCSVOnce(b *testing.B, path string, n int) time.Duration {
	db, err := sql.Open("duckdb", filepath.Join(b.TempDir(), "yardstick.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if _, err := db.Exec(`CREATE TABLE t AS SELECT * FROM read_csv(?, header = true, all_varchar = true)`, path); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	var got int
	db.QueryRow(`SELECT count(*) FROM t`).Scan(&got)
	if got != n {
		b.Fatalf("read_csv loaded %d rows", got)
	}
	return took
}

// BenchmarkIngestCSV1M: validated ingest of a 1M-row registrations CSV into
// a DuckDB file, beside DuckDB's read_csv of the same file in the same run.
func BenchmarkIngestCSV1M(b *testing.B) {
	const n = 1_000_000
	path := benchFile(b, "registrations-1m.csv", n)
	var ours, theirs time.Duration
	for b.Loop() {
		ours += ingestOnce(b, path, n)
		theirs += readCSVOnce(b, path, n)
	}
	runs := float64(b.N)
	b.ReportMetric(n*runs/ours.Seconds(), "rows/s")
	b.ReportMetric(n*runs/theirs.Seconds(), "read_csv-rows/s")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "x-read_csv")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkIngestXLSX: validated ingest of a 200k-row workbook.
func BenchmarkIngestXLSX(b *testing.B) {
	const n = 200_000
	path := benchFile(b, "registrations-200k.xlsx", n)
	var ours time.Duration
	for b.Loop() {
		ours += ingestOnce(b, path, n)
	}
	b.ReportMetric(n*float64(b.N)/ours.Seconds(), "rows/s")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkXLSXRead: reading the same workbook row by row, the reader
// alone (no validation or loading).
func BenchmarkXLSXRead(b *testing.B) {
	const n = 200_000
	path := benchFile(b, "registrations-200k.xlsx", n)
	for b.Loop() {
		rows, whole, err := ingest.ReadXLSX(path)
		if err != nil || rows != n+1 {
			b.Fatal(rows, err)
		}
		b.ReportMetric(float64(whole)/float64(rows), "whole/row")
	}
}

// BenchmarkIngestSmallFile: the fixed cost of one upload (a 4-row file, a
// new version each time), which dominates a province of small monthly files.
func BenchmarkIngestSmallFile(b *testing.B) {
	db, err := transform.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := &ingest.Ingester{DB: db, Key: testKey}
	files := []string{filepath.Join(testdata, "registrations_bom.csv"), filepath.Join(testdata, "registrations_gbk.csv")}
	i := 0
	for b.Loop() {
		res, err := g.Ingest(context.Background(), ingest.Request{Path: files[i%2], City: "210100", Kind: flexemp.Registrations, Month: march2024})
		if err != nil || res.Status != ingest.StatusAccepted {
			b.Fatal(err, res.Error)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uploads/s")
}
