// Package walkthrough shows the whole product on a synthetic province: it loads
// every generated file as the cities sent it, assesses every year and
// quarter, and writes the report of the latest year. The bench suites load
// their provinces the same way.
package walkthrough

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/liaoning-hrss/flexemp/dispatch"
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
	"github.com/liaoning-hrss/flexemp/transform"
)

// Options are a demo's settings.
type Options struct {
	Dir    string // working folder, emptied first
	Seed   uint64 // the generator's seed
	Assess metrics.AssessOptions
	// Open opens (creating) the database at path with an ingester over it.
	Open func(ctx context.Context, path string) (*sql.DB, *ingest.Ingester, error)
	Log  io.Writer // refused files are reported here
}

// Counts are what loading a manifest did.
type Counts struct {
	Accepted, Rejected int // rows
	Refused            int // files
}

// Outcome is what a demo made.
type Outcome struct {
	Manifest *gen.Manifest
	Counts   Counts
	Report   string // the report's path
	Result   *metrics.PeriodResult
	Findings []metrics.Finding // the latest year's integrity findings
	// Withheld are, per assessed period in order, the cities with
	// indicators scored 未报送 and those indicators.
	Withheld []Withholding
	Counties map[string]*metrics.CityCounties // the latest year's, per city
	Dispatch *dispatch.Report                 // the last year's, as of DispatchAsOf
	Took     time.Duration
}

// Withholding is a city whose indicators were 未报送 in a period.
type Withholding struct {
	Period     flexemp.Period
	City       string
	Indicators []string
}

