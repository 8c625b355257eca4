package bench

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/columns"
)

// provinceSuite backfills a province as an operator would: a generated
// province (scale 1, years ending with 2025; generated once and kept in
// dir) is dropped into a fresh database's inbox and picked up with
// `run-job inbox`, the latest year is assessed as of the day after its last
// deadline, and its report is written. Each step is its own child process,
// so its wall time and peak RSS are its own.
func provinceSuite(ctx context.Context, self, dir string, years int, memLimit string, stdout, stderr io.Writer) error {
	last := flexemp.Month{Year: 2025, Month: time.December}
	first := flexemp.Month{Year: last.Year - years + 1, Month: time.January}
	base := filepath.Join(dir, fmt.Sprintf("province-%dy", years))
	data := filepath.Join(base, "data")
	if _, err := os.Stat(filepath.Join(data, "manifest.json")); err != nil {
		os.RemoveAll(data)
		fmt.Fprintf(stderr, "generating a scale-1 province, %s to %s, in %s …\n", first, last, data)
		// In a child: the parent stays small, so no step's peak RSS counts
		// memory the parent had when it was forked.
		if _, _, err := child(ctx, self, "gen", "--scale", "1", "--out", data, "--from", first.String(), "--to", last.String()); err != nil {
			return fmt.Errorf("gen: %w", err)
		}
	}
	run := filepath.Join(base, "run")
	if err := os.RemoveAll(run); err != nil {
		return err
	}
	files, bytes, err := dropInto(data, filepath.Join(run, "inbox"))
	if err != nil {
		return err
	}
	config := filepath.Join(run, "flexemp.toml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf("[duckdb]\nmemory_limit = %q\n", memLimit)), 0o644); err != nil {
		return err
	}
	db := filepath.Join(run, "flexemp.db")
	year := flexemp.Period{Year: last.Year}
	// As of today: the inbox receives every file now, and an assessment as
	// of a date reads only what was received by then (以截止时报送数据为准).
	asOf := flexemp.DateOf(time.Now()).Format("2006-01-02")
	steps := []struct {
		name string
		args []string
	}{
		{"inbox", []string{"run-job", "--config", config, "--db", db, "inbox"}},
		{"assess " + year.String(), []string{"assess", "--config", config, "--db", db, "--period", year.String(), "--as-of", asOf}},
		{"report " + year.String(), []string{"report", "--config", config, "--db", db, "--period", year.String(), "--out", filepath.Join(run, "report")}},
	}
	yard, err := yardstick1M(ctx, self, dir, stderr)
	if err != nil {
		return err
	}
	tw := columns.NewWriter(stdout)
	limit := memLimit
	if limit == "" {
		limit = "DuckDB's default"
	}
	fmt.Fprintf(tw, "province backfill, scale 1, %s to %s: %d files, %.0f MB; memory_limit %s; read_csv of 1M rows in this run: %.2f s\n",
		first, last, files, float64(bytes)/1e6, limit, yard)
	fmt.Fprintln(tw, "step\ts\t/read_csv\tpeak RSS MiB")
	var total time.Duration
	for _, s := range steps {
		took, rss, err := child(ctx, self, s.args...)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		total += took
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%.0f\n", s.name, took.Seconds(), ratio(took.Seconds(), yard), rss)
	}
	st, err := os.Stat(db)
	if err != nil {
		return err
	}
	fmt.Fprintf(tw, "all\t%.2f\t%s\t\n", total.Seconds(), ratio(total.Seconds(), yard))
	fmt.Fprintf(tw, "database file: %.0f MB\n", float64(st.Size())/1e6)
	return tw.Flush()
}

// dropInto links every extract under data (<city>/<kind>/<file>) into an
// inbox, settled (an hour old), and says how many files and bytes.
func dropInto(data, inbox string) (files int, size int64, err error) {
	old := time.Now().Add(-time.Hour)
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Dir(path) == data {
			return err // manifest.json stays behind
		}
		rel, err := filepath.Rel(data, path)
		if err != nil {
			return err
		}
		dest := filepath.Join(inbox, rel)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		if err := os.Link(path, dest); err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files++
		size += info.Size()
		return os.Chtimes(dest, old, old)
	})
	return files, size, err
}
