// Package bench measures whole-pipeline figures with the flexemp binary
// itself: every ingest, assess and serve runs in a child process of its own,
// so its wall time and peak RSS are its own. `flexemp bench` wires it; go
// test -bench measures the pieces.
package bench

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/transform"
	"github.com/liaoning-hrss/flexemp/walkthrough"
)

// benchKey is the pseudonym key of every benchmark database.
const benchKey = "benchmark-key-not-secret"

// Suites are the suites Run knows, and "all".
var Suites = []string{"ingest", "assess", "serve", "issuing", "province", "all"}

// Options choose what Run measures.
type Options struct {
	Dir         string  // input files (kept between runs) and databases
	Rows        string  // registrations CSV sizes, comma-separated
	XLSXRows    int     // rows of the workbook to ingest (0: skip)
	MemoryLimit string  // DuckDB memory_limit for the ingest and province suites
	Suite       string  // one of Suites
	ServeRows   int     // rows of each file uploaded in the serve suite
	Workers     int     // concurrent uploaders in the serve suite
	AssessScale float64 // generator scale of the assess suite's province-year
	Runs        int     // assess runs
	Years       int     // years of the province suite's backfill, ending with 2025
	// Yardstick, when set, makes this process the child that times DuckDB's
	// read_csv of that file and prints the seconds.
	Yardstick string
}

// Flags registers Options on fs with their defaults.
func Flags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.Dir, "dir", filepath.Join(os.TempDir(), "flexemp-bench"), "输入文件（多次运行间保留）与数据库所在目录")
	fs.StringVar(&o.Rows, "rows", "1000000,5000000", "登记数据 CSV 的行数，逗号分隔")
	fs.IntVar(&o.XLSXRows, "xlsx-rows", 200000, "Excel 工作簿的行数（0 为跳过）")
	fs.StringVar(&o.MemoryLimit, "memory-limit", "", "ingest 与 province 测试中 DuckDB 的 memory_limit，如 256MB（默认 DuckDB 的设置）")
	fs.StringVar(&o.Yardstick, "yardstick", "", "内部使用：计时 DuckDB 对该文件的 read_csv 并输出秒数")
	fs.StringVar(&o.Suite, "suite", "all", "测试项："+strings.Join(Suites, "、"))
	fs.IntVar(&o.ServeRows, "serve-rows", 10000, "serve 测试中每个上传文件的行数")
	fs.IntVar(&o.Workers, "workers", 14, "serve 测试中并发上传的客户端数")
	fs.Float64Var(&o.AssessScale, "assess-scale", 1, "assess 测试所用全省一年数据的生成规模")
	fs.IntVar(&o.Runs, "runs", 3, "考核的运行次数")
	fs.IntVar(&o.Years, "years", 2, "province 测试：补录的数据年数，截至 2025 年")
	return o
}

// Run measures the chosen suites with self, the flexemp binary, and prints
// their tables on stdout.
func Run(ctx context.Context, self string, o *Options, stdout, stderr io.Writer) error {
	if o.Yardstick != "" {
		d, err := readCSVYardstick(ctx, filepath.Join(o.Dir, "yardstick.db"), o.Yardstick)
		if err == nil {
			fmt.Fprintf(stdout, "%.3f\n", d.Seconds())
		}
		return err
	}
	all := o.Suite == "all"
	if all || o.Suite == "ingest" {
		if err := ingestSuite(ctx, self, o.Dir, o.Rows, o.XLSXRows, o.MemoryLimit, stdout, stderr); err != nil {
			return err
		}
	}
	if all || o.Suite == "assess" {
		if err := assessSuite(ctx, self, o.Dir, o.AssessScale, o.Runs, stdout, stderr); err != nil {
			return err
		}
	}
	if all || o.Suite == "serve" {
		if err := serveSuite(ctx, self, o.Dir, o.ServeRows, o.Workers, stdout, stderr); err != nil {
			return err
		}
	}
	if all || o.Suite == "issuing" {
		if err := issuingSuite(ctx, self, o.Dir, stdout, stderr); err != nil {
			return err
		}
	}
	if all || o.Suite == "province" {
		if o.Years < 1 || o.Years > 30 {
			return fmt.Errorf("--years: %d is not between 1 and 30", o.Years)
		}
		return provinceSuite(ctx, self, o.Dir, o.Years, o.MemoryLimit, stdout, stderr)
	}
	return nil
}

