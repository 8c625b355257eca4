package schedules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/reports"
)

// Circulated is what a bulletin circulates of each city: its completion
// rate and status per task, nothing else (SPEC "Dispatch").
type Circulated map[string]map[string]dispatch.Circulation

// CirculatedOf is a report's circulated statuses.
func CirculatedOf(r *dispatch.Report) Circulated {
	out := Circulated{}
	for _, c := range r.Cities {
		out[c.Code] = map[string]dispatch.Circulation{}
		for id, p := range c.Tasks {
			out[c.Code][id] = dispatch.Circulation{Rate: p.Rate, Status: p.Status}
		}
	}
	return out
}

// bulletin makes the month's 调度通报 for the year of the month before the
// run, as of the run's day, keeps it (bulletins), writes it beside the
// reports, mails it to the province list and every city, and posts a
// summary to the webhooks. A year without targets, or none due yet, is
// skipped with the reason.
func (e *Env) bulletin(ctx context.Context, planned time.Time) (Result, error) {
	if e.Dispatcher == nil {
		return Result{Skip: "未配置调度"}, nil
	}
	lm := lastMonth(planned)
	r, err := e.Dispatcher.Report(ctx, lm.Year, flexemp.DateOf(planned))
	var fe *flexemp.Error
	if errors.As(err, &fe) && (fe.Code == flexemp.ENOTFOUND || fe.Code == flexemp.EINVALID) {
		return Result{Skip: fe.Message + "，调度通报未生成"}, nil
	}
	if err != nil {
		return Result{}, err
	}
	var h bytes.Buffer
	if err := (&reports.Bulletin{Report: r, Made: e.Now()}).HTML(&h); err != nil {
		return Result{}, err
	}
	var res Result
	print := e.PDF
	if print == nil {
		print = reports.PDF
	}
	pdf, perr := print(ctx, h.Bytes())
	if perr != nil {
		pdf = nil
		res.Warning = fmt.Sprintf("无法打印 PDF（%v），只发送 HTML", perr)
	}
	html, pdf, err := e.keepBulletin(ctx, r, h.Bytes(), pdf)
	if err != nil {
		return res, err
	}
	dir := filepath.Join(e.ReportsDir, "bulletins", r.Through.String())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, err
	}
	files := []Part{{Name: "调度通报-" + r.Through.String() + ".html", ContentType: "text/html; charset=utf-8", Data: html}}
	os.WriteFile(filepath.Join(dir, "bulletin.html"), html, 0o600)
	if len(pdf) > 0 {
		files = append(files, Part{Name: "调度通报-" + r.Through.String() + ".pdf", ContentType: "application/pdf", Data: pdf})
		os.WriteFile(filepath.Join(dir, "bulletin.pdf"), pdf, 0o600)
	}
	res.Detail = fmt.Sprintf("%s：%s", r.Title(), filepath.Join(dir, "bulletin.html"))
	key := "bulletin:" + r.Through.String()
	var sendErr error
	if e.Mailer == nil || e.Mailer.Config.Host == "" {
		res.Warning = strings.TrimPrefix(res.Warning+"；未配置邮件服务器（[mail] host），调度通报未发送", "；")
	} else {
		res, sendErr = e.send(ctx, e.bulletinMail(r, key, files), res, "调度通报")
	}
	// A webhook down or slow never holds the mail back: it posts after.
	if e.Poster != nil && len(e.Poster.Config.WebhookURLs) > 0 {
		rep, err := e.Poster.Post(ctx, key, r.Title(), BulletinMarkdown(r, e.link()))
		res.Detail += fmt.Sprintf("；群机器人推送 %d 条，此前已推送 %d 条，失败 %d 条", rep.Sent, rep.AlreadySent, rep.Failed)
		if rep.Unknown > 0 {
			res.Warning = strings.TrimPrefix(res.Warning+fmt.Sprintf("；%d 条群机器人推送在发送途中中断，可能已送达，未重发，请在群内核对", rep.Unknown), "；")
		}
		if err == nil && rep.Failed > 0 {
			err = fmt.Errorf("%d 条群机器人推送失败，下次运行将重试：%s", rep.Failed, strings.Join(rep.Errors, "；"))
		}
		sendErr = errors.Join(sendErr, err)
	}
	return res, sendErr
}

