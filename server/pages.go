package server

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
	"github.com/liaoning-hrss/flexemp/store"
)

//go:embed pages.html.tmpl
var pagesTmpl string

var pages = template.Must(template.New("pages").Parse(pagesTmpl))

// view is what every page shows in its header.
type view struct {
	Title    string
	Who      string
	Reviewer bool
	CSRF     string
	Message  string
}

func (s *Server) viewFor(sess *session, title string) view {
	v := view{Title: title}
	if sess != nil {
		v.Who, v.Reviewer, v.CSRF = sess.principal.DisplayName(), sess.principal.Role == flexemp.RoleReviewer, sess.csrf
	}
	return v
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	// Each page's own scripts carry a fresh nonce, and nothing else runs:
	// no other script, no inline handler, no form or request to another
	// origin, no framing by another site.
	nonce := randomID()
	page := bytes.ReplaceAll(b.Bytes(), []byte("<script"), []byte(`<script nonce="`+nonce+`"`))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(page)
}

// reportPolicy is the Content-Security-Policy of a served report: its
// inlined ECharts and map run, and nothing it shows can load, send or
// submit anything anywhere.
const reportPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; " +
	"connect-src 'none'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'"

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, sess *session, status int, message string) {
	v := s.viewFor(sess, http.StatusText(status))
	v.Title, v.Message = map[int]string{401: "需要登录", 403: "无权操作", 404: "未找到", 413: "文件过大", 415: "文件格式不支持", 429: "请稍后再试"}[status], message
	if v.Title == "" {
		v.Title = "请求有误"
	}
	s.render(w, r, status, "error", v)
}

// notFound answers a path no route has: the JSON error object under
// /api/, a Chinese page elsewhere.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeAPIError(w, http.StatusNotFound, flexemp.ENOTFOUND, "没有这个接口："+r.Method+" "+r.URL.Path)
		return
	}
	sess, _ := s.sessionOf(r)
	s.pageError(w, r, sess, http.StatusNotFound, "没有这个页面。")
}

// GET /help: the user guide, readable before logging in.
func (s *Server) helpPage(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.sessionOf(r)
	s.render(w, r, http.StatusOK, "help", s.viewFor(sess, "使用说明"))
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, "")
}

// loginCookie carries the login form's CSRF token (double submit): another
// site cannot read it, and a SameSite=Strict cookie does not go with its
// post, so no one can log a browser in with their own token (login CSRF).
const loginCookie = "flexemp_login"

// renderLogin shows the login form with a fresh CSRF token, set in its
// cookie too.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, message string) {
	token := randomID()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 3600})
	v := view{Title: "登录", Message: message}
	v.CSRF = token
	s.render(w, r, status, "login", v)
}

// Failed logins from one address: ten within ten minutes close logins from
// it for ten minutes.
const (
	loginFailures = 10
	loginWindow   = 10 * time.Minute
)

// loginAttempt takes one of an address's login attempts, atomically: the
// failures of the last ten minutes and the attempts being checked now
// together may not reach ten, so forty logins sent at once get ten checks
// at most. ok is false when logins from the address are closed; done
// returns the attempt, counting it a failure unless it succeeded.
func (s *Server) loginAttempt(host string) (ok bool, done func(succeeded bool)) {
	s.failedMu.Lock()
	defer s.failedMu.Unlock()
	now := s.opt.Now()
	recent := s.failed[host][:0]
	for _, t := range s.failed[host] {
		if now.Sub(t) < loginWindow {
			recent = append(recent, t)
		}
	}
	s.failed[host] = recent
	if len(recent)+s.checking[host] >= loginFailures {
		return false, nil
	}
	s.checking[host]++
	return true, func(succeeded bool) {
		s.failedMu.Lock()
		defer s.failedMu.Unlock()
		if s.checking[host]--; s.checking[host] == 0 {
			delete(s.checking, host)
		}
		if !succeeded {
			s.failed[host] = append(s.failed[host], s.opt.Now())
		}
	}
}

