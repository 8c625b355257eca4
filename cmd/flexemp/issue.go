package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/cli"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

// The steps of issuing a ranking (SPEC "Issuing a ranking"): publish,
// withdraw, object, decide, finalise, and the lists and checks beside them.

// listFlag is a flag given once per value (--subject I4 --subject I5).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// step registers the flags of a step: the database's, and --at for an
// operator recording a step taken on paper. The step runs with the issuer
// it returns, once parse has read the flags.
func (c *call) step() func() (*issuing.Issuer, time.Time, error) {
	c.dbFlags()
	at := c.flags.Instant("at", "该步骤实际办理的时间，RFC3339 格式，用于补录纸面办理的步骤（默认现在）")
	return func() (*issuing.Issuer, time.Time, error) {
		if !at.IsZero() { // the audit record keeps it beside the real time
			if a := store.ActorIn(c.ctx); a != nil {
				a.StatedAt = at
			} else {
				c.ctx = store.WithActor(c.ctx, &store.Actor{StatedAt: at})
			}
		}
		is, err := c.issuer()
		return is, *at, err
	}
}

// issuer issues rankings: serve's, else one over the configured database.
func (c *call) issuer() (*issuing.Issuer, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	return s.Issuer(c.ctx)
}

// done reports a step whose mail failed as done, with a warning.
func (c *call) done(err error) error {
	var ne *issuing.NotifyError
	if errors.As(err, &ne) {
		fmt.Fprintln(c.stderr, "注意：", ne.Error())
		return nil
	}
	return err
}

func runPublish(c *call) error {
	begin, p := c.step(), c.flags.Period()
	days := c.flags.Int("days", 0, "异议期的工作日数（默认取 [publication] objection_days，为 5）")
	reason := c.flags.String("reason", "", "修订理由（定稿后重新公示时必填）")
	if err := c.parse(); err != nil {
		return err
	}
	is, at, err := begin()
	if err != nil {
		return err
	}
	pub, err := is.Publish(c.ctx, *p, issuing.PublishOptions{Days: *days, Reason: *reason, At: at})
	if pub != nil {
		fmt.Fprintf(c.stdout, "%s 排名已公示（第%d版，截至 %s）；异议期至 %s 截止\n排名数据 SHA-256 %s\n",
			p, pub.Edition, pub.AsOf.Format("2006-01-02"), reports.WindowText(pub.WindowEnd), pub.SHA256)
	}
	return c.done(err)
}

func runWithdraw(c *call) error {
	begin, p := c.step(), c.flags.Period()
	reason := c.flags.String("reason", "", "撤回理由（必填）")
	if err := c.parse(); err != nil {
		return err
	}
	is, at, err := begin()
	if err != nil {
		return err
	}
	pub, err := is.Withdraw(c.ctx, *p, *reason, at)
	if err = c.done(err); pub != nil && err == nil {
		fmt.Fprintf(c.stdout, "%s 第%d版公示已撤回\n", p, pub.Edition)
	}
	return err
}

func runObject(c *call) error {
	begin, p, city := c.step(), c.flags.Period(), c.flags.City("提出异议的城市：代码或名称", true)
	var subjects, docs listFlag
	c.flags.Var(&subjects, "subject", "异议事项：I1–I22、K1–K12 或 其他（可重复）")
	statement := c.flags.String("statement", "", "异议陈述（不超过 2000 字）")
	upload := c.flags.String("upload", "", "更正数据文件（考核期内某月）")
	kind := c.flags.String("kind", "", "更正数据的类型")
	month := c.flags.Month("month", "更正数据的月份 YYYY-MM")
	c.flags.Var(&docs, "doc", "证明材料：PDF、JPG、PNG 或 XLSX，每份不超过 20 MiB（可重复，至多 5 份）")
	if err := c.parse(); err != nil {
		return err
	}
	r := issuing.ObjectionRequest{Period: *p, City: city.Code, Subjects: subjects, Statement: *statement}
	if *upload != "" {
		k, ok := flexemp.ParseKind(*kind)
		if !ok || !c.flags.Given("month") {
			return cli.Usagef("--upload 需要 --kind（registrations、subsidies、trainings 或 services）与 --month YYYY-MM")
		}
		r.Correction = &ingest.Request{Path: *upload, Kind: k, Month: *month, Uploader: "cli"}
	}
	for _, path := range docs {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("读取证明材料 %s 失败：%w", path, err)
		}
		r.Documents = append(r.Documents, issuing.Document{Name: path, Content: b})
	}
	is, at, err := begin()
	if err != nil {
		return err
	}
	r.At = at
	o, res, err := is.Object(c.ctx, r)
	if res != nil {
		fmt.Fprintf(c.stdout, "更正数据：%s，上传编号 %d，%d 行接收，%d 行拒收\n", res.Status, res.UploadID, res.Accepted, res.Rejected)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "异议 %d 已提交（%s，%s）\n", o.ID, city.Name, strings.Join(o.Subjects, "、"))
	return nil
}