// Run generates a province into Dir/data, loads it into Dir/flexemp.db,
// assesses every year and quarter, and writes the latest year's report
// into Dir/report. A refused file stops it after loading.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	start := time.Now()
	if err := ownedOrEmpty(ctx, o.Dir); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(o.Dir); err != nil {
		return nil, err
	}
	data := filepath.Join(o.Dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Dir, marker), []byte("made by flexemp demo; emptied by the next one\n"), 0o644); err != nil {
		return nil, err
	}
	man, err := gen.Generate(data, gen.Options{Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	// The province's own funds and targets tables come with the generated
	// province: the assessments and the dispatch use them, and so does
	// anyone who runs them again with the demo's flexemp.toml.
	if o.Assess.Reference, err = withTables(o.Assess.Reference, filepath.Join(data, man.Funds), filepath.Join(data, man.Targets)); err != nil {
		return nil, err
	}
	toml := fmt.Sprintf("# Made by flexemp demo: the generated province's funds and dispatch targets.\n[reference]\nfunds = %q\ntargets = %q\n",
		filepath.Join("data", man.Funds), filepath.Join("data", man.Targets))
	if err := os.WriteFile(filepath.Join(o.Dir, "flexemp.toml"), []byte(toml), 0o644); err != nil {
		return nil, err
	}
	db, g, err := o.Open(ctx, filepath.Join(o.Dir, "flexemp.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := &Outcome{Manifest: man}
	if out.Counts, err = Load(ctx, g, data, man, o.Log); err != nil || out.Counts.Refused > 0 {
		return out, err
	}
	from, _ := flexemp.ParseMonth(man.From)
	to, _ := flexemp.ParseMonth(man.To)
	assessed, err := AssessPeriods(ctx, db, from, to, o.Assess)
	if err != nil {
		return out, err
	}
	latest := assessed[len(assessed)-1].Period
	for _, a := range assessed {
		for c, ids := range a.Result.Withheld {
			if len(ids) > 0 {
				out.Withheld = append(out.Withheld, Withholding{a.Period, a.Result.Table.Cities[c], ids})
			}
		}
	}
	// The last year's dispatch at its middle: 时间过半、任务过半了吗？
	out.Dispatch, err = dispatch.Compute(ctx, db, dispatch.Options{Year: to.Year, AsOf: DispatchAsOf(to.Year), Reference: o.Assess.Reference})
	if err != nil {
		return out, err
	}
	rd, err := reports.Load(ctx, db, latest, time.Now())
	if err != nil {
		return out, err
	}
	written, err := reports.Write(filepath.Join(o.Dir, "report"), rd)
	if err != nil {
		return out, err
	}
	out.Report, out.Result, out.Findings, out.Counties, out.Took = written.Report, rd.Result, rd.Findings, rd.Counties, time.Since(start)
	return out, nil
}

// DispatchAsOf is the date the demo dispatches a year as of: the middle of
// the year, June's data due.
func DispatchAsOf(year int) time.Time { return time.Date(year, 7, 20, 0, 0, 0, 0, time.UTC) }

// withTables is ref (default the embedded tables) with the funds and the
// targets tables at their paths in place of its own.
func withTables(ref flexemp.Reference, funds, targets string) (flexemp.Reference, error) {
	if ref.Cities == nil {
		ref = flexemp.DefaultReference()
	}
	var err error
	if ref.Funds, err = parseFile(funds, flexemp.ParseFunds); err != nil {
		return ref, err
	}
	ref.Targets, err = parseFile(targets, flexemp.ParseTargets)
	return ref, err
}

func parseFile[T any](path string, parse func(io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f)
}

// marker marks a folder a demo made, which the next demo may empty.
const marker = ".flexemp-demo"

// demoMade are the names a demo makes in its folder: the only ones it will
// delete when it runs again there.
var demoMade = map[string]bool{marker: true, "data": true, "flexemp.db": true, "flexemp.db.wal": true,
	"flexemp.db.key": true, "flexemp.toml": true, "report": true}

// ownedOrEmpty refuses a folder that holds something a demo did not make:
// a demo empties its folder first, and must never delete someone's files —
// nor a database another process holds (serve, pointed at a demo's
// database, leaves its socket, spool and reports beside it).
func ownedOrEmpty(ctx context.Context, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
		return flexemp.Errorf(flexemp.ECONFLICT, "目录 %s 不是空的，也不是演示创建的；演示会清空所用目录，请另选一个新目录或空目录", dir)
	}
	var others []string
	for _, e := range entries {
		if !demoMade[e.Name()] {
			others = append(others, e.Name())
		}
	}
	if len(others) > 0 {
		return flexemp.Errorf(flexemp.ECONFLICT, "目录 %s 中有演示以外的文件（%s），可能正由 flexemp serve 使用；演示不会清空它，请另选一个目录",
			dir, strings.Join(others, "、"))
	}
	db := filepath.Join(dir, "flexemp.db")
	if _, err := os.Stat(db); err == nil {
		sqlDB, err := transform.Open(ctx, db)
		if err != nil {
			return flexemp.Errorf(flexemp.ECONFLICT, "目录 %s 中的数据库正由另一个进程使用（或无法打开）；演示不会清空它，请另选一个目录", dir)
		}
		sqlDB.Close()
	}
	return nil
}

// Load ingests every generated file as its city sent it, with its month and
// receipt time from the manifest, and counts the rows and the refused files
// (each reported on w).
func Load(ctx context.Context, g *ingest.Ingester, data string, man *gen.Manifest, w io.Writer) (Counts, error) {
	var n Counts
	for _, f := range man.Files {
		month, _ := flexemp.ParseMonth(f.Month)
		received, _ := time.Parse(time.RFC3339, f.ReceivedAt)
		res, err := g.Ingest(ctx, ingest.Request{Path: filepath.Join(data, f.Path), City: f.City, Kind: f.Kind,
			Month: month, ReceivedAt: received, Uploader: "demo"})
		if err != nil {
			return n, fmt.Errorf("%s: %w", f.Path, err)
		}
		if res.Status == ingest.StatusRefused {
			n.Refused++
			fmt.Fprintln(w, res.Line())
		}
		n.Accepted += res.Accepted
		n.Rejected += res.Rejected
	}
	return n, nil
}

// AssessPeriods assesses every quarter and year from the first month's year
// to the last's, each year after its quarters, and returns the
// assessments in that order: the last is the last year.
func AssessPeriods(ctx context.Context, db *sql.DB, from, to flexemp.Month, o metrics.AssessOptions) ([]*metrics.Assessment, error) {
	var out []*metrics.Assessment
	for y := from.Year; y <= to.Year; y++ {
		for _, q := range []int{1, 2, 3, 4, 0} {
			p := flexemp.Period{Year: y, Quarter: q}
			a, err := metrics.Assess(ctx, db, p, o)
			if err != nil {
				return out, fmt.Errorf("assess %s: %w", p, err)
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// WriteSummary says what the demo did: the province, the rows loaded, the
// periods assessed, the planted withholdings and findings, the report's
// path and the latest year's ranking. After a refused file it stops at the
// rows: nothing was assessed.
func (o *Outcome) WriteSummary(w io.Writer) error {
	man, n := o.Manifest, o.Counts
	fmt.Fprintf(w, "演示省份：14 个城市，%s 至 %s，%d 个文件（%d 个未报送）\n", man.From, man.To, len(man.Files), len(man.Missing))
	fmt.Fprintf(w, "入库 %d 行，拒绝 %d 行，拒收文件 %d 个\n", n.Accepted, n.Rejected, n.Refused)
	if n.Refused > 0 {
		return nil
	}
	fmt.Fprintf(w, "已考核 %s 至 %s 各年度和季度，用时 %.1f 秒\n", man.From, man.To, o.Took.Seconds())
	for _, h := range o.Withheld {
		fmt.Fprintln(w, reports.WithheldText(h.Period, h.City, h.Indicators))
	}
	fmt.Fprintln(w, reports.FindingsLine(o.Findings))
	fmt.Fprintln(w, reports.CountiesLine(o.Counties))
	fmt.Fprintln(w, dispatch.SevereLine(o.Dispatch))
	fmt.Fprintf(w, "报告：%s\n", o.Report)
	fmt.Fprintf(w, "以下排名为草稿（未公示，不作为考核结果）。发布：flexemp publish --period %s（公示，异议期 5 个工作日）→ 异议与处理 → flexemp finalise（定稿）；"+
		"此后页面、接口、记分卡与邮件都先显示公示稿或定稿，flexemp publication --period %s [--final] --out 目录 写出所发布的文件，可用 sha256sum 与邮件中的 SHA-256 核对。\n\n",
		o.Result.Period, o.Result.Period)
	return reports.WriteSummary(w, o.Result)
}
