package schedules

import (
	"context"
	"fmt"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

// The mail of issuing a ranking (issuing.Notifier): at publication each
// city its own entry, the province table, the window's end and how to
// object; at each decision the city concerned; at 定稿 the province list
// and every city. Each goes through the Mailer, recorded like every
// delivery. Without an SMTP server nothing is sent.

var _ issuing.Notifier = (*Env)(nil)

var tableHead = []string{"名次", "城市", "综合指数", "90%名次区间", "等次", "优先推荐"}

// entryText is one city's own entry in words.
func entryText(r *metrics.Ranking, code string) string {
	for _, c := range r.Cities {
		if c.Code != code {
			continue
		}
		if c.Rank == nil {
			return fmt.Sprintf("%s：数据不足，未参与排名。", c.Name)
		}
		return fmt.Sprintf("%s：第 %d 名，综合指数 %s，90%%名次区间 %d–%d，等次%s。", c.Name, *c.Rank, reports.Fixed(c.Index, 2),
			c.RankInterval[0], c.RankInterval[1], c.Grade)
	}
	return ""
}

func (e *Env) mailOn() bool { return e.Mailer != nil && e.Mailer.Config.Host != "" }

// issuedMail sends a message to each city's contacts (its own entry
// before the table) and, when province is set, to the province list.
func (e *Env) issuedMail(ctx context.Context, key, title, lead string, r *metrics.Ranking, province []Outgoing, foot string) error {
	msgs := province
	for _, c := range r.Cities {
		contacts := e.Mailer.Config.Cities[c.Code]
		if len(contacts) == 0 {
			continue
		}
		h, t := e.render(mailView{Title: title, Lead: entryText(r, c.Code) + lead, Head: tableHead, Table: reports.IssuedTable(r), Foot: foot})
		for _, to := range contacts {
			msgs = append(msgs, Outgoing{Key: key, To: to, Subject: title, Text: t, HTML: h})
		}
	}
	return e.deliver(ctx, msgs)
}

// deliver sends msgs, failing when any fails (the Mailer has recorded it,
// and a later send retries it).
func (e *Env) deliver(ctx context.Context, msgs []Outgoing) error {
	rep, err := e.Mailer.Send(ctx, msgs)
	if err == nil && rep.Failed > 0 {
		err = fmt.Errorf("%d 封邮件发送失败：%s", rep.Failed, strings.Join(rep.Errors, "；"))
	}
	return err
}

// Published mails the publication (公示).
func (e *Env) Published(ctx context.Context, pub *issuing.Publication) error {
	if !e.mailOn() {
		return nil
	}
	r, err := issuing.Ranking(ctx, e.Store.DB(), pub, false)
	if err != nil {
		return err
	}
	window := reports.WindowText(pub.WindowEnd)
	title := fmt.Sprintf("辽宁省支持灵活就业政策落实考核排名公示（%s，第%d版）", pub.Period.Label(), pub.Edition)
	lead := fmt.Sprintf("异议期至 %s 截止。", window)
	foot := fmt.Sprintf("如有异议，请在 %s 前登录考核系统，在首页“排名发布”中提出（可附更正数据与证明材料），或以接口 POST /api/v1/objections 提交。公示稿排名数据 SHA-256 %s。", window, pub.SHA256)
	h, t := e.render(mailView{Title: title, Lead: lead, Head: tableHead, Table: reports.IssuedTable(r), Foot: foot})
	var province []Outgoing
	for _, to := range e.Mailer.Config.Province {
		province = append(province, Outgoing{Key: fmt.Sprintf("publish-%d", pub.ID), To: to, Subject: title, Text: t, HTML: h})
	}
	return e.issuedMail(ctx, fmt.Sprintf("publish-%d", pub.ID), title, lead, r, province, foot)
}

// Decided mails a decision to the city that objected.
func (e *Env) Decided(ctx context.Context, pub *issuing.Publication, o *issuing.Objection) error {
	if !e.mailOn() {
		return nil
	}
	c, _ := flexemp.CityByCode(o.City)
	title := fmt.Sprintf("%s对%s考核排名异议的处理结果（异议 %d）", c.Name, o.Period.Label(), o.ID)
	h, t := e.render(mailView{Title: title,
		Lead: fmt.Sprintf("异议事项：%s。处理结果：%s。理由：%s", strings.Join(o.Subjects, "、"), o.Decision, o.Reason),
		Foot: "本邮件只含本市的异议。采纳的更正数据将计入定稿。"})
	var msgs []Outgoing
	for _, to := range e.Mailer.Config.Cities[o.City] {
		msgs = append(msgs, Outgoing{Key: fmt.Sprintf("decision-%d", o.ID), To: to, Subject: title, Text: t, HTML: h})
	}
	return e.deliver(ctx, msgs)
}

// Withdrawn mails every city and the province that a publication was
// withdrawn, when and why; objections still undecided closed with it.
func (e *Env) Withdrawn(ctx context.Context, pub *issuing.Publication) error {
	if !e.mailOn() {
		return nil
	}
	w := pub.Withdrawn
	title := fmt.Sprintf("辽宁省支持灵活就业政策落实考核排名公示撤回（%s，第%d版）", pub.Period.Label(), pub.Edition)
	lead := fmt.Sprintf("%s 第%d版公示已于 %s 撤回。撤回理由：%s", pub.Period.Label(), pub.Edition, w.At.In(flexemp.Shanghai).Format("2006-01-02 15:04"), w.Reason)
	foot := fmt.Sprintf("该版公示稿（SHA-256 %s）不再有效；已提出而未处理的异议随公示撤回（%s），重新公示后可再次提出。", pub.SHA256, issuing.Withdrawn)
	h, t := e.render(mailView{Title: title, Lead: lead, Foot: foot})
	key := fmt.Sprintf("withdraw-%d", pub.ID)
	var msgs []Outgoing
	for _, to := range e.Mailer.Config.Province {
		msgs = append(msgs, Outgoing{Key: key, To: to, Subject: title, Text: t, HTML: h})
	}
	for _, c := range flexemp.Cities {
		for _, to := range e.Mailer.Config.Cities[c.Code] {
			msgs = append(msgs, Outgoing{Key: key, To: to, Subject: title, Text: t, HTML: h})
		}
	}
	return e.deliver(ctx, msgs)
}

// Finalised mails the final (定稿): the province list with the final
// report and workbook attached and the audit trail's head, every city its
// entry and the table.
func (e *Env) Finalised(ctx context.Context, pub *issuing.Publication) error {
	if !e.mailOn() {
		return nil
	}
	db := e.Store.DB()
	r, err := issuing.Ranking(ctx, db, pub, true)
	if err != nil {
		return err
	}
	html, _, err := issuing.File(ctx, db, pub.ID, true, issuing.ReportHTML)
	if err != nil {
		return err
	}
	xlsx, _, err := issuing.File(ctx, db, pub.ID, true, issuing.RankingXLSX)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("final-%d", pub.ID)
	title := fmt.Sprintf("辽宁省支持灵活就业政策落实考核排名定稿（%s，第%d版）", pub.Period.Label(), pub.Edition)
	foot := fmt.Sprintf("定稿于 %s，排名数据 SHA-256 %s。", pub.Final.At.Format("2006年1月2日"), pub.Final.SHA256)
	h, t := e.render(mailView{Title: title, Lead: "异议处理情况见附件报告的附录。", Head: tableHead, Table: reports.IssuedTable(r), Foot: foot + auditHead(ctx, e.Store)})
	attach := []Part{
		{Name: fmt.Sprintf("考核报告-%s-定稿.html", pub.Period), ContentType: "text/html", Data: html},
		{Name: fmt.Sprintf("考核排名-%s-定稿.xlsx", pub.Period), ContentType: reports.XLSXType, Data: xlsx},
	}
	var province []Outgoing
	for _, to := range e.Mailer.Config.Province {
		province = append(province, Outgoing{Key: key, To: to, Subject: title, Text: t, HTML: h, Attachments: attach})
	}
	return e.issuedMail(ctx, key, title, "", r, province, foot)
}