// POST /login: the token once, then a session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	c, err := r.Cookie(loginCookie)
	if err != nil || !validCSRF(&session{csrf: c.Value}, r.PostFormValue("csrf")) {
		s.renderLogin(w, r, http.StatusForbidden, "登录表单已失效，请重新输入令牌登录。")
		return
	}
	host := store.ActorOf(r.Context()).Remote
	open, done := s.loginAttempt(host)
	if !open {
		s.store.Audit(r.Context(), "login", "", flexemp.Errorf("too_many_requests", "closed"))
		s.renderLogin(w, r, http.StatusTooManyRequests, "登录失败次数过多，请 10 分钟后再试。")
		return
	}
	p, ok, err := s.store.LookupToken(r.Context(), r.PostFormValue("token"))
	done(err == nil && ok)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		s.store.Audit(r.Context(), "login", "", flexemp.Errorf(flexemp.EUNAUTHORIZED, "bad token"))
		s.renderLogin(w, r, http.StatusUnauthorized, "令牌无效或已被吊销。")
		return
	}
	noteWho(r, p)
	if err := s.store.Audit(r.Context(), "login", "", nil); err != nil {
		s.internal(w, r, err)
		return
	}
	s.startSession(w, r, p)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *session) {
	s.endSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type labelled struct{ Label, Value string }

type uploadRow struct {
	ID                                int64
	City, Kind, Month, File           string
	Received                          string
	Version, Rows, Accepted, Rejected int
	Current, HasRejects               bool
	Refused                           string // why an attempt was refused; "" for a stored version
	RefusalID                         int64  // a refused attempt with rejected rows to download
	Evidence                          string // a corrected extract filed with an objection, and its fate
}

type cityView struct {
	view
	Kinds        []labelled
	DefaultMonth string // last month: the templates' contract version
	ThisMonth    string // the latest month the form takes
	Limit        string
	Uploads      []uploadRow
	Scorecard    *scorecardView
	Period       string   // the scorecard's, ?period= or the latest with data
	Periods      []string // every assessed period, for the picker
	Issue        *issueView
}

type scorecardView struct {
	// Issued is the city's entry in the standing publication or final,
	// shown first; the stored draft follows, labelled as one.
	Issued           *reports.IssuedEntry
	Draft            string // the draft's label when an issued ranking stands
	Period, Headline string
	Code             string // the period's, for the downloads
	Stale            string // the city's own uploads since the assessment
	Rows             []struct{ ID, Title, Value, Normalised, Contribution string }
	Findings         []findingPage // the city's own, another city as 外市
	Counties         *reports.CountyTable
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, sess *session) {
	if sess.principal.Role == flexemp.RoleReviewer {
		http.Redirect(w, r, "/review", http.StatusSeeOther)
		return
	}
	v := cityView{view: s.viewFor(sess, "数据上传"), Limit: formatMiB(s.opt.uploadLimit()),
		DefaultMonth: flexemp.MonthOf(s.opt.Now().In(flexemp.Shanghai)).First().AddDate(0, -1, 0).Format("2006-01"),
		ThisMonth:    flexemp.MonthOf(s.opt.Now().In(flexemp.Shanghai)).String()}
	for _, k := range flexemp.Kinds {
		v.Kinds = append(v.Kinds, labelled{Value: string(k), Label: flexemp.ContractOf(k).Title})
	}
	var err error
	if v.Uploads, err = s.uploadRows(r.Context(), sess.principal, 50); err != nil {
		s.internal(w, r, err)
		return
	}
	p, all, err := s.periodParam(r)
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return
	}
	if len(all) > 0 {
		v.Period, v.Periods = p.String(), all
		if v.Scorecard, err = s.scorecard(r.Context(), sess.principal.City, p); err != nil {
			s.internal(w, r, err)
			return
		}
		if v.Issue, err = s.issueOf(r.Context(), p, sess); err != nil {
			s.internal(w, r, err)
			return
		}
		if n := r.FormValue("objected"); n != "" && v.Issue != nil {
			if id, err := strconv.ParseInt(n, 10, 64); err == nil {
				v.Issue.Objected = fmt.Sprintf("异议 %d 已提交，审核人员处理后将以邮件通知；处理结果也显示在下方“本市的异议”中。", id)
			}
		}
	}
	s.render(w, r, http.StatusOK, "city", v)
}

// latestPeriod is the period shown when none is asked for: the latest
// assessed one with ranked cities. all lists every assessed period.
func (s *Server) latestPeriod(ctx context.Context) (latest flexemp.Period, all []string, err error) {
	ps, err := metrics.AssessedPeriods(ctx, s.db)
	if err != nil {
		return flexemp.Period{}, nil, err
	}
	for _, p := range ps {
		all = append(all, p.String())
	}
	latest, err = metrics.LatestWithData(ctx, s.db, ps)
	return latest, all, err
}

