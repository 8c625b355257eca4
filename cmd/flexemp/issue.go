package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/schedules"
	"github.com/liaoning-hrss/flexemp/store"
)

// The steps of issuing a ranking (SPEC "Issuing a ranking"): publish,
// withdraw, object, decide, finalise, and the lists and checks beside them.

// listFlag is a flag given once per value (--subject I4 --subject I5).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// stepFlags are the flags of a step: the database's, and --at for an
// operator recording a step taken on paper.
type stepFlags struct {
	dbFlags
	at string
}

func (s *stepFlags) register(fs *flag.FlagSet) {
	s.dbFlags.register(fs)
	fs.StringVar(&s.at, "at", "", "该步骤实际办理的时间，RFC3339 格式，用于补录纸面办理的步骤（默认现在）")
}

// begin reads --at into the context's actor (the audit record keeps it
// beside the real time) and opens the issuer.
func (s *stepFlags) begin(ctx context.Context) (context.Context, *issuing.Issuer, time.Time, func(), error) {
	var at time.Time
	if s.at != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, s.at); err != nil {
			return ctx, nil, at, nil, usagef("--at 应为 RFC3339 时间，如 2025-01-20T10:00:00+08:00")
		}
		if a := store.ActorIn(ctx); a != nil {
			a.StatedAt = &at
		} else {
			ctx = store.WithActor(ctx, &store.Actor{StatedAt: &at})
		}
	}
	is, done, err := s.issuer(ctx)
	return ctx, is, at, done, err
}

// issuer is the serve process's when the command runs inside it, else one
// over the configured database (with an ingester, for corrected extracts).
func (d *dbFlags) issuer(ctx context.Context) (*issuing.Issuer, func(), error) {
	if svc := heldService(ctx); svc != nil {
		return svc.issuer, func() {}, nil
	}
	if err := required("db", d.db); err != nil && d.config == "" {
		return nil, nil, err
	}
	cfg, err := d.load()
	if err != nil {
		return nil, nil, err
	}
	o, err := cfg.assessOptions()
	if err != nil {
		return nil, nil, err
	}
	db, g, err := cfg.openIngest(ctx)
	if err != nil {
		return nil, nil, err
	}
	st := store.New(db, g, o)
	return cfg.issuer(st, o, nil), func() { st.Close() }, nil
}

// issuer is the configured issuer over a store, mailing through env (nil:
// a mailer of the configured SMTP server, if any).
func (c Config) issuer(st *store.Store, o metrics.AssessOptions, env *schedules.Env) *issuing.Issuer {
	if env == nil {
		env = &schedules.Env{Store: st, Now: time.Now, Mailer: &schedules.Mailer{Config: c.Mail, Store: st, Now: time.Now}}
	}
	return &issuing.Issuer{Store: st, Holidays: o.Reference.Holidays, ObjectionDays: c.Publication.ObjectionDays, Notify: env}
}

// stepDone reports a step whose mail failed as done, with a warning.
func stepDone(err error, stderr io.Writer) error {
	var ne *issuing.NotifyError
	if errors.As(err, &ne) {
		fmt.Fprintln(stderr, "注意：", ne.Error())
		return nil
	}
	return err
}

// periodStep runs a step on a period: the flags of a step, --period and
// the step's own (more), the issuer, then step; a step whose mail failed is
// done, with a warning.
func periodStep(ctx context.Context, name string, args []string, stderr io.Writer, more func(*flag.FlagSet),
	step func(ctx context.Context, is *issuing.Issuer, p flexemp.Period, at time.Time) error) error {
	var s stepFlags
	p, _, err := periodFlags(name, s.register, args, stderr, nil, more)
	if err != nil {
		return err
	}
	ctx, is, at, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return stepDone(step(ctx, is, p, at), stderr)
}

func runPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var days int
	var reason string
	return periodStep(ctx, "publish", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&days, "days", 0, "异议期的工作日数（默认取 [publication] objection_days，为 5）")
		fs.StringVar(&reason, "reason", "", "修订理由（定稿后重新公示时必填）")
	}, func(ctx context.Context, is *issuing.Issuer, p flexemp.Period, at time.Time) error {
		pub, err := is.Publish(ctx, p, issuing.PublishOptions{Days: days, Reason: reason, At: at})
		if pub != nil {
			fmt.Fprintf(stdout, "%s 排名已公示（第%d版，截至 %s）；异议期至 %s 截止\n排名数据 SHA-256 %s\n",
				p, pub.Edition, pub.AsOf.Format("2006-01-02"), reports.WindowText(pub.WindowEnd), pub.SHA256)
		}
		return err
	})
}

func runWithdraw(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var reason string
	return periodStep(ctx, "withdraw", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "撤回理由（必填）")
	}, func(ctx context.Context, is *issuing.Issuer, p flexemp.Period, at time.Time) error {
		pub, err := is.Withdraw(ctx, p, reason, at)
		if pub != nil && err == nil {
			fmt.Fprintf(stdout, "%s 第%d版公示已撤回\n", p, pub.Edition)
		}
		return err
	})
}