// ingestSuite ingests big registration files, each in a child process.
func ingestSuite(ctx context.Context, self, dir, rowsFlag string, xlsxRows int, memLimit string, stdout, stderr io.Writer) error {
	type job struct {
		name string
		rows int
	}
	var jobs []job
	for _, s := range strings.Split(rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("--rows: %q is not a row count", s)
		}
		jobs = append(jobs, job{fmt.Sprintf("registrations-%d.csv", n), n})
	}
	if xlsxRows > 0 {
		jobs = append(jobs, job{fmt.Sprintf("registrations-%d.xlsx", xlsxRows), xlsxRows})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	config := filepath.Join(dir, "bench.toml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf("[duckdb]\nmemory_limit = %q\n", memLimit)), 0o644); err != nil {
		return err
	}
	tw := columns.NewWriter(stdout)
	fmt.Fprintln(tw, "file\trows\tMiB\tingest s\trows/s\tpeak RSS MiB\tread_csv s\tingest/read_csv")
	for _, j := range jobs {
		path := filepath.Join(dir, j.name)
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(stderr, "writing %s …\n", path)
			if err := gen.BigRegistrations(path, j.rows, 1); err != nil {
				return err
			}
		}
		st, _ := os.Stat(path)
		db := filepath.Join(dir, "bench.db")
		os.Remove(db)
		os.Remove(db + ".wal")
		took, rss, err := child(ctx, self, "ingest", "--config", config, "--db", db, "--city", "210100", "--kind", "registrations", "--month", "2024-03", path)
		if err != nil {
			return fmt.Errorf("ingest %s: %w", j.name, err)
		}
		yard, ratio := "-", "-"
		if strings.HasSuffix(path, ".csv") {
			secs, err := yardstick(ctx, self, dir, path)
			if err != nil {
				return err
			}
			yard, ratio = fmt.Sprintf("%.2f", secs), fmt.Sprintf("%.2f×", took.Seconds()/secs)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.0f\t%.0f\t%s\t%s\n", j.name, j.rows, float64(st.Size())/(1<<20),
			took.Seconds(), float64(j.rows)/took.Seconds(), rss, yard, ratio)
		tw.Flush()
	}
	return nil
}

