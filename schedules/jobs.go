package schedules

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

// Specs are the jobs' schedules (cron, Asia/Shanghai).
type Specs struct {
	Inbox    string `toml:"inbox"`    // default every 5 minutes
	Assess   string `toml:"assess"`   // default 02:30 every night
	Report   string `toml:"report"`   // default 09:00 on the 15th
	Reminder string `toml:"reminder"` // default 09:00 on the 10th
	Bulletin string `toml:"bulletin"` // default 09:00 on the 12th
}

// Options are the scheduler's settings, as [schedules] in flexemp.toml.
type Options struct {
	Specs
	Inbox    string `toml:"inbox_dir"`    // <city>/<kind>/<file> dropped here are picked up; default <db dir>/inbox
	Archive  string `toml:"archive_dir"`  // default <db dir>/archive
	Rejected string `toml:"rejected_dir"` // default <db dir>/rejected
	Reports  string `toml:"reports_dir"`  // default <db dir>/reports
	Off      bool   `toml:"off"`          // serve without the scheduler
}

// Beside fills the folders left empty with their defaults beside the
// database file.
func (o Options) Beside(dbPath string) Options {
	dir := filepath.Dir(dbPath)
	for _, f := range []struct {
		p    *string
		name string
	}{{&o.Inbox, "inbox"}, {&o.Archive, "archive"}, {&o.Rejected, "rejected"}, {&o.Reports, "reports"}} {
		if *f.p == "" {
			*f.p = filepath.Join(dir, f.name)
		}
	}
	return o
}

// DefaultSpecs are SPEC's rhythm.
var DefaultSpecs = Specs{Inbox: "*/5 * * * *", Assess: "30 2 * * *", Report: "0 9 15 * *", Reminder: "0 9 10 * *", Bulletin: "0 9 12 * *"}

// Job names.
const (
	JobInbox    = "inbox"
	JobAssess   = "assess"
	JobReport   = "report"
	JobReminder = "reminder"
	JobBulletin = "bulletin"
)

// JobNames are the jobs, with what each does, for help texts.
var JobNames = []string{JobInbox + "（收件目录入库）", JobAssess + "（考核本年与本季度）", JobReport + "（生成报告并发送邮件）", JobReminder + "（提醒未报送的城市）",
	JobBulletin + "（生成并发送调度通报）"}

// Env is what the jobs work with.
type Env struct {
	Store  *store.Store
	Mailer *Mailer
	// Dispatcher counts the bulletin's dispatch; Poster posts its summary
	// to the group robots ([notify] webhook_urls); PDF prints it (default
	// reports.PDF).
	Dispatcher *dispatch.Dispatcher
	Poster     *Poster
	PDF        func(ctx context.Context, html []byte) ([]byte, error)
	// ResumeNotices, if set, sends the issuing mail still owed (a crash, a
	// mail server down); each inbox run calls it.
	ResumeNotices func(ctx context.Context) (int, error)
	// Inbox holds dropped files as <city>/<kind>/<file>; accepted ones move
	// to Archive, refused ones to Rejected with a reason file beside them.
	Inbox, Archive, Rejected string
	ReportsDir               string        // reports/<period>/report.html and ranking.xlsx
	Settle                   time.Duration // a file younger than this may still be copied in; default 1 minute
	InboxWorkers             int           // inbox files ingested at once; default the CPUs, at most 4
	Now                      func() time.Time
	// Images draws charts for mail; default reports.ChartImages. An error
	// sends the mail with tables only and makes the run a warning.
	Images func(ctx context.Context, charts []reports.Chart) (map[string][]byte, error)
	// ReportPeriod, when set, is the period the report job reports (run-job
	// report --period); by default the year of the month before the run.
	ReportPeriod *flexemp.Period
	// Resend mails the report again as a new mailing (run-job report
	// --resend): a corrected report goes out even where the first was sent.
	Resend bool
}