// issuedEntryOf is the city's entry in the period's standing publication
// (or its final); nil when none stands.
func (s *Server) issuedEntryOf(ctx context.Context, city string, p flexemp.Period) (*reports.IssuedEntry, error) {
	cur, _, c, err := issuing.Entry(ctx, s.db, p, city)
	if err != nil || c == nil {
		return nil, err
	}
	return reports.NewIssuedEntry(cur.Stamp(), c), nil
}

// scorecard is a city's result for p; nil when p was never assessed.
func (s *Server) scorecard(ctx context.Context, city string, p flexemp.Period) (*scorecardView, error) {
	e, err := metrics.Explain(ctx, s.db, p, city)
	if errors.Is(err, metrics.ErrNotAssessed) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sc := &scorecardView{Period: reports.PeriodText(p, e.Run), Headline: reports.Headline(&e.City), Code: p.String()}
	if sc.Stale, err = s.staleNote(ctx, city, e.Run); err != nil {
		return nil, err
	}
	if sc.Issued, err = s.issuedEntryOf(ctx, city, p); err != nil {
		return nil, err
	}
	if sc.Issued != nil {
		sc.Draft = draftLabel
	}
	fs, err := metrics.Integrity(ctx, s.db, p, city)
	if err != nil {
		return nil, err
	}
	sc.Findings = findingPages(reports.CityView(fs))
	cc, err := metrics.Counties(ctx, s.db, p, city)
	if err != nil {
		return nil, err
	}
	sc.Counties = reports.NewCountyTable(cc, e.City.Name)
	for _, ind := range e.City.Indicators {
		sc.Rows = append(sc.Rows, struct{ ID, Title, Value, Normalised, Contribution string }{ind.ID, ind.Title,
			reports.IndicatorCell(ind), reports.Fixed(ind.Normalised, 1), reports.Fixed(ind.Contribution, 2)})
	}
	return sc, nil
}

func (s *Server) uploadRows(ctx context.Context, p flexemp.Principal, limit int) ([]uploadRow, error) {
	rows, _, err := s.findUploads(ctx, p, flexemp.UploadFilter{Limit: limit})
	return rows, err
}

// findUploads lists the ledger as the principal may see it: a city its own
// uploads whatever the filter says.
func (s *Server) findUploads(ctx context.Context, p flexemp.Principal, f flexemp.UploadFilter) ([]uploadRow, int, error) {
	if p.Role == flexemp.RoleCity {
		f.City = p.City
	}
	f.Refused = true
	ups, total, err := ingest.FindUploads(ctx, s.db, f)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]int64, 0, len(ups))
	for _, u := range ups {
		ids = append(ids, u.ID)
	}
	evidence, err := issuing.Evidence(ctx, s.db, ids)
	if err != nil {
		return nil, 0, err
	}
	var out []uploadRow
	for _, u := range ups {
		c, _ := flexemp.CityByCode(u.City)
		month := "—"
		if !u.Month.IsZero() {
			month = u.Month.String()
		}
		out = append(out, uploadRow{ID: u.ID, City: c.Name, Kind: u.Kind.Title(), Month: month, File: u.FileName,
			Received: u.ReceivedAt.Format("2006-01-02 15:04"), Version: u.Version, Rows: u.Rows, Accepted: u.Accepted,
			Rejected: u.Rejected, Current: u.Current, HasRejects: u.Rejected > 0, Refused: u.Reason, Evidence: evidence[u.ID]})
		if u.Rejects > 0 {
			out[len(out)-1].RefusalID = u.RefusalID
		}
	}
	return out, total, nil
}

// uploadsPerPage is how many ledger rows a page of the uploads list shows.
const uploadsPerPage = 100

type uploadsView struct {
	cityView
	Cities                  []labelled
	City, Kind, Month       string
	Status, Search          string
	Statuses                []labelled
	Page, Pages, Total      int
	PrevHref, NextHref, Now string
}

var uploadStatuses = []labelled{{Value: "current", Label: "当前版本"}, {Value: "accepted", Label: "已入库"}, {Value: "refused", Label: "拒收"}}

