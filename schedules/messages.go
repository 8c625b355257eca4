package schedules

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

// report assesses the year to date, writes its report and mails the
// province its summary and each city its scorecard.
func (e *Env) report(ctx context.Context, planned time.Time) (Result, error) {
	lm := lastMonth(planned)
	p := flexemp.Period{Year: lm.Year}
	if e.ReportPeriod != nil {
		p = *e.ReportPeriod
	}
	// A report caught up late shows the latest assessment when that is
	// newer than its own date: the ranking never goes back in time.
	later, err := laterAssessment(ctx, e.Store.DB(), p, flexemp.DateOf(planned))
	if err != nil {
		return Result{}, err
	}
	if later == "" {
		if _, err := e.Store.Assess(ctx, p, flexemp.DateOf(planned)); errors.Is(err, metrics.ErrNothingSent) {
			return Result{Skip: flexemp.ErrorMessage(err) + "，报告未发送"}, nil
		} else if err != nil {
			return Result{}, err
		}
	}
	d, err := reports.Load(ctx, e.Store.DB(), p, e.Now())
	if err != nil {
		return Result{}, err
	}
	written, err := reports.Write(filepath.Join(e.ReportsDir, p.String()), d)
	if err != nil {
		return Result{}, err
	}
	res := Result{Detail: "报告 " + written.Report}
	if e.Mailer == nil || e.Mailer.Config.Host == "" {
		res.Warning = "未配置邮件服务器（[mail] host），报告未发送"
		return res, nil
	}
	is, err := issuedOf(ctx, e.Store.DB(), p)
	if err != nil {
		return res, err
	}
	var pngs map[string][]byte
	state := "本邮件所示为草稿（未公示），排名随数据与考核变化。"
	if is != nil {
		// What stands is what the mail shows; the draft's charts are left out.
		state = ""
	} else {
		images := e.Images
		if images == nil {
			images = reports.ChartImages
		}
		var imgErr error
		if pngs, imgErr = images(ctx, reports.MailCharts(d)); imgErr != nil {
			pngs = nil
			res.Warning = fmt.Sprintf("无法生成图表图片（%v），邮件只含表格", imgErr)
		}
	}
	key := fmt.Sprintf("report:%s:%s", p, lm)
	if e.Resend {
		key += ":resend:" + e.Now().Format(time.RFC3339)
	}
	// The year's dispatch as of the run, when the province set targets:
	// the province's mail names the cities behind, a city's its own tasks.
	var dispatched *dispatch.Report
	if e.Dispatcher != nil {
		if dispatched, err = e.Dispatcher.Report(ctx, p.Year, flexemp.DateOf(planned)); err != nil && flexemp.ErrorCode(err) == flexemp.EINTERNAL {
			return res, err
		}
	}
	msgs := e.provinceMail(d, key, pngs, written.HTML, written.XLSX, state+behindText(dispatched)+auditHead(ctx, e.Store), is)
	msgs = append(msgs, e.cityMail(d, key, pngs, state, is, dispatched)...)
	return e.send(ctx, msgs, res, "邮件")
}

// issued is a period's issued ranking that stands: the publication or its
// final, its rank JSON and its stored files.
type issued struct {
	pub     *issuing.Publication
	ranking *metrics.Ranking
	files   []issuedFile // the report and the workbook the mail attaches
}

type issuedFile struct {
	name, sha256 string
	content      []byte
}

// issuedOf is the period's standing publication or final; nil when none.
func issuedOf(ctx context.Context, db *sql.DB, p flexemp.Period) (*issued, error) {
	pub, err := issuing.Current(ctx, db, p)
	if err != nil || pub == nil {
		return nil, err
	}
	final := pub.Final != nil
	rk, err := issuing.Ranking(ctx, db, pub, final)
	if err != nil {
		return nil, err
	}
	is := &issued{pub: pub, ranking: rk}
	for _, name := range []string{issuing.ReportHTML, issuing.RankingXLSX} {
		b, sum, err := issuing.File(ctx, db, pub.ID, final, name)
		if err != nil {
			return nil, err
		}
		is.files = append(is.files, issuedFile{name, sum, b})
	}
	return is, nil
}

// stateWord is 公示稿 or 定稿.
func (is *issued) stateWord() string {
	if is.pub.Final != nil {
		return "定稿"
	}
	return "公示稿"
}