func runObjections(c *call) error {
	c.dbFlags()
	p, city, format := c.flags.Period(), c.flags.City("只列该城市的异议", false), c.flags.Format("table", "json")
	if err := c.parse(); err != nil {
		return err
	}
	db, err := c.open()
	if err != nil {
		return err
	}
	list, err := issuing.Objections(c.ctx, db, *p, city.Code)
	switch {
	case err != nil:
		return err
	case *format == "json":
		// An undecided objection with a corrected extract carries its
		// preview: what accepting it would change.
		out := []issuing.ObjectionPreview{}
		for _, o := range list {
			op := issuing.ObjectionPreview{Objection: o}
			if o.UploadID != 0 && o.Decision == "" {
				is, err := c.issuer()
				if err != nil {
					return err
				}
				if op.Preview, err = is.Preview(c.ctx, o.ID); err != nil {
					return err
				}
			}
			out = append(out, op)
		}
		return c.json(out)
	}
	return issuing.WriteObjections(c.stdout, list)
}

func runDecide(c *call) error {
	begin := c.step()
	id := c.flags.Int64("objection", 0, "异议编号")
	accept := c.flags.Bool("accept", false, "采纳")
	reject := c.flags.Bool("reject", false, "不予采纳")
	reason := c.flags.String("reason", "", "处理理由（必填）")
	if err := c.parse(); err != nil {
		return err
	}
	if *id <= 0 {
		return cli.Usagef("请用 --objection 给出异议编号")
	}
	if *accept == *reject {
		return cli.Usagef("请给出 --accept（采纳）或 --reject（不予采纳）之一")
	}
	is, at, err := begin()
	if err != nil {
		return err
	}
	o, err := is.Decide(c.ctx, *id, *accept, *reason, at)
	if err = c.done(err); o != nil {
		fmt.Fprintf(c.stdout, "异议 %d：%s\n", o.ID, o.Decision)
	}
	return err
}

func runFinalise(c *call) error {
	begin, p := c.step(), c.flags.Period()
	if err := c.parse(); err != nil {
		return err
	}
	is, at, err := begin()
	if err != nil {
		return err
	}
	pub, err := is.Finalise(c.ctx, *p, at)
	if pub != nil {
		fmt.Fprintf(c.stdout, "%s 排名已定稿（第%d版）\n排名数据 SHA-256 %s\n", p, pub.Edition, pub.Final.SHA256)
	}
	return c.done(err)
}

func runVerify(c *call) error {
	c.dbFlags()
	p := c.flags.Period()
	if err := c.parse(); err != nil {
		return err
	}
	is, err := c.issuer()
	if err != nil {
		return err
	}
	checks, err := is.Verify(c.ctx, *p)
	if err != nil {
		return err
	}
	ok, err := issuing.WriteChecks(c.stdout, *p, checks)
	if err == nil && !ok {
		return exitError(1)
	}
	return err
}

// runPublication writes a period's issued files as stored: the standing
// publication's, or with --final its final's, each named as issued, with
// the SHA-256 the mail and the API state for it.
func runPublication(c *call) error {
	c.dbFlags()
	p, out := c.flags.Period(), c.flags.Out("输出目录：写出所发布的文件（与库中所存逐字节相同）")
	final := c.flags.Bool("final", false, "写出定稿的文件（默认：公示稿的文件）")
	if err := c.parse(); err != nil {
		return err
	}
	db, err := c.open()
	if err != nil {
		return err
	}
	pub, err := issuing.Current(c.ctx, db, *p)
	switch {
	case err != nil:
		return err
	case pub == nil:
		return flexemp.Errorf(flexemp.ENOTFOUND, "%s 没有公示或定稿的排名", p)
	case *final && pub.Final == nil:
		return flexemp.Errorf(flexemp.ENOTFOUND, "%s 第%d版尚未定稿", p, pub.Edition)
	}
	files, err := issuing.Files(c.ctx, db, pub.ID, *final)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, files[name], 0o600); err != nil {
			return err
		}
		sum := sha256.Sum256(files[name])
		fmt.Fprintf(c.stdout, "%s  %s\n", hex.EncodeToString(sum[:]), path)
	}
	return nil
}