// uploadFilter reads the ledger filter a page or the API is asked for:
// city (code or name), kind, month, status and q, a part of the file name.
// Its error is the user's message.
func uploadFilter(r *http.Request) (flexemp.UploadFilter, error) {
	f := flexemp.UploadFilter{Status: r.FormValue("status"), Search: strings.TrimSpace(r.FormValue("q"))}
	switch f.Status {
	case "", "current", "accepted", "refused":
	default:
		return f, errors.New("状态应为 current、accepted 或 refused")
	}
	if city := r.FormValue("city"); city != "" {
		c, ok := flexemp.ResolveCity(city)
		if !ok {
			return f, fmt.Errorf("%q 不是辽宁省的城市", city)
		}
		f.City = c.Code
	}
	if kind := r.FormValue("kind"); kind != "" {
		k, ok := flexemp.ParseKind(kind)
		if !ok {
			return f, errors.New("数据类型应为 registrations、subsidies、trainings 或 services")
		}
		f.Kind = k
	}
	if month := r.FormValue("month"); month != "" {
		m, err := flexemp.ParseMonth(month)
		if err != nil {
			return f, errors.New(flexemp.ErrorMessage(err))
		}
		f.Month = m
	}
	return f, nil
}

// GET /uploads?city=&kind=&month=&status=&q=&page=: the ledger a page at a
// time, filtered by city (reviewers), kind, month and status, searched by
// file name.
func (s *Server) uploadsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	v := uploadsView{cityView: cityView{view: s.viewFor(sess, "上传记录")}, City: r.FormValue("city"), Kind: r.FormValue("kind"), Month: r.FormValue("month"),
		Status: r.FormValue("status"), Search: strings.TrimSpace(r.FormValue("q")), Statuses: uploadStatuses}
	f, err := uploadFilter(r)
	if err != nil {
		s.pageError(w, r, sess, http.StatusBadRequest, err.Error())
		return
	}
	f.Limit = uploadsPerPage
	if f.City != "" {
		v.City = f.City
	}
	v.Page, _ = strconv.Atoi(r.FormValue("page"))
	v.Page = max(v.Page, 1)
	f.Offset = (v.Page - 1) * uploadsPerPage
	if v.Uploads, v.Total, err = s.findUploads(r.Context(), sess.principal, f); err != nil {
		s.internal(w, r, err)
		return
	}
	v.Pages = max(1, (v.Total+uploadsPerPage-1)/uploadsPerPage)
	q := url.Values{"city": {v.City}, "kind": {v.Kind}, "month": {v.Month}, "status": {v.Status}, "q": {v.Search}}
	if v.Page > 1 {
		q.Set("page", strconv.Itoa(v.Page-1))
		v.PrevHref = "/uploads?" + q.Encode()
	}
	if v.Page < v.Pages {
		q.Set("page", strconv.Itoa(v.Page+1))
		v.NextHref = "/uploads?" + q.Encode()
	}
	for _, c := range flexemp.Cities {
		v.Cities = append(v.Cities, labelled{Value: c.Code, Label: c.Name})
	}
	for _, k := range flexemp.Kinds {
		v.Kinds = append(v.Kinds, labelled{Value: string(k), Label: flexemp.ContractOf(k).Title})
	}
	s.render(w, r, http.StatusOK, "uploadsPage", v)
}

// GET /templates/{kind}.xlsx?month=YYYY-MM: the upload template of the
// contract version in force for the month (default this month).
func (s *Server) templateDownload(w http.ResponseWriter, r *http.Request, sess *session) {
	k, ok := flexemp.ParseKind(strings.TrimSuffix(r.PathValue("file"), ".xlsx"))
	if !ok {
		s.pageError(w, r, sess, http.StatusNotFound, "没有这种数据类型的模板")
		return
	}
	month := flexemp.MonthOf(s.opt.Now().In(flexemp.Shanghai))
	if q := r.FormValue("month"); q != "" {
		m, err := flexemp.ParseMonth(q)
		if err != nil {
			s.pageError(w, r, sess, http.StatusBadRequest, flexemp.ErrorMessage(err))
			return
		}
		month = m
	}
	var b bytes.Buffer
	if err := ingest.WriteTemplate(&b, k, month); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", reports.XLSXType)
	w.Header().Set("Content-Disposition", attachment(fmt.Sprintf("上传模板-%s-%s.xlsx", k.Title(), month)))
	w.Write(b.Bytes())
}

type resultView struct {
	view
	Result      *ingest.Result
	Reasons     []labelled
	Samples     []flexemp.Reject // the first 20
	Problems    int              // all the rejects, a row counted once per bad cell
	RejectsHref string           // the full list, accepted or refused
}