func runObject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("object", stderr)
	var s stepFlags
	s.register(fs)
	period := fs.String("period", "", "考核期：年度（2024）或季度（2024Q3）")
	city := fs.String("city", "", "提出异议的城市：代码或名称")
	var subjects, docs listFlag
	fs.Var(&subjects, "subject", "异议事项：I1–I22、K1–K8 或 其他（可重复）")
	statement := fs.String("statement", "", "异议陈述（不超过 2000 字）")
	upload := fs.String("upload", "", "更正数据文件（考核期内某月）")
	kind := fs.String("kind", "", "更正数据的类型")
	month := fs.String("month", "", "更正数据的月份 YYYY-MM")
	fs.Var(&docs, "doc", "证明材料：PDF、JPG、PNG 或 XLSX，每份不超过 20 MiB（可重复，至多 5 份）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := periodFlag(*period)
	if err != nil {
		return err
	}
	c, err := cityFlag(*city)
	if err != nil {
		return err
	}
	r := issuing.ObjectionRequest{Period: p, City: c.Code, Subjects: subjects, Statement: *statement}
	if *upload != "" {
		k, ok := flexemp.ParseKind(*kind)
		if !ok {
			return usagef("--upload 需要 --kind：registrations、subsidies、trainings 或 services")
		}
		m, err := flexemp.ParseMonth(*month)
		if err != nil {
			return usagef("--upload 需要 --month YYYY-MM")
		}
		r.Correction = &ingest.Request{Path: *upload, Kind: k, Month: m, Uploader: "cli"}
	}
	for _, path := range docs {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("读取证明材料 %s 失败：%w", path, err)
		}
		r.Documents = append(r.Documents, issuing.Document{Name: path, Content: b})
	}
	ctx, is, at, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	r.At = at
	o, res, err := is.Object(ctx, r)
	if res != nil {
		fmt.Fprintf(stdout, "更正数据：%s，上传编号 %d，%d 行接收，%d 行拒收\n", res.Status, res.UploadID, res.Accepted, res.Rejected)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "异议 %d 已提交（%s，%s）\n", o.ID, c.Name, strings.Join(o.Subjects, "、"))
	return nil
}

func runObjections(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var d dbFlags
	var city string
	p, format, err := periodFlags("objections", d.registerFlags, args, stderr, []string{"table", "json"}, func(fs *flag.FlagSet) {
		fs.StringVar(&city, "city", "", "只列该城市的异议")
	})
	if err != nil {
		return err
	}
	code := ""
	if city != "" {
		c, err := cityFlag(city)
		if err != nil {
			return err
		}
		code = c.Code
	}
	_, db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer release(ctx, db)
	list, err := issuing.Objections(ctx, db, p, code)
	if err != nil {
		return err
	}
	if format == "json" {
		if list == nil {
			list = []*issuing.Objection{}
		}
		return writeJSON(stdout, list)
	}
	return issuing.WriteObjections(stdout, list)
}

func runDecide(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("decide", stderr)
	var s stepFlags
	s.register(fs)
	id := fs.Int64("objection", 0, "异议编号")
	accept := fs.Bool("accept", false, "采纳")
	reject := fs.Bool("reject", false, "不予采纳")
	reason := fs.String("reason", "", "处理理由（必填）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id <= 0 {
		return usagef("请用 --objection 给出异议编号")
	}
	if *accept == *reject {
		return usagef("请给出 --accept（采纳）或 --reject（不予采纳）之一")
	}
	ctx, is, at, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	o, err := is.Decide(ctx, *id, *accept, *reason, at)
	if err = stepDone(err, stderr); o == nil {
		return err
	}
	fmt.Fprintf(stdout, "异议 %d：%s\n", o.ID, o.Decision)
	return err
}

func runFinalise(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return periodStep(ctx, "finalise", args, stderr, nil, func(ctx context.Context, is *issuing.Issuer, p flexemp.Period, at time.Time) error {
		pub, err := is.Finalise(ctx, p, at)
		if pub != nil {
			fmt.Fprintf(stdout, "%s 排名已定稿（第%d版）\n排名数据 SHA-256 %s\n", p, pub.Edition, pub.Final.SHA256)
		}
		return err
	})
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var d dbFlags
	p, _, err := periodFlags("verify", d.registerFlags, args, stderr, nil, nil)
	if err != nil {
		return err
	}
	is, done, err := d.issuer(ctx)
	if err != nil {
		return err
	}
	defer done()
	checks, err := is.Verify(ctx, p)
	if err != nil {
		return err
	}
	failed := false
	for _, c := range checks {
		stage, verdict := "公示稿", "一致"
		switch {
		case c.Final && c.Publication.Superseded:
			stage = "定稿（已修订）"
		case c.Final:
			stage = "定稿"
		case c.Publication.Withdrawn != nil:
			stage = "公示稿（已撤回）"
		}
		if !c.OK() {
			verdict, failed = "不一致（重新计算得 "+c.Recomputed+"）", true
		}
		fmt.Fprintf(stdout, "%s 第%d版%s：SHA-256 %s %s\n", p, c.Publication.Edition, stage, c.Stored, verdict)
	}
	if failed {
		return exitError(1)
	}
	return nil
}

// issuedRanking is the ranking rank shows: the state asked for, else the
// final, else the open publication, else the latest draft (nil).
func issuedRanking(ctx context.Context, db *sql.DB, p flexemp.Period, state string) (*metrics.Ranking, error) {
	if state == issuing.Draft {
		return nil, nil
	}
	pub, err := issuing.Current(ctx, db, p)
	if err != nil {
		return nil, err
	}
	final := pub != nil && pub.Final != nil
	switch {
	case state == "" && pub == nil:
		return nil, nil
	case state == issuing.Published && pub == nil, state == issuing.Final && !final:
		return nil, flexemp.Errorf(flexemp.ENOTFOUND, "%s 没有%s的排名", p, map[string]string{issuing.Published: "公示", issuing.Final: "定稿"}[state])
	}
	return issuing.Ranking(ctx, db, pub, final && state != issuing.Published)
}

// stateText is a ranking's state in Chinese, with an issued one's hash.
func stateText(r *metrics.Ranking) string {
	switch r.State {
	case issuing.Published:
		return "公示稿 SHA-256 " + r.SHA256
	case issuing.Final:
		return "定稿 SHA-256 " + r.SHA256
	}
	return "草稿（未公示）"
}