// send mails msgs and adds the account to res; a failed delivery fails the
// run, so it shows in `flexemp jobs`, and the next run retries it.
func (e *Env) send(ctx context.Context, msgs []Outgoing, res Result, what string) (Result, error) {
	rep, err := e.Mailer.Send(ctx, msgs)
	res.Detail += fmt.Sprintf("；%s发送 %d 封，此前已发送 %d 封，失败 %d 封", what, rep.Sent, rep.AlreadySent, rep.Failed)
	if err != nil {
		return res, err
	}
	if rep.Failed > 0 {
		return res, fmt.Errorf("%d 封%s发送失败，下次运行将重试：%s", rep.Failed, what, strings.Join(rep.Errors, "；"))
	}
	return res, nil
}

var mailTmpl = template.Must(template.New("mail").Parse(`<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="font-family:'Microsoft YaHei','PingFang SC',sans-serif;color:#1a1a1a">
<h2 style="color:#8b1a1a">{{.Title}}</h2>
<p>{{.Lead}}</p>
{{if .Table}}<table style="border-collapse:collapse;font-size:13px">
<tr>{{range .Head}}<th style="border:1px solid #ccc;padding:4px 8px;background:#f0f2f5">{{.}}</th>{{end}}</tr>
{{range .Table}}<tr>{{range .}}<td style="border:1px solid #ccc;padding:4px 8px">{{.}}</td>{{end}}</tr>{{end}}
</table>{{end}}
{{range .Images}}<p><img src="cid:{{.}}" alt="图表" style="max-width:760px"></p>{{end}}
<p style="color:#555;font-size:12px">{{.Foot}}</p>
{{if .Link}}<p style="font-size:12px">考核系统：<a href="{{.Link}}">{{.Link}}</a></p>{{end}}
</body></html>`))

type mailView struct {
	Title, Lead, Foot string
	Link              string // the system's address, [mail] link
	Head              []string
	Table             [][]string
	Images            []string
}