// POST /upload: the form's file, answered with the validation result.
func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request, sess *session) {
	res, err := s.receive(w, r, sess.principal, sess)
	var ur *uploadRefusal
	switch {
	case errors.As(err, &ur):
		s.pageError(w, r, sess, ur.status, ur.message)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	v := resultView{view: s.viewFor(sess, "上传结果"), Result: res, Samples: res.Samples}
	switch {
	case res.Status == ingest.StatusAccepted && res.Rejected > 0:
		v.RejectsHref = fmt.Sprintf("/uploads/%d/rejects.xlsx", res.UploadID)
	case res.RefusalID > 0 && len(res.Samples) > 0:
		v.RejectsHref = fmt.Sprintf("/refusals/%d/rejects.xlsx", res.RefusalID)
	}
	v.Problems = res.Problems()
	for code, n := range res.Reasons {
		label := flexemp.Reasons[code]
		if label == "" {
			label = code
		}
		v.Reasons = append(v.Reasons, labelled{label, strconv.Itoa(n)})
	}
	sort.Slice(v.Reasons, func(i, j int) bool { return v.Reasons[i].Label < v.Reasons[j].Label })
	if len(v.Samples) > 20 {
		v.Samples = v.Samples[:20]
	}
	s.render(w, r, uploadStatus(res), "result", v)
}

// GET /uploads/{id}/rejects.xlsx and GET /refusals/{id}/rejects.xlsx: all
// the rejected rows of an upload or of a refused file, as a workbook.
func (s *Server) rejectsDownload(w http.ResponseWriter, r *http.Request, sess *session) {
	u, rs, err := s.rejectsOf(r, sess.principal)
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return
	}
	var b bytes.Buffer
	if err := ingest.WriteRejectsXLSX(&b, rs); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", reports.XLSXType)
	w.Header().Set("Content-Disposition", attachment(ingest.RejectsFileName(u)))
	w.Write(b.Bytes())
}

type reviewView struct {
	view
	Stale, Done         string // a ranking older than the data; the result of a reassessment
	Period, PeriodLabel string
	Periods             []string
	Ranking             []reports.RankRow
	Issue               *issueView
}

// reviewerOnly refuses a city's session on a reviewer page.
func (s *Server) reviewerOnly(w http.ResponseWriter, r *http.Request, sess *session) bool {
	if sess.principal.Role != flexemp.RoleReviewer {
		s.pageError(w, r, sess, http.StatusForbidden, "此页面仅供审核人员使用。")
		return false
	}
	return true
}

// periodParam reads ?period=, defaulting to the latest assessed one.
func (s *Server) periodParam(r *http.Request) (flexemp.Period, []string, error) {
	latest, all, err := s.latestPeriod(r.Context())
	if err != nil && !errors.Is(err, metrics.ErrNotAssessed) {
		return latest, nil, err
	}
	if q := r.FormValue("period"); q != "" {
		p, err := flexemp.ParsePeriod(q)
		return p, all, err
	}
	if errors.Is(err, metrics.ErrNotAssessed) {
		now := flexemp.MonthOf(s.opt.Now().In(flexemp.Shanghai))
		return flexemp.Period{Year: now.Year}, nil, nil
	}
	return latest, all, nil
}

// reviewerPeriod is the period a reviewer's page shows (periodParam) with
// every assessed period; for anyone else, or a period that does not parse,
// it answers the request itself and says not ok.
func (s *Server) reviewerPeriod(w http.ResponseWriter, r *http.Request, sess *session) (flexemp.Period, []string, bool) {
	if !s.reviewerOnly(w, r, sess) {
		return flexemp.Period{}, nil, false
	}
	p, all, err := s.periodParam(r)
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return flexemp.Period{}, nil, false
	}
	return p, all, true
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, sess *session) {
	p, all, ok := s.reviewerPeriod(w, r, sess)
	if !ok {
		return
	}
	v := reviewView{view: s.viewFor(sess, "排名与报告"), Period: p.String(), PeriodLabel: p.Label(), Periods: all}
	pr, err := metrics.Load(r.Context(), s.db, p)
	switch {
	case errors.Is(err, metrics.ErrNotAssessed):
		v.Message = p.Label() + "尚未考核，可点击“重新考核”立即计算。"
	case err != nil:
		s.internal(w, r, err)
		return
	default:
		v.Ranking = reports.RankRows(pr)
		v.PeriodLabel = reports.PeriodText(p, pr.Run)
		// Uploads that came after the assessment shown make it stale.
		var newer int
		if err := s.db.QueryRowContext(r.Context(), `SELECT count(*) FROM uploads WHERE received_at > ?`, pr.Run.CreatedAt).Scan(&newer); err != nil {
			s.internal(w, r, err)
			return
		}
		if newer > 0 {
			v.Stale = fmt.Sprintf("数据已变更：此后又收到 %d 个上传，排名基于 %s 的考核。点击“重新考核”可更新。", newer, pr.Run.CreatedAt.Format("2006-01-02 15:04"))
		}
		if n := r.FormValue("assessed"); n != "" {
			v.Done = fmt.Sprintf("已重新考核 %s：%s 个城市参与排名。", p.Label(), n)
		}
		if v.Issue, err = s.issueOf(r.Context(), p, sess); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "review", v)
}