// Jobs are the jobs with their schedules; an empty spec takes the
// default.
func (e *Env) Jobs(s Specs) []Job {
	or := func(spec, def string) string {
		if spec == "" {
			return def
		}
		return spec
	}
	return []Job{
		{JobInbox, or(s.Inbox, DefaultSpecs.Inbox), e.inbox},
		{JobAssess, or(s.Assess, DefaultSpecs.Assess), e.assess},
		{JobReport, or(s.Report, DefaultSpecs.Report), e.report},
		{JobReminder, or(s.Reminder, DefaultSpecs.Reminder), e.reminder},
		{JobBulletin, or(s.Bulletin, DefaultSpecs.Bulletin), e.bulletin},
	}
}

// inbox ingests every settled file under Inbox/<city>/<kind>/ and moves it
// to the archive or, refused, to the rejected folder with its reason. Files
// of one city, kind and month go in name order (an extract before its
// correction); different months go at once on the inbox's workers, so one
// file is read and validated while another commits (the store serialises
// only the commit), all as one bulk run of the store. Each worker commits
// its small files in groups (store.Batch): a province's two years went
// from 36 s to 25 s (BENCHMARKS).
func (e *Env) inbox(ctx context.Context, planned time.Time) (res Result, err error) {
	if e.ResumeNotices != nil {
		defer func() {
			if n, rerr := e.ResumeNotices(ctx); rerr != nil {
				res.Warning = strings.TrimPrefix(res.Warning+"；", "；") + "补发公示等通知邮件未全部成功：" + rerr.Error()
			} else if n > 0 {
				res.Detail = strings.TrimPrefix(res.Detail+"；", "；") + fmt.Sprintf("补发 %d 项公示等通知邮件", n)
			}
		}()
	}
	if e.Inbox == "" {
		return Result{Warning: "未配置收件目录（[schedules] inbox）"}, nil
	}
	settle := e.Settle
	if settle == 0 {
		settle = time.Minute
	}
	run := &inboxRun{Env: e, now: e.Now()}
	if err := os.MkdirAll(e.Inbox, 0o755); err != nil {
		return Result{}, err
	}
	cities, err := os.ReadDir(e.Inbox)
	if err != nil {
		return Result{}, err
	}
	// A file not in a <city>/<kind>/ folder is never ingested: it goes to
	// the rejected folder with the reason, rather than lying unnoticed.
	misplaced := func(dir, name string) {
		path := filepath.Join(e.Inbox, dir, name)
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() || strings.HasPrefix(name, ".") || run.now.Sub(info.ModTime()) < settle {
			return
		}
		run.refused++
		run.fileAway(path, filepath.Join(e.Rejected, dir), "文件应放在收件目录的 <城市代码或名称>/<数据类型>/ 子目录中，如 沈阳/registrations/，未入库\n")
	}
	// slots are the settled files to ingest, by city, kind and the month in
	// their names ("" when a name has none: those go in one slot).
	slots := map[string][]inboxFile{}
	for _, cd := range cities {
		if !cd.IsDir() {
			misplaced("", cd.Name())
			continue
		}
		city, cityOK := flexemp.ResolveCity(cd.Name())
		kinds, err := os.ReadDir(filepath.Join(e.Inbox, cd.Name()))
		if err != nil {
			return Result{}, err
		}
		for _, kd := range kinds {
			if !kd.IsDir() {
				misplaced(cd.Name(), kd.Name())
				continue
			}
			kind, kindOK := flexemp.ParseKind(kd.Name())
			dir := filepath.Join(e.Inbox, cd.Name(), kd.Name())
			files, err := os.ReadDir(dir)
			if err != nil {
				return Result{}, err
			}
			for _, f := range files {
				info, err := f.Info()
				if err != nil || !info.Mode().IsRegular() || strings.HasPrefix(f.Name(), ".") {
					continue
				}
				if run.now.Sub(info.ModTime()) < settle {
					run.waiting++
					continue
				}
				sub := filepath.Join(cd.Name(), kd.Name())
				path := filepath.Join(dir, f.Name())
				if !cityOK || !kindOK {
					run.refused++
					run.fileAway(path, filepath.Join(e.Rejected, sub), fmt.Sprintf("目录 %s 无法识别：应为 <城市代码或名称>/<数据类型>/<文件>", sub))
					continue
				}
				month, named := ingest.MonthInName(f.Name())
				slot := sub + "/" + month.String()
				slots[slot] = append(slots[slot], inboxFile{path: path, sub: sub, name: f.Name(), city: city.Code, kind: kind, month: month, named: named})
			}
		}
	}
	if len(slots) > 0 {
		if err := e.Store.Bulk(ctx, e.inboxWorkers(), func() { run.ingest(ctx, slots) }); err != nil {
			return Result{}, err
		}
	}
	r := Result{Detail: fmt.Sprintf("入库 %d 个，未变 %d 个，拒收 %d 个，等待写完 %d 个", run.accepted, run.unchanged, run.refused, run.waiting)}
	if len(run.problems) > 0 {
		sort.Strings(run.problems)
		return r, errors.New(strings.Join(run.problems, "；"))
	}
	return r, nil
}