// render makes a message's HTML and plain text from the same view, both
// ending with the system's address when [mail] link is set.
func (e *Env) render(v mailView) (html, text string) {
	if e.Mailer != nil {
		v.Link = e.Mailer.Config.Link
	}
	var h bytes.Buffer
	mailTmpl.Execute(&h, v)
	var t strings.Builder
	fmt.Fprintf(&t, "%s\n\n%s\n\n", v.Title, v.Lead)
	tw := columns.NewWriter(&t)
	if len(v.Table) > 0 {
		fmt.Fprintln(tw, strings.Join(v.Head, "\t"))
		for _, row := range v.Table {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	tw.Flush()
	fmt.Fprintf(&t, "\n%s\n", v.Foot)
	if v.Link != "" {
		fmt.Fprintf(&t, "考核系统：%s\n", v.Link)
	}
	return h.String(), t.String()
}

func png(name string, pngs map[string][]byte, id string) []Part {
	if b, ok := pngs[id]; ok {
		return []Part{{Name: name, ContentType: "image/png", Data: b}}
	}
	return nil
}

func (e *Env) provinceMail(d *reports.Data, key string, pngs map[string][]byte, html, xlsx []byte, head string, is *issued) []Outgoing {
	r := d.Result
	v := mailView{
		Title: fmt.Sprintf("辽宁省支持灵活就业政策落实考核%s（%s）", reportKind(d.Period, r.Run), reports.PeriodText(d.Period, r.Run)),
		Head:  []string{"名次", "城市", "综合指数", "90%名次区间", "等次", "优先推荐"},
		Foot:  fmt.Sprintf("考核批次 %d，配置摘要 %s。完整报告与排名表见附件（报告可离线打开）。%s", r.Run.ID, r.Run.ConfigHash, head),
	}
	var priority []string
	attach := []Part{
		{Name: fmt.Sprintf("考核报告-%s.html", d.Period), ContentType: "text/html", Data: html},
		{Name: fmt.Sprintf("考核排名-%s.xlsx", d.Period), ContentType: reports.XLSXType, Data: xlsx},
	}
	if is != nil {
		// The issued ranking that stands, and its files as issued with their
		// stored SHA-256.
		v.Table = reports.IssuedTable(is.ranking)
		for _, c := range is.ranking.Cities {
			if c.Priority {
				priority = append(priority, c.Name)
			}
		}
		v.Title += "（" + is.stateWord() + "）"
		v.Foot = fmt.Sprintf("附件为%s所发布的报告与排名表，可用 sha256sum 与上列 SHA-256 核对。最新草稿（考核批次 %d）%s，可在考核系统中查看。%s",
			is.stateWord(), r.Run.ID, issuing.DraftLabel, head)
		v.Lead = is.pub.Stamp() + "。" + reports.Priority + "：" + orNone(strings.Join(priority, "、")) + "。"
		attach = nil
		for _, f := range is.files {
			v.Lead += fmt.Sprintf(" %s SHA-256 %s。", f.name, f.sha256)
			attach = append(attach, Part{Name: fmt.Sprintf("%s-%s-%s", is.stateWord(), d.Period, f.name), ContentType: issuing.MediaType(f.name), Data: f.content})
		}
	} else {
		for _, row := range reports.RankRows(r) {
			mark := ""
			if row.Priority {
				mark = "推荐"
				priority = append(priority, row.Name)
			}
			v.Table = append(v.Table, []string{row.Rank, row.Name, row.Index, row.Band, row.Grade, mark})
		}
		v.Lead = reports.Priority + "：" + orNone(strings.Join(priority, "、")) + "。" + reports.FindingsLine(d.Findings)
	}
	var inline []Part
	inline = append(inline, png("ranking.png", pngs, "chart_ranking")...)
	inline = append(inline, png("bands.png", pngs, "chart_bands")...)
	for _, p := range inline {
		v.Images = append(v.Images, p.Name)
	}
	h, t := e.render(v)
	var out []Outgoing
	for _, to := range e.Mailer.Config.Province {
		out = append(out, Outgoing{Key: key, To: to, Subject: v.Title, Text: t, HTML: h, Inline: inline, Attachments: attach})
	}
	return out
}

// reportKind is what the mail is: a month's report of a running period,
// else the year's or the quarter's report.
func reportKind(p flexemp.Period, run metrics.Stamp) string {
	switch {
	case p.Running(run.AsOf.Time):
		return "月报"
	case p.Quarter != 0:
		return "季度报告"
	}
	return "年度报告"
}

// auditHead is the audit trail's head, verified, in the words of the
// province's mail: kept with the mail, it lets anyone later check that the
// trail was not rewritten (flexemp audit verify --head SEQ:HASH).
func auditHead(ctx context.Context, st *store.Store) string {
	seq, hash, err := store.VerifyAudit(ctx, st.DB(), "")
	var broken *store.AuditBroken
	switch {
	case errors.As(err, &broken):
		return "审计日志校验失败：" + broken.Error() + "，请立即核查。"
	case err != nil:
		return "审计日志无法校验，请联系系统管理员。"
	}
	return fmt.Sprintf("审计日志链头 %d:%s（可用 flexemp audit verify --head %d:%s 核对日志此后未被改写）。", seq, hash, seq, hash)
}

// behindText and cityText are a dispatch's sentences for the report mail,
// none without one.
func behindText(r *dispatch.Report) string {
	if r == nil {
		return ""
	}
	return r.BehindText()
}

func cityText(r *dispatch.Report, city string) string {
	if r == nil {
		return ""
	}
	return r.CityText(city)
}

func orNone(s string) string {
	if s == "" {
		return "无"
	}
	return s
}

// cityMail gives each city's contacts their own scorecard, nothing of the
// other cities.
func (e *Env) cityMail(d *reports.Data, key string, pngs map[string][]byte, state string, is *issued, dispatched *dispatch.Report) []Outgoing {
	var out []Outgoing
	for i := range d.Result.Cities {
		c := &d.Result.Cities[i]
		contacts := e.Mailer.Config.Cities[c.Code]
		if len(contacts) == 0 {
			continue
		}
		v := mailView{
			Title: fmt.Sprintf("%s灵活就业政策落实考核记分卡（%s）", c.Name, reports.PeriodText(d.Period, d.Result.Run)),
			Head:  []string{"指标", "名称", "原值", "标准化得分", "对指数贡献", "较上期"},
			Foot:  state + cityText(dispatched, c.Code) + "本邮件只含本市数据。如对数据有疑问，请登录考核系统查看上传记录与被拒行。",
		}
		ch := d.Changes[c.Code]
		v.Lead = reports.Headline(c) + "。" + reports.ChangeText(ch, c)
		var entry *reports.IssuedEntry
		if is != nil {
			for i := range is.ranking.Cities {
				if is.ranking.Cities[i].Code == c.Code {
					entry = reports.NewIssuedEntry(is.pub.Stamp(), &is.ranking.Cities[i])
				}
			}
		}
		if entry != nil {
			// The city's entry as issued; the draft in one line below it.
			v.Title += "（" + is.stateWord() + "）"
			v.Lead = entry.Stamp + "。" + entry.Headline + "。"
			v.Head = []string{"指标", "名称", "原值"}
			for _, r := range entry.Rows {
				v.Table = append(v.Table, []string{r.ID, r.Title, r.Value})
			}
			v.Foot = "最新" + issuing.DraftLabel + "：" + reports.Headline(c) + "。" + v.Foot
		} else {
			for _, ind := range c.Indicators {
				v.Table = append(v.Table, []string{ind.ID, ind.Title, reports.IndicatorCell(ind), reports.Fixed(ind.Normalised, 1),
					reports.Fixed(ind.Contribution, 2), reports.Signed(ind.ID, ch.Indicators[ind.ID])})
			}
		}
		inline := png("contributions.png", pngs, "chart_mail_"+c.Code)
		for _, p := range inline {
			v.Images = append(v.Images, p.Name)
		}
		h, t := e.render(v)
		for _, to := range contacts {
			out = append(out, Outgoing{Key: key, To: to, Subject: v.Title, Text: t, HTML: h, Inline: inline})
		}
	}
	return out
}

// reminder mails each city that has not uploaded every kind for last month
// before the deadline on the 10th.
func (e *Env) reminder(ctx context.Context, planned time.Time) (Result, error) {
	lm := lastMonth(planned)
	timeliness, _ := flexemp.IndicatorByID("I16")
	receipts, err := ingest.Receipts(ctx, e.Store.DB(), lm, lm)
	if err != nil {
		return Result{}, err
	}
	missing := map[string][]string{}
	for _, r := range receipts {
		if r.First == nil {
			missing[r.City] = append(missing[r.City], flexemp.ContractOf(r.Kind).Title)
		}
	}
	deadline := lm.Deadline().Add(-time.Second).In(flexemp.Shanghai)
	// Overdue by when it is sent: a reminder caught up after the deadline
	// says so.
	sent := e.Now()
	overdue := !sent.Before(lm.Deadline())
	key := "reminder:" + lm.String()
	if overdue { // a late reminder is a new message, even where the first went out
		key += ":overdue"
	}
	var msgs []Outgoing
	var late, unreachable []string
	for _, c := range flexemp.Cities {
		missing := missing[c.Code]
		if len(missing) == 0 {
			continue
		}
		late = append(late, c.Name)
		var contacts []string
		if e.Mailer != nil {
			contacts = e.Mailer.Config.Cities[c.Code]
		}
		if len(contacts) == 0 {
			unreachable = append(unreachable, c.Name)
			continue
		}
		subject := fmt.Sprintf("【提醒】%s%d年%d月数据尚未报送齐全", c.Name, lm.Year, int(lm.Month))
		lead := fmt.Sprintf("截至目前，贵市%d年%d月尚未报送：%s。报送截止时间为 %s（北京时间）；逾期将计入%s（%s）。",
			lm.Year, int(lm.Month), strings.Join(missing, "、"), flexemp.DayEndText(deadline), timeliness.Title, timeliness.ID)
		if overdue {
			subject = fmt.Sprintf("【逾期】%s%d年%d月数据尚未报送齐全，已过截止时间", c.Name, lm.Year, int(lm.Month))
			lead = fmt.Sprintf("截至 %s，贵市%d年%d月尚未报送：%s。报送截止时间 %s（北京时间）已过，%s（%s）将按逾期计；请尽快补报，补报的数据仍计入考核。",
				sent.In(flexemp.Shanghai).Format("2006年1月2日 15:04"), lm.Year, int(lm.Month), strings.Join(missing, "、"),
				flexemp.DayEndText(deadline), timeliness.Title, timeliness.ID)
		}
		h, t := e.render(mailView{Title: subject, Lead: lead,
			Foot: "请登录考核系统，在首页“数据上传”中选择数据类型和月份上传；各类数据的模板可在同一页下载，上传后页面会列出被拒的行及原因。"})
		for _, to := range contacts {
			msgs = append(msgs, Outgoing{Key: key, To: to, Subject: subject, Text: t, HTML: h})
		}
	}
	res := Result{Detail: fmt.Sprintf("%s 未报齐的城市：%s", lm, orNone(strings.Join(late, "、")))}
	if len(unreachable) > 0 {
		res.Warning = "以下城市未配置联系人，未能提醒：" + strings.Join(unreachable, "、")
	}
	if len(msgs) == 0 {
		return res, nil
	}
	if e.Mailer == nil || e.Mailer.Config.Host == "" {
		res.Warning = "未配置邮件服务器（[mail] host），提醒未发送"
		return res, nil
	}
	return e.send(ctx, msgs, res, "提醒")
}
