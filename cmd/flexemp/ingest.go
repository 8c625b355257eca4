package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// dbFlags are the flags every database command takes.
type dbFlags struct {
	config, db string
}

func (d *dbFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&d.config, "config", "", "配置文件（默认当前目录的 flexemp.toml，如有）")
	fs.StringVar(&d.db, "db", "", "DuckDB 数据库文件（优先于配置）")
}

// registerFlags registers the flags on a flag set (for periodFlags).
func (d *dbFlags) registerFlags(fs *flag.FlagSet) { d.register(fs) }

// load loads the config file with the flags over it.
func (d *dbFlags) load() (Config, error) {
	cfg, err := loadConfig(d.config)
	if d.db != "" {
		cfg.DB = d.db
	}
	return cfg, err
}

// open loads the config and opens the database it names, which must exist:
// a command that reads never makes an empty database by accident.
func (d *dbFlags) open(ctx context.Context) (Config, *sql.DB, error) {
	cfg, err := d.load()
	if err != nil {
		return cfg, nil, err
	}
	if svc := heldService(ctx); svc != nil { // inside serve: its database
		return cfg, svc.store.DB(), nil
	}
	db, err := cfg.openExisting(ctx)
	return cfg, db, err
}

func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest", stderr)
	var d dbFlags
	d.register(fs)
	city := fs.String("city", "", "上传城市：代码或名称，如 210100 或 沈阳")
	kind := fs.String("kind", "", "数据类型：registrations、subsidies、trainings 或 services（也可用中文名）")
	month := fs.String("month", "", "数据月份 YYYY-MM（默认从文件名或数据行读取）")
	replaceEmpty := fs.Bool("replace-with-empty", false, "允许只有表头的文件替换该月已有数据的版本")
	receivedAt := fs.String("received-at", "", "补录时的收到时间，RFC3339 格式（默认现在）")
	asJSON := fs.Bool("json", false, "每个文件输出一个 JSON 对象")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("db", d.db); err != nil && d.config == "" {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("请给出要入库的文件 FILE")
	}
	c, err := cityFlag(*city)
	if err != nil {
		return err
	}
	k, ok := flexemp.ParseKind(*kind)
	if !ok {
		return usagef("--kind 应为 registrations、subsidies、trainings 或 services（也可用中文名），收到 %q", *kind)
	}
	var m flexemp.Month
	if *month != "" {
		var err error
		if m, err = flexemp.ParseMonth(*month); err != nil {
			return usagef("--month: %s", flexemp.ErrorMessage(err))
		}
	}
	var received time.Time
	if *receivedAt != "" {
		var err error
		if received, err = time.Parse(time.RFC3339, *receivedAt); err != nil {
			return usagef("--received-at 应为 RFC3339 时间，如 2024-04-09T10:00:00+08:00")
		}
	}
	cfg, err := d.load()
	if err != nil {
		return err
	}
	db, g, err := cfg.openIngest(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	st := store.New(db, g, metrics.AssessOptions{}) // every write through the store, and its audit trail
	refused := false
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, path := range fs.Args() {
		req := ingest.Request{Path: path, City: c.Code, Kind: k, Month: m, ReceivedAt: received, Uploader: "cli", ConfirmEmpty: *replaceEmpty}
		bar := progressFor(path, stderr)
		if bar != nil {
			req.Progress = bar
		}
		res, err := st.Ingest(ctx, req)
		if err != nil {
			fmt.Fprintf(stderr, "flexemp ingest: %s: %v\n", path, err)
			refused = true
			continue
		}
		refused = refused || res.Status == ingest.StatusRefused
		if *asJSON {
			if err := enc.Encode(res); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(stdout, res.Line())
		if res.Status == ingest.StatusRefused && res.Code == flexemp.ECONFLICT {
			fmt.Fprintln(stderr, "  命令行：确认该月确无数据后，加 --replace-with-empty 重新入库")
		}
		for i, r := range res.Samples {
			if i == 5 {
				fmt.Fprintf(stderr, "  … 共 %d 处问题，完整清单：%s\n", res.Problems(), res.RejectsCommand())
				break
			}
			fmt.Fprintf(stderr, "  第%d行 %s %q：%s\n", r.Row, r.Column, r.Value, r.Reason)
		}
	}
	if refused {
		return exitError(1)
	}
	return nil
}

// progressFor shows a progress bar on a terminal for files past 100k rows.
func progressFor(path string, stderr io.Writer) func(rows int, done float64) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(rows int, done float64) {
		if rows < 100000 {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(1000, progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription(filepath.Base(path)), progressbar.OptionClearOnFinish())
		}
		bar.Describe(fmt.Sprintf("%s %d 行", filepath.Base(path), rows))
		bar.Set(int(done * 1000))
	}
}

func runUploads(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("uploads", stderr)
	var d dbFlags
	d.register(fs)
	city := fs.String("city", "", "只列该城市的上传：代码或名称")
	format := fs.String("format", "table", "输出格式：table 或 json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := oneOf("format", *format, "table", "json"); err != nil {
		return err
	}
	code, err := optionalCity(*city)
	if err != nil {
		return err
	}
	_, db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	ups, _, err := ingest.FindUploads(ctx, db, flexemp.UploadFilter{City: code, Refused: true})
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(stdout, ups)
	}
	return reports.WriteUploads(stdout, ups)
}

func runRejects(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rejects", stderr)
	var d dbFlags
	d.register(fs)
	id := fs.Int64("upload", 0, "上传编号")
	refusal := fs.Int64("refusal", 0, "被拒收文件的编号（见 flexemp uploads）")
	out := fs.String("out", "", "输出文件 FILE.xlsx 或 FILE.csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*id <= 0) == (*refusal <= 0) {
		return usagef("请给出 --upload（已入库的上传）或 --refusal（被拒收的文件）之一")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".xlsx" && ext != ".csv" {
		return usagef("--out 应以 .xlsx 或 .csv 结尾")
	}
	_, db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	var rs []flexemp.Reject
	if *refusal > 0 {
		_, rs, err = ingest.RefusalRejects(ctx, db, *refusal)
	} else {
		rs, err = ingest.Rejects(ctx, db, *id)
	}
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return ingest.WriteRejectsCSV(w, rs) }
	if ext == ".xlsx" {
		write = func(w io.Writer) error { return ingest.WriteRejectsXLSX(w, rs) }
	}
	if err := writeFile(*out, write); err != nil {
		return err
	}
	object := fmt.Sprintf("upload %d", *id)
	if *refusal > 0 {
		object = fmt.Sprintf("refusal %d", *refusal)
	}
	if err := store.New(db, nil, metrics.AssessOptions{}).Audit(ctx, "rejects", object, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d 条被拒记录\n", *out, len(rs))
	return nil
}