// GET /reports/{period}: the period's full report, for reviewers.
func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.reviewerOnly(w, r, sess) {
		return
	}
	p, err := flexemp.ParsePeriod(r.PathValue("period"))
	if err != nil {
		s.pageError(w, r, sess, http.StatusBadRequest, flexemp.ErrorMessage(err))
		return
	}
	d, err := reports.Load(r.Context(), s.db, p, s.opt.Now())
	if errors.Is(err, metrics.ErrNotAssessed) {
		s.pageError(w, r, sess, http.StatusNotFound, p.Label()+"尚未考核。")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var b bytes.Buffer
	download := r.FormValue("download")
	if download != "" {
		if err := s.store.Audit(r.Context(), "report.download", p.String()+" "+download, nil); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	switch download {
	case "xlsx":
		err = reports.XLSX(&b, d)
		w.Header().Set("Content-Type", reports.XLSXType)
		w.Header().Set("Content-Disposition", attachment(fmt.Sprintf("考核排名-%s.xlsx", p)))
	case "pdf": // drawn by the headless browser from the same report
		if err = reports.HTML(&b, d); err == nil {
			var pdf []byte
			if pdf, err = reports.PDF(r.Context(), b.Bytes()); err == nil {
				b.Reset()
				b.Write(pdf)
			}
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", attachment(fmt.Sprintf("考核报告-%s.pdf", p)))
	default:
		err = reports.HTML(&b, d)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if download == "html" {
			w.Header().Set("Content-Disposition", attachment(fmt.Sprintf("考核报告-%s.html", p)))
		}
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeReport(w, b.Bytes())
}

// writeReport sends a report or a bulletin (or its download) with the
// headers that keep its scripts to itself: framed by our pages only, under
// the report's CSP, never sniffed.
func writeReport(w http.ResponseWriter, b []byte) {
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	w.Header().Set("Content-Security-Policy", reportPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// attachment is a Content-Disposition for a download with a Chinese name
// (RFC 6266: an ASCII fallback and the UTF-8 name).
func attachment(name string) string {
	return fmt.Sprintf(`attachment; filename="download%s"; filename*=UTF-8''%s`, path.Ext(name), url.PathEscape(name))
}

type statusView struct {
	view
	Period, PeriodLabel string
	Months              []string
	Rows                []struct {
		Name  string
		Cells [][]reports.StatusMark
	}
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request, sess *session) {
	p, _, ok := s.reviewerPeriod(w, r, sess)
	if !ok {
		return
	}
	st, err := reports.LoadStatus(r.Context(), s.db, p, s.opt.Now())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := statusView{view: s.viewFor(sess, "报送情况"), Period: p.String(), PeriodLabel: p.Label()}
	months, rows := reports.StatusMatrix(p, st)
	v.Months = months
	for _, row := range rows {
		v.Rows = append(v.Rows, struct {
			Name  string
			Cells [][]reports.StatusMark
		}{row.Name, row.Months})
	}
	s.render(w, r, http.StatusOK, "status", v)
}

// POST /assess: a reviewer runs an assessment from the ranking page.
func (s *Server) assessForm(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.reviewerOnly(w, r, sess) {
		return
	}
	p, err := flexemp.ParsePeriod(r.PostFormValue("period"))
	if err != nil {
		s.pageError(w, r, sess, http.StatusBadRequest, flexemp.ErrorMessage(err))
		return
	}
	a, err := s.store.Assess(r.Context(), p, flexemp.DateOf(s.opt.Now()))
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return
	}
	ranked := 0
	for _, ok := range a.Result.Ranked {
		if ok {
			ranked++
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/review?period=%s&assessed=%d", p, ranked), http.StatusSeeOther)
}
