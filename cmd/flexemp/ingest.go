package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/cli"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func runIngest(c *call) error {
	c.dbFlags()
	city := c.flags.City("上传城市：代码或名称，如 210100 或 沈阳", true)
	kind := c.flags.Kind("数据类型：registrations、subsidies、trainings 或 services（也可用中文名）")
	month := c.flags.Month("month", "数据月份 YYYY-MM（默认从文件名或数据行读取）")
	replaceEmpty := c.flags.Bool("replace-with-empty", false, "允许只有表头的文件替换该月已有数据的版本")
	received := c.flags.Instant("received-at", "补录时的收到时间，RFC3339 格式（默认现在）")
	asJSON := c.flags.Bool("json", false, "每个文件输出一个 JSON 对象")
	if err := c.parse(); err != nil {
		return err
	}
	if c.db == "" && c.config == "" {
		return cli.Usagef("缺少 --db")
	}
	if c.flags.NArg() == 0 {
		return cli.Usagef("请给出要入库的文件 FILE")
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	st, err := s.Ingesting(c.ctx) // every write through the store, and its audit trail
	if err != nil {
		return err
	}
	refused := false
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	for _, path := range c.flags.Args() {
		req := ingest.Request{Path: path, City: city.Code, Kind: *kind, Month: *month, ReceivedAt: *received, Uploader: "cli", ConfirmEmpty: *replaceEmpty}
		if bar := progressFor(path, c.stderr); bar != nil {
			req.Progress = bar
		}
		res, err := st.Ingest(c.ctx, req)
		if err != nil {
			fmt.Fprintf(c.stderr, "flexemp ingest: %s: %v\n", path, err)
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
		fmt.Fprintln(c.stdout, res.Line())
		if res.Status == ingest.StatusRefused && res.Code == flexemp.ECONFLICT {
			fmt.Fprintln(c.stderr, "  命令行：确认该月确无数据后，加 --replace-with-empty 重新入库")
		}
		res.WriteProblems(c.stderr)
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

func runUploads(c *call) error {
	c.dbFlags()
	city := c.flags.City("只列该城市的上传：代码或名称", false)
	format := c.flags.Format("table", "json")
	if err := c.parse(); err != nil {
		return err
	}
	db, err := c.open()
	if err != nil {
		return err
	}
	ups, _, err := ingest.FindUploads(c.ctx, db, flexemp.UploadFilter{City: city.Code, Refused: true})
	if err != nil {
		return err
	}
	if *format == "json" {
		return c.json(ups)
	}
	return reports.WriteUploads(c.stdout, ups)
}

func runRejects(c *call) error {
	c.dbFlags()
	id := c.flags.Int64("upload", 0, "上传编号")
	refusal := c.flags.Int64("refusal", 0, "被拒收文件的编号（见 flexemp uploads）")
	out := c.flags.Out("输出文件 FILE.xlsx 或 FILE.csv")
	if err := c.parse(); err != nil {
		return err
	}
	if (*id <= 0) == (*refusal <= 0) {
		return cli.Usagef("请给出 --upload（已入库的上传）或 --refusal（被拒收的文件）之一")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".xlsx" && ext != ".csv" {
		return cli.Usagef("--out 应以 .xlsx 或 .csv 结尾")
	}
	st, err := c.store(false)
	if err != nil {
		return err
	}
	var rs []flexemp.Reject
	object := fmt.Sprintf("upload %d", *id)
	if *refusal > 0 {
		_, rs, err = ingest.RefusalRejects(c.ctx, st.DB(), *refusal)
		object = fmt.Sprintf("refusal %d", *refusal)
	} else {
		rs, err = ingest.Rejects(c.ctx, st.DB(), *id)
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
	if err := st.Audit(c.ctx, "rejects", object, nil); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %d 条被拒记录\n", *out, len(rs))
	return nil
}