// assessSuite assesses one generated province-year: the whole command in a
// child process (wall time and peak RSS), then the stages in this process,
// runs times each. The data is generated and ingested once and kept in dir.
func assessSuite(ctx context.Context, self, dir string, scale float64, runs int, stdout, stderr io.Writer) error {
	base := filepath.Join(dir, fmt.Sprintf("assess-scale-%g", scale))
	data := filepath.Join(base, "data")
	dbPath := filepath.Join(base, "flexemp.db")
	done := filepath.Join(base, "ingested")
	if _, err := os.Stat(done); err != nil {
		os.RemoveAll(base)
		fmt.Fprintf(stderr, "generating and ingesting a province-year at scale %g in %s …\n", scale, base)
		man, err := gen.Generate(data, gen.Options{Seed: 1, Scale: scale, From: flexemp.Month{Year: 2024, Month: 1}, To: flexemp.Month{Year: 2024, Month: 12}})
		if err != nil {
			return err
		}
		db, err := transform.Open(ctx, dbPath)
		if err != nil {
			return err
		}
		_, err = walkthrough.Load(ctx, &ingest.Ingester{DB: db, Key: []byte(benchKey)}, data, man, io.Discard)
		db.Close()
		if err != nil {
			return err
		}
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			return err
		}
	}
	p := flexemp.Period{Year: 2024}
	db, err := transform.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	var rows int64
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM registrations) + (SELECT count(*) FROM subsidies)
		+ (SELECT count(*) FROM trainings) + (SELECT count(*) FROM services)`).Scan(&rows); err != nil {
		return err
	}
	yard, err := yardstick1M(ctx, self, dir, stderr)
	if err != nil {
		return err
	}
	tw := columns.NewWriter(stdout)
	fmt.Fprintf(tw, "assess %s, scale %g: %d rows stored; read_csv of 1M rows in this run: %.2f s\n", p, scale, rows, yard)
	fmt.Fprintln(tw, "run\tcommand s\tcommand/read_csv\tpeak RSS MiB\ttransform s\tindex s\tsensitivity s (1000 draws)\tstore s")
	var assessed []time.Duration // each run's assessment in this process
	for i := range runs {
		db.Close() // the child must own the file
		whole, rss, err := child(ctx, self, "assess", "--db", dbPath, "--period", p.String())
		if err != nil {
			return fmt.Errorf("assess: %w", err)
		}
		if db, err = transform.Open(ctx, dbPath); err != nil {
			return err
		}
		start := time.Now()
		a, err := metrics.Assess(ctx, db, p, metrics.AssessOptions{Seed: 1})
		if err != nil {
			return err
		}
		took := time.Since(start)
		store := took - a.Transform.Took - a.MetricTook - a.SensTook
		assessed = append(assessed, took)
		fmt.Fprintf(tw, "%d\t%.2f\t%s\t%.0f\t%.2f\t%.3f\t%.3f\t%.2f\n", i+1, whole.Seconds(), ratio(whole.Seconds(), yard), rss,
			a.Transform.Took.Seconds(), a.MetricTook.Seconds(), a.SensTook.Seconds(), store.Seconds())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Dispatch of the same year (it reads the same versions), every city
	// given a target for every task, against the assessment just timed in
	// this process.
	ref := flexemp.DefaultReference()
	for _, c := range flexemp.Cities {
		for _, t := range flexemp.Tasks {
			ref.Targets = append(ref.Targets, flexemp.Target{Year: p.Year, City: c.Code, Task: t.ID, Target: 1000})
		}
	}
	fmt.Fprintln(tw, "\nrun\tdispatch s\tdispatch/assess")
	for i := range runs {
		start := time.Now()
		if _, err := dispatch.Compute(ctx, db, dispatch.Options{Year: p.Year, AsOf: time.Date(p.Year+1, 1, 20, 0, 0, 0, 0, time.UTC), Reference: ref}); err != nil {
			return err
		}
		took := time.Since(start)
		fmt.Fprintf(tw, "%d\t%.2f\t%.2f×\n", i+1, took.Seconds(), took.Seconds()/assessed[i].Seconds())
	}
	return tw.Flush()
}

// yardstick times DuckDB's own read_csv of the file into a table, in a
// child: the parent stays small, so no child's peak RSS counts memory the
// parent had when it was forked.
func yardstick(ctx context.Context, self, dir, path string) (float64, error) {
	out, err := exec.CommandContext(ctx, self, "bench", "--dir", dir, "--yardstick", path).Output()
	if err != nil {
		return 0, fmt.Errorf("read_csv yardstick: %w", err)
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return 0, fmt.Errorf("read_csv yardstick: %q", out)
	}
	return secs, nil
}

// yardstick1M is read_csv's time for the 1M-row registrations CSV, made in
// dir if need be: the figure every suite's ratios are to, measured in the
// same run, so they travel between machines better than seconds.
func yardstick1M(ctx context.Context, self, dir string, stderr io.Writer) (float64, error) {
	path := filepath.Join(dir, "registrations-1000000.csv")
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "writing %s …\n", path)
		if err := gen.BigRegistrations(path, 1000000, 1); err != nil {
			return 0, err
		}
	}
	return yardstick(ctx, self, dir, path)
}

// ratio is seconds as a multiple of read_csv's.
func ratio(secs, yard float64) string { return fmt.Sprintf("%.2f×", secs/yard) }

// child runs this binary with args, with the benchmarks' pseudonym key, and
// says how long it took and its own peak RSS in MiB; a failure carries the
// child's output.
func child(ctx context.Context, self string, args ...string) (time.Duration, float64, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), "FLEXEMP_ID_KEY="+benchKey)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return took, 0, fmt.Errorf("%v: %s", err, out)
	}
	return took, float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024, nil
}

// readCSVYardstick times DuckDB's own read_csv of the file into a table.
func readCSVYardstick(ctx context.Context, dbPath, csvPath string) (time.Duration, error) {
	os.Remove(dbPath)
	os.Remove(dbPath + ".wal")
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	start := time.Now()
	_, err = db.ExecContext(ctx, `CREATE TABLE t AS SELECT * FROM read_csv(?, header = true, all_varchar = true)`, csvPath)
	return time.Since(start), err
}