// keepBulletin stores a bulletin once per year, month and as-of date, and
// gives the stored files: a rerun sends the bytes first kept.
func (e *Env) keepBulletin(ctx context.Context, r *dispatch.Report, html, pdf []byte) ([]byte, []byte, error) {
	statuses, _ := json.Marshal(CirculatedOf(r))
	err := e.Store.Write(func() error {
		db := e.Store.DB()
		if _, err := db.ExecContext(ctx, `INSERT INTO bulletins (bulletin_id, year, through, as_of, made_at, title, statuses, html, pdf)
			SELECT coalesce(max(bulletin_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM bulletins ON CONFLICT DO NOTHING`,
			r.Year, r.Through.First(), r.AsOf, e.Now(), r.Title(), string(statuses), html, pdf); err != nil {
			return err
		}
		return db.QueryRowContext(ctx, `SELECT html, pdf FROM bulletins WHERE year = ? AND through = ? AND as_of = ?`,
			r.Year, r.Through.First(), r.AsOf).Scan(&html, &pdf)
	})
	return html, pdf, err
}

// bulletinMail is the bulletin to the province list and every city's
// contacts: the same circular to all, every city's completion rates and
// statuses, the files attached.
func (e *Env) bulletinMail(r *dispatch.Report, key string, files []Part) []Outgoing {
	head, table := StatusTable(r)
	lead := fmt.Sprintf("%s 完成率与时序进度（%s）对照如下；", r.AsOf, dispatch.Percent(r.TimeProgress))
	if named := r.Named(dispatch.Severe); len(named) > 0 {
		lead += "严重滞后：" + strings.Join(named, "、") + "；"
	}
	if named := r.Named(dispatch.Behind); len(named) > 0 {
		lead += "滞后：" + strings.Join(named, "、") + "。"
	}
	h, t := e.render(mailView{Title: r.Title(), Lead: lead, Head: head, Table: table,
		Foot: "调度通报全文（HTML 与 PDF）见附件；各市可登录考核系统查看本市的进度与全年预测。"})
	var out []Outgoing
	recipients := append([]string(nil), e.Mailer.Config.Province...)
	for _, c := range flexemp.Cities {
		recipients = append(recipients, e.Mailer.Config.Cities[c.Code]...)
	}
	for _, to := range recipients {
		out = append(out, Outgoing{Key: key, To: to, Subject: r.Title(), Text: t, HTML: h, Attachments: files})
	}
	return out
}

// StatusTable is the cities × tasks table of completion rates and
// statuses a bulletin circulates.
func StatusTable(r *dispatch.Report) (head []string, rows [][]string) {
	head = []string{"城市"}
	shown := dispatch.Targeted(r.Province)
	for _, t := range shown {
		head = append(head, t.ID+" "+t.Title)
	}
	for _, c := range r.Cities {
		if len(c.Tasks) == 0 {
			continue
		}
		row := []string{c.Name}
		for _, t := range shown {
			if p := c.Tasks[t.ID]; p != nil {
				row = append(row, dispatch.Percent(p.Rate)+" "+p.Status)
			} else {
				row = append(row, "—")
			}
		}
		rows = append(rows, row)
	}
	return head, rows
}

// BulletinMarkdown is the webhook's short summary: the title, the province
// totals, the cities behind, and a link.
func BulletinMarkdown(r *dispatch.Report, link string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n截至 %s，时序进度 %s\n", r.Title(), r.AsOf, dispatch.Percent(r.TimeProgress))
	for _, t := range flexemp.Tasks {
		if tot := r.Province[t.ID]; tot != nil {
			fmt.Fprintf(&b, "> %s：完成 %d / 目标 %d，**%s**\n", t.Title, tot.Actual, tot.Target, dispatch.Percent(tot.Rate))
		}
	}
	for _, s := range []string{dispatch.Severe, dispatch.Behind} {
		if named := r.Named(s); len(named) > 0 {
			fmt.Fprintf(&b, "\n**%s**：%s\n", s, strings.Join(named, "、"))
		}
	}
	if link != "" {
		fmt.Fprintf(&b, "\n[查看调度情况](%s)\n", strings.TrimSuffix(link, "/")+"/dispatch")
	}
	return b.String()
}

// link is the system's address, [mail] link.
func (e *Env) link() string {
	if e.Mailer == nil {
		return ""
	}
	return e.Mailer.Config.Link
}
