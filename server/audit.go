package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

// auditPerPage is how many records the audit page shows at once.
const auditPerPage = 50

type auditView struct {
	view
	Since, Actor, Action string
	Chain                string
	Records              []auditRow
	Total, Page, Pages   int
	Prev, Next           string
}

type auditRow struct {
	Seq                                                    int64
	At, Actor, Role, City, Action, Object, Outcome, Remote string
}

// GET /audit?since=&actor=&action=&page=: the audit trail, oldest first,
// filtered and paged, with whether its chain holds. Reviewers only.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.reviewerOnly(w, r, sess) {
		return
	}
	v := auditView{view: s.viewFor(sess, "审计日志"), Since: r.FormValue("since"), Actor: r.FormValue("actor"), Action: r.FormValue("action")}
	f := store.AuditFilter{Actor: v.Actor, Action: v.Action, Limit: auditPerPage}
	if v.Since != "" {
		d, err := flexemp.ParseDate(v.Since)
		if err != nil {
			s.pageError(w, r, sess, http.StatusBadRequest, flexemp.ErrorMessage(err))
			return
		}
		f.Since = d
	}
	v.Page, _ = strconv.Atoi(r.FormValue("page"))
	v.Page = max(1, v.Page)
	f.Offset = (v.Page - 1) * auditPerPage
	rs, total, err := store.FindAudit(r.Context(), s.db, f)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.Total, v.Pages = total, max(1, (total+auditPerPage-1)/auditPerPage)
	for _, rec := range rs {
		city := ""
		if c, ok := flexemp.CityByCode(rec.City); ok {
			city = c.Name
		}
		v.Records = append(v.Records, auditRow{rec.Seq, reports.AuditTime(rec), rec.Actor, reports.RoleText(rec.Role), city, reports.ActionText(rec.Action),
			rec.Object, reports.OutcomeText(rec), rec.Remote})
	}
	link := func(page int) string {
		q := url.Values{"since": {v.Since}, "actor": {v.Actor}, "action": {v.Action}, "page": {strconv.Itoa(page)}}
		return "/audit?" + q.Encode()
	}
	if v.Page > 1 {
		v.Prev = link(v.Page - 1)
	}
	if v.Page < v.Pages {
		v.Next = link(v.Page + 1)
	}
	if seq, hash, err := store.VerifyAudit(r.Context(), s.db, ""); err != nil {
		v.Chain = "哈希链校验失败：" + err.Error()
	} else {
		v.Chain = fmt.Sprintf("哈希链完整，链头 %d:%s", seq, hash)
	}
	s.render(w, r, http.StatusOK, "audit", v)
}