// inboxRun is one run of the inbox job: what it counted and the problems
// it met, from its workers at once.
type inboxRun struct {
	*Env
	now                                   time.Time
	mu                                    sync.Mutex
	accepted, unchanged, refused, waiting int
	problems                              []string
}

// fileAway moves a file to dest with its reason; a move that fails is one
// of the run's problems.
func (r *inboxRun) fileAway(path, dest, reason string) {
	if err := file(path, dest, r.now, reason); err != nil {
		r.mu.Lock()
		r.problems = append(r.problems, err.Error())
		r.mu.Unlock()
	}
}

// ingest ingests each slot's files in order, slots at once on the inbox's
// workers, and files each away by its result; a file the store failed on
// stays, and the run says so.
func (r *inboxRun) ingest(ctx context.Context, slots map[string][]inboxFile) {
	work := make(chan []inboxFile)
	var wg sync.WaitGroup
	for range r.inboxWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Small files are committed in groups (store.Batch); each is
			// filed away once its fate is known.
			files := map[string]inboxFile{}
			b := r.Store.NewBatch(func(req ingest.Request, res *ingest.Result, err error) {
				f := files[req.Path]
				delete(files, req.Path)
				if dest, reason, ok := r.count(f, res, err); ok {
					r.fileAway(f.path, filepath.Join(dest, f.sub), reason)
				}
			})
			for slot := range work {
				for _, f := range slot {
					files[f.path] = f
					b.Ingest(ctx, ingest.Request{Path: f.path, FileName: f.name, City: f.city, Kind: f.kind,
						Month: f.month, Uploader: "inbox", ReceivedAt: r.now.In(flexemp.Shanghai)})
				}
			}
			b.Flush(ctx)
		}()
	}
	keys := make([]string, 0, len(slots))
	for k := range slots {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		work <- slots[k]
	}
	close(work)
	wg.Wait()
}

// count counts a file's result and says where the file goes, with its
// reason; not ok when the store failed.
func (r *inboxRun) count(f inboxFile, res *ingest.Result, err error) (dest, reason string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: %v", filepath.Join(f.sub, f.name), err))
		return "", "", false
	}
	switch res.Status {
	case ingest.StatusAccepted:
		r.accepted++
		if res.Notice != "" { // a late version: which version counts, beside the archived file
			return r.Archive, fmt.Sprintf("文件：%s\n已入库（上传编号 %d，第 %d 版）。%s\n", res.File, res.UploadID, res.Version, res.Notice), true
		}
	case ingest.StatusUnchanged:
		r.unchanged++
	default:
		r.refused++
		reason = refusalText(res)
		if !f.named {
			reason += "提示：收件目录中的文件可在文件名中注明月份（如 …_2024-03.csv），无数据行的空报表必须注明。\n"
		}
		return r.Rejected, reason, true
	}
	return r.Archive, "", true
}

// inboxFile is a settled file in the inbox, to ingest.
type inboxFile struct {
	path, sub, name string
	city            string
	kind            flexemp.Kind
	month           flexemp.Month // from the name, or zero
	named           bool
}

// inboxWorkers is how many inbox files are ingested at once: InboxWorkers,
// or by default the number of CPUs up to 4.
func (e *Env) inboxWorkers() int {
	if e.InboxWorkers > 0 {
		return e.InboxWorkers
	}
	return min(runtime.GOMAXPROCS(0), 4)
}

