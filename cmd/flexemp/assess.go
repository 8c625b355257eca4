package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

func runAssess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("assess", stderr)
	var d dbFlags
	d.register(fs)
	period := fs.String("period", "", "考核期：年度（2024）或季度（2024Q3）")
	seed := fs.Uint64("seed", 0, "敏感性分析的随机种子（默认取配置，为 1）")
	draws := fs.Int("draws", 0, "敏感性分析的模拟次数（默认取配置，为 1000）")
	asOf := fs.String("as-of", "", "考核截至日期 YYYY-MM-DD（默认北京时间今天）：只计此前已到报送截止时间的月份")
	source := fs.String("source", "db", "考核的数据来源：db（数据库中的数据），或 parquet:目录（flexemp export 导出的目录；结果存入 --db，该库不能有上传数据）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	lake, fromLake := strings.CutPrefix(*source, "parquet:")
	if *source != "db" && (!fromLake || lake == "") {
		return usagef("--source 应为 db 或 parquet:目录")
	}
	p, err := periodFlag(*period)
	if err != nil {
		return err
	}
	if *draws < 0 {
		return usagef("--draws 应为正整数")
	}
	svc := heldService(ctx) // inside serve: its store and settings
	cfg, err := d.load()
	if err != nil && svc == nil {
		return err
	}
	var o metrics.AssessOptions
	if svc != nil {
		o = svc.assess
	} else if o, err = cfg.assessOptions(); err != nil {
		return err
	}
	if *seed != 0 {
		o.Seed = *seed
	}
	if *draws != 0 {
		o.Draws = *draws
	}
	if *asOf != "" {
		if o.AsOf, err = flexemp.ParseDate(*asOf); err != nil {
			return usagef("--as-of: %s", flexemp.ErrorMessage(err))
		}
	}
	if svc != nil && fromLake {
		return flexemp.Errorf(flexemp.ECONFLICT, "服务正在使用该数据库：考核 Parquet 目录请把结果存入单独的数据库文件（--db 新文件）")
	}
	var st *store.Store
	if svc != nil {
		st = svc.store
	} else {
		open := cfg.openExisting
		if fromLake {
			o.Lake, open = lake, cfg.open // a results database may be new
		}
		db, err := open(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if fromLake {
			if err := resultsOnly(ctx, db, cfg.DB); err != nil {
				return err
			}
		}
		st = store.New(db, nil, o)
	}
	a, err := st.AssessWith(ctx, p, o) // through the store: its lock and audit trail
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, a.Summary())
	return nil
}

// resultsOnly refuses a database that holds uploads as the home of a lake's
// assessment: its own assessment of the period would be replaced by one of
// other data.
func resultsOnly(ctx context.Context, db *sql.DB, path string) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM uploads`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return flexemp.Errorf(flexemp.ECONFLICT, "数据库 %s 已有 %d 次上传：考核 Parquet 目录的结果请存入单独的数据库文件（--db 新文件），以免替换该库自己的考核结果", path, n)
	}
	return nil
}

func runRank(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var d dbFlags
	var state string
	p, format, err := periodFlags("rank", d.registerFlags, args, stderr, tableJSONCSV, func(fs *flag.FlagSet) {
		fs.StringVar(&state, "state", "", "draft（草稿）、published（公示稿）或 final（定稿）（默认：有定稿显示定稿，否则公示稿，否则最新草稿）")
	})
	if err != nil {
		return err
	}
	if err := oneOf("state", state, "", issuing.Draft, issuing.Published, issuing.Final); err != nil {
		return err
	}
	_, db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	out, err := issuedRanking(ctx, db, p, state)
	if err != nil {
		return err
	}
	if out == nil {
		pr, err := metrics.Load(ctx, db, p)
		if errors.Is(err, metrics.ErrNotAssessed) {
			err = fmt.Errorf("%s 尚未考核：请先运行 flexemp assess --period %s", p, p)
		}
		if err != nil {
			return err
		}
		r := pr.Ranking()
		out = &r
	}
	if format == "json" {
		return writeJSON(stdout, out)
	}
	return reports.WriteRanking(stdout, out, format, fmt.Sprintf("%s 排名（%s）", p, stateText(out)))
}

// openAssessed opens the database and loads a period's results, telling
// the user to assess it first when it has not been.
func (d *dbFlags) openAssessed(ctx context.Context, p flexemp.Period) (*sql.DB, *metrics.PeriodResult, error) {
	_, db, err := d.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	pr, err := metrics.Load(ctx, db, p)
	if errors.Is(err, metrics.ErrNotAssessed) {
		err = fmt.Errorf("%s 尚未考核：请先运行 flexemp assess --period %s", p, p)
	}
	if err != nil {
		release(ctx, db)
		return nil, nil, err
	}
	return db, pr, nil
}

// periodFlags parses the flags of a command on a period: the database's
// (register), --period, --format when formats are given (the first is the
// default), and the command's own (more).
func periodFlags(name string, register func(*flag.FlagSet), args []string, stderr io.Writer, formats []string, more func(*flag.FlagSet)) (flexemp.Period, string, error) {
	fs := newFlags(name, stderr)
	register(fs)
	period := fs.String("period", "", "考核期：年度（2024）或季度（2024Q3）")
	var format *string
	if len(formats) > 0 {
		format = fs.String("format", formats[0], "输出格式："+strings.Join(formats, "、"))
	}
	if more != nil {
		more(fs)
	}
	if err := parseFlags(fs, args); err != nil {
		return flexemp.Period{}, "", err
	}
	p, err := periodFlag(*period)
	if err != nil || format == nil {
		return p, "", err
	}
	return p, *format, oneOf("format", *format, formats...)
}

var tableJSONCSV = []string{"table", "json", "csv"}

// optionalPeriod reads a --period that may be left out (nil).
func optionalPeriod(s string) (*flexemp.Period, error) {
	if s == "" {
		return nil, nil
	}
	p, err := periodFlag(s)
	return &p, err
}

// periodFlag reads --period; a bad one is a usage error.
func periodFlag(s string) (flexemp.Period, error) {
	p, err := flexemp.ParsePeriod(s)
	if err != nil {
		return p, usagef("--period: %s", flexemp.ErrorMessage(err))
	}
	return p, nil
}