// refusalText is the reason file's text for a refused upload.
func refusalText(res *ingest.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "文件：%s\n拒收原因：%s\n", res.File, res.Error)
	if res.Rows > 0 {
		fmt.Fprintf(&b, "共 %d 行，被拒 %d 行。\n", res.Rows, res.Rejected)
	}
	// Reasons are keyed by their words already.
	var reasons []string
	for reason := range res.Reasons {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		fmt.Fprintf(&b, "  %s：%d 行\n", reason, res.Reasons[reason])
	}
	for i, r := range res.Samples {
		if i == 20 {
			break
		}
		fmt.Fprintf(&b, "  第%d行 %s “%s”：%s\n", r.Row, r.Column, r.Value, r.Reason)
	}
	return b.String()
}

// file moves a file into dir under a time-stamped name, with its reason
// beside it when there is one.
func file(path, dir string, now time.Time, reason string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dest := filepath.Join(dir, now.In(flexemp.Shanghai).Format("20060102-150405-")+filepath.Base(path))
	if err := os.Rename(path, dest); err != nil {
		return err
	}
	if reason == "" {
		return nil
	}
	return os.WriteFile(dest+".reason.txt", []byte(reason), 0o644)
}

// currentPeriods are the year and the quarter that contain t.
func currentPeriods(t time.Time) []flexemp.Period {
	t = t.In(flexemp.Shanghai)
	return []flexemp.Period{{Year: t.Year()}, {Year: t.Year(), Quarter: (int(t.Month())-1)/3 + 1}}
}

// assess assesses the current year and quarter as of the run's date; a
// period with no month due yet (early in a quarter) is passed over, and said
// so; one in which no city sent some kind is refused, and the run recorded
// as skipped with that message, never as a ranking of what is left.
func (e *Env) assess(ctx context.Context, planned time.Time) (Result, error) {
	var done, refused []string
	asOf := flexemp.DateOf(planned)
	for _, p := range currentPeriods(planned) {
		if len(p.DueMonths(asOf)) == 0 {
			done = append(done, fmt.Sprintf("%s 尚无到期月份，未考核", p))
			continue
		}
		if later, err := laterAssessment(ctx, e.Store.DB(), p, asOf); err != nil || later != "" {
			if err != nil {
				return Result{}, err
			}
			done = append(done, later)
			continue
		}
		a, err := e.Store.Assess(ctx, p, asOf)
		if errors.Is(err, metrics.ErrNothingSent) {
			refused = append(refused, flexemp.ErrorMessage(err))
			continue
		}
		if err != nil {
			return Result{Detail: strings.Join(done, "；")}, fmt.Errorf("%s: %w", p, err)
		}
		ranked := 0
		for _, r := range a.Result.Ranked {
			if r {
				ranked++
			}
		}
		done = append(done, fmt.Sprintf("%s %d 个城市参与排名", p, ranked))
	}
	return Result{Detail: strings.Join(append(done, refused...), "；"), Skip: strings.Join(refused, "；")}, nil
}

// laterAssessment says when the period's latest assessment was made as of
// a date after asOf: a run caught up late never moves a ranking back in
// time. "" when there is none.
func laterAssessment(ctx context.Context, db *sql.DB, p flexemp.Period, asOf time.Time) (string, error) {
	var latest sql.NullTime
	err := db.QueryRowContext(ctx, `SELECT as_of FROM assessment_runs WHERE period = ? ORDER BY run_id DESC LIMIT 1`, p.String()).Scan(&latest)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (!latest.Valid || !latest.Time.UTC().After(asOf)) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s 已有截至 %s 的考核，不回退到 %s", p, latest.Time.UTC().Format("2006-01-02"), asOf.Format("2006-01-02")), nil
}

// lastMonth is the month before t's, in Asia/Shanghai.
func lastMonth(t time.Time) flexemp.Month {
	m := flexemp.MonthOf(t.In(flexemp.Shanghai))
	return flexemp.MonthOf(m.First().AddDate(0, -1, 0))
}
