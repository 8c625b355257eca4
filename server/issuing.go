package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

// Issuing a ranking over HTTP: the reviewers' steps (publish, withdraw,
// decide, finalise), the cities' objections, and what each may see of an
// issued ranking. The work is the issuing package's; this reads requests
// and answers them.

// publicationJSON is GET /api/v1/publications/{period}: the state, the
// window, the hashes and the objections' counts (a city's own).
type publicationJSON struct {
	Period      string                       `json:"period"`
	State       string                       `json:"state"` // draft, published or final
	Edition     int                          `json:"edition,omitempty"`
	AsOf        string                       `json:"as_of,omitempty"`
	PublishedAt *time.Time                   `json:"published_at,omitempty"`
	WindowEnd   *time.Time                   `json:"window_end,omitempty"`
	WindowOpen  bool                         `json:"window_open"`
	FinalisedAt *time.Time                   `json:"finalised_at,omitempty"`
	Hashes      map[string]map[string]string `json:"hashes"` // stage → file → SHA-256
	Objections  objectionCounts              `json:"objections"`
	Editions    []editionJSON                `json:"editions"` // every publication, the withdrawn and revised too
}

type objectionCounts struct {
	Total     int `json:"total"`
	Undecided int `json:"undecided"`
	Accepted  int `json:"accepted"`
	Rejected  int `json:"rejected"`
}

type editionJSON struct {
	Edition     int       `json:"edition"`
	State       string    `json:"state"` // published, final, withdrawn, revised
	PublishedAt time.Time `json:"published_at"`
	SHA256      string    `json:"sha256"`
	FinalSHA256 string    `json:"final_sha256,omitempty"`
}

// publicationOf is what p may know of a period's issued ranking.
func (s *Server) publicationOf(ctx context.Context, period flexemp.Period, p flexemp.Principal) (*publicationJSON, error) {
	pubs, err := issuing.Publications(ctx, s.db, period)
	if err != nil {
		return nil, err
	}
	out := &publicationJSON{Period: period.String(), State: issuing.Draft, Hashes: map[string]map[string]string{}, Editions: []editionJSON{}}
	for _, pub := range pubs {
		e := editionJSON{Edition: pub.Edition, State: pub.State(), PublishedAt: pub.PublishedAt, SHA256: pub.SHA256}
		if pub.Final != nil {
			e.FinalSHA256 = pub.Final.SHA256
		}
		out.Editions = append(out.Editions, e)
	}
	cur := issuing.Standing(pubs)
	if cur == nil {
		return out, nil
	}
	out.State, out.Edition, out.AsOf = issuing.Published, cur.Edition, cur.AsOf.Format("2006-01-02")
	out.PublishedAt, out.WindowEnd, out.WindowOpen = &cur.PublishedAt, &cur.WindowEnd, cur.Open(s.opt.Now())
	if cur.Final != nil {
		out.State, out.FinalisedAt = issuing.Final, &cur.Final.At
	}
	if out.Hashes, err = issuing.Hashes(ctx, s.db, cur.ID); err != nil {
		return nil, err
	}
	objections, err := issuing.Objections(ctx, s.db, period, cityScope(p))
	if err != nil {
		return nil, err
	}
	for _, o := range objections {
		if o.Publication != cur.ID {
			continue
		}
		out.Objections.Total++
		switch o.Decision {
		case issuing.Accept:
			out.Objections.Accepted++
		case issuing.Reject:
			out.Objections.Rejected++
		default:
			out.Objections.Undecided++
		}
	}
	return out, nil
}

// cityScope is the city whose objections p may see; "" for all.
func cityScope(p flexemp.Principal) string {
	if p.Role == flexemp.RoleReviewer {
		return ""
	}
	return p.City
}

// shownRanking is the ranking of a period as p may see it: the issued one
// (the final, else the open publication) when there is one, in which a
// city sees the province table — code, name, rank, index, interval, grade,
// priority — and its own entry whole; else the latest draft, in which a
// city sees its own entry only.
func (s *Server) shownRanking(ctx context.Context, period flexemp.Period, p flexemp.Principal) (*metrics.Ranking, error) {
	pub, err := issuing.Current(ctx, s.db, period)
	if err != nil {
		return nil, err
	}
	if pub == nil {
		pr, err := metrics.Load(ctx, s.db, period)
		if err != nil {
			return nil, err
		}
		rk := visibleRanking(pr, p)
		return &rk, nil
	}
	rk, err := issuing.Ranking(ctx, s.db, pub, pub.Final != nil)
	if err != nil || p.Role == flexemp.RoleReviewer {
		return rk, err
	}
	for i, c := range rk.Cities {
		if c.Code != p.City {
			rk.Cities[i] = metrics.RankingCity{Code: c.Code, Name: c.Name, Rank: c.Rank, Index: c.Index, RankInterval: c.RankInterval,
				Grade: c.Grade, Priority: c.Priority}
		}
	}
	return rk, nil
}

// GET /api/v1/publications/{period}
func (s *Server) apiPublication(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	period, ok := periodOf(w, r)
	if !ok {
		return
	}
	out, err := s.publicationOf(r.Context(), period, p)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// reviewerStep answers a reviewer's step over the API: publish, withdraw
// or finalise, then the publication as GET gives it.
func (s *Server) reviewerStep(step func(ctx context.Context, period flexemp.Period, r *http.Request) error) func(http.ResponseWriter, *http.Request, flexemp.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
		if p.Role != flexemp.RoleReviewer {
			writeAPIError(w, http.StatusForbidden, "forbidden", "只有审核账号可以发布、撤回或定稿排名")
			return
		}
		period, ok := periodOf(w, r)
		if !ok {
			return
		}
		if err := stepDone(step(r.Context(), period, r)); err != nil {
			s.apiFail(w, r, err)
			return
		}
		s.apiPublication(w, r, p)
	}
}

// stepDone takes a step whose mail failed as done: the mailer has recorded
// the delivery and retries it.
func stepDone(err error) error {
	var ne *issuing.NotifyError
	if errors.As(err, &ne) {
		return nil
	}
	return err
}

func (s *Server) publish(ctx context.Context, period flexemp.Period, r *http.Request) error {
	days, _ := strconv.Atoi(r.FormValue("days"))
	_, err := s.opt.Issuer.Publish(ctx, period, issuing.PublishOptions{Days: days, Reason: r.FormValue("reason"), At: s.opt.Now()})
	return err
}

func (s *Server) withdraw(ctx context.Context, period flexemp.Period, r *http.Request) error {
	_, err := s.opt.Issuer.Withdraw(ctx, period, r.FormValue("reason"), s.opt.Now())
	return err
}

func (s *Server) finalise(ctx context.Context, period flexemp.Period, r *http.Request) error {
	_, err := s.opt.Issuer.Finalise(ctx, period, s.opt.Now())
	return err
}

// readObjection reads an objection's multipart form: period, subject (one
// or more), statement, and optionally kind, month and file (a corrected
// extract, spooled like an upload) and document (up to 5). A page's form
// sends its CSRF token first. done removes the spooled file.
func (s *Server) readObjection(w http.ResponseWriter, r *http.Request, p flexemp.Principal, csrf *session) (issuing.ObjectionRequest, func(), error) {
	req, done, err := s.readObjectionForm(w, r, p, csrf)
	var ur *uploadRefusal
	if errors.As(err, &ur) {
		// Refused before it reached the issuer (too large, no form, no
		// token's right): recorded all the same, as every refusal is.
		object := p.City
		if req.Period.Year != 0 {
			object = req.Period.String() + " " + p.City
		}
		s.store.Audit(r.Context(), "object", object, flexemp.Errorf(ur.code, "%s", ur.message))
	}
	return req, done, err
}

func (s *Server) readObjectionForm(w http.ResponseWriter, r *http.Request, p flexemp.Principal, csrf *session) (req issuing.ObjectionRequest, done func(), err error) {
	done = func() {}
	if p.Role != flexemp.RoleCity {
		return req, done, &uploadRefusal{http.StatusForbidden, "forbidden", "只有城市账号可以提出异议"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opt.uploadLimit()+issuing.MaxDocuments*(issuing.MaxDocument+1)+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return req, done, &uploadRefusal{http.StatusBadRequest, "invalid", "请以 multipart/form-data 提交：period、subject、statement，可附 kind、month、file 与 document"}
	}
	var period, kind, month, spool, name string
	var release func()
	done = func() {
		if spool != "" {
			os.Remove(spool)
		}
		if release != nil {
			release()
		}
	}
	for first := true; ; first = false {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return req, done, s.readRefusal(err)
		}
		field := part.FormName()
		switch {
		case csrf != nil && first:
			if v, err := readField(part, 4<<10); err != nil || field != "csrf" || !validCSRF(csrf, v) {
				return req, done, &uploadRefusal{http.StatusForbidden, "forbidden", csrfMessage}
			}
		case field == "file" && part.FileName() != "":
			if spool != "" {
				return req, done, &uploadRefusal{http.StatusBadRequest, "invalid", "更正数据只能是一个文件"}
			}
			name = safeName(part.FileName())
			if spool, release, err = s.spoolFile(part, p.City); err != nil {
				return req, done, err
			}
		case field == "document" && part.FileName() != "":
			if err := readDocument(part, &req); err != nil {
				return req, done, err
			}
		default:
			// A statement of MaxStatement characters is kept whole; one byte
			// more than they can take is more characters than allowed, and
			// is refused by the count.
			v, err := readField(part, 4*issuing.MaxStatement+1)
			if err != nil {
				return req, done, s.readRefusal(err)
			}
			switch field {
			case "period":
				period = v
				req.Period, _ = flexemp.ParsePeriod(v) // to name it in a refusal's record; checked below
			case "subject":
				if v != "" {
					req.Subjects = append(req.Subjects, v)
				}
			case "statement":
				req.Statement = v
			case "kind":
				kind = v
			case "month":
				month = v
			}
		}
	}
	if req.Period, err = flexemp.ParsePeriod(period); err != nil {
		return req, done, &uploadRefusal{http.StatusBadRequest, "invalid", flexemp.ErrorMessage(err)}
	}
	req.City = p.City
	if spool != "" {
		k, ok := flexemp.ParseKind(kind)
		m, err := flexemp.ParseMonth(month)
		if !ok || err != nil {
			return req, done, &uploadRefusal{http.StatusBadRequest, "invalid", "更正数据须注明数据类型（kind）与月份（month）"}
		}
		req.Correction = &ingest.Request{Path: spool, FileName: name, Kind: k, Month: m, Uploader: p.Label()}
	}
	return req, done, nil
}

// readDocument reads one document into the request, refusing more than
// issuing.MaxDocument bytes.
func readDocument(part *multipart.Part, req *issuing.ObjectionRequest) error {
	b, err := io.ReadAll(io.LimitReader(part, issuing.MaxDocument+1))
	if err != nil {
		return &uploadRefusal{http.StatusBadRequest, "invalid", "上传中断或表单格式错误，请重试"}
	}
	if len(b) > issuing.MaxDocument {
		return &uploadRefusal{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("证明材料“%s”大于 20 MiB", safeName(part.FileName()))}
	}
	req.Documents = append(req.Documents, issuing.Document{Name: safeName(part.FileName()), Content: b})
	return nil
}

// POST /api/v1/objections (multipart): a city's objection; 201 with it.
func (s *Server) apiObject(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	req, done, err := s.readObjection(w, r, p, nil)
	defer done()
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	req.At = s.opt.Now()
	o, _, err := s.opt.Issuer.Object(r.Context(), req)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

// GET /api/v1/objections?period=P: a city's own, or every one for reviewers.
func (s *Server) apiObjections(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	period, err := flexemp.ParsePeriod(r.FormValue("period"))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, flexemp.EINVALID, "请给出考核期：?period=2025 或 2025Q2")
		return
	}
	list, err := issuing.Objections(r.Context(), s.db, period, cityScope(p))
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if list == nil {
		list = []*issuing.Objection{}
	}
	writeJSON(w, http.StatusOK, list)
}

// POST /api/v1/objections/{id}/decision: decision=accept|reject, reason.
func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	reviewerAnswer(s, w, r, p, "处理异议", s.decide)
}

// GET /api/v1/objections/{id}/preview: what the corrected extract would
// change (reviewers).
func (s *Server) apiPreview(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	reviewerAnswer(s, w, r, p, "预览异议的影响", s.preview)
}

// reviewerAnswer answers a reviewer's request about an objection with what
// answer gives, 200; anyone else is refused 403, saying what only
// reviewers may do.
func reviewerAnswer[T any](s *Server, w http.ResponseWriter, r *http.Request, p flexemp.Principal, what string, answer func(*http.Request) (T, error)) {
	if p.Role != flexemp.RoleReviewer {
		writeAPIError(w, http.StatusForbidden, "forbidden", "只有审核账号可以"+what)
		return
	}
	v, err := answer(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// objectionID is the objection the path names.
func objectionID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, flexemp.Errorf(flexemp.ENOTFOUND, "没有这个异议")
	}
	return id, nil
}

func (s *Server) decide(r *http.Request) (*issuing.Objection, error) {
	id, err := objectionID(r)
	if err != nil {
		return nil, err
	}
	var accept bool
	switch r.FormValue("decision") {
	case "accept", issuing.Accept:
		accept = true
	case "reject", issuing.Reject:
	default:
		return nil, flexemp.Errorf(flexemp.EINVALID, "处理结果（decision）应为 accept（采纳）或 reject（不予采纳）")
	}
	o, err := s.opt.Issuer.Decide(r.Context(), id, accept, r.FormValue("reason"), s.opt.Now())
	return o, stepDone(err)
}

func (s *Server) preview(r *http.Request) (*issuing.Preview, error) {
	id, err := objectionID(r)
	if err != nil {
		return nil, err
	}
	return s.opt.Issuer.Preview(r.Context(), id)
}

// previewView is the preview page of an objection.
type previewView struct {
	view
	Objection *issuing.Objection
	CityName  string
	Preview   *issuing.Preview
	Counts    []previewRow // services: each count before → after
	Rows      []previewRow // the city's index, rank and indicators without → with
}

// previewRow is one value before → after.
type previewRow struct{ Label, Before, After string }

// GET /objections/{id}/preview: the preview as a page, from the review page.
func (s *Server) previewPage(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.reviewerOnly(w, r, sess) {
		return
	}
	pv, err := s.preview(r)
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return
	}
	o, err := issuing.ObjectionByID(r.Context(), s.db, pv.Objection)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := previewView{view: s.viewFor(sess, fmt.Sprintf("异议 %d 的更正影响（预览）", o.ID)), Objection: o, CityName: cityName(o.City), Preview: pv}
	num := func(p *float64, digits int) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatFloat(*p, 'f', digits, 64)
	}
	rank := func(c *metrics.RankingCity) string {
		if c == nil || c.Rank == nil {
			return "—"
		}
		return strconv.Itoa(*c.Rank)
	}
	count := func(c issuing.CountChange, p *int64) string {
		switch {
		case p == nil:
			return "—"
		case strings.HasSuffix(c.Column, "_fen"): // money: yuan with its fen
			return fmt.Sprintf("%d.%02d", *p/100, *p%100)
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, c := range pv.Counts {
		v.Counts = append(v.Counts, previewRow{c.Header, count(c, c.Before), count(c, c.After)})
	}
	v.Rows = append(v.Rows, previewRow{"指数", num(pv.Without.Index, 2), num(pv.With.Index, 2)}, previewRow{"名次", rank(pv.Without), rank(pv.With)})
	for _, ind := range flexemp.Indicators {
		b, a := pv.Without.Indicators[ind.ID], pv.With.Indicators[ind.ID]
		if b == nil && a == nil {
			continue
		}
		v.Rows = append(v.Rows, previewRow{ind.ID + " " + ind.Title, num(b, 4), num(a, 4)})
	}
	s.render(w, r, http.StatusOK, "preview", v)
}

// document is an objection's document when p may read it: the city's own
// or a reviewer's; another city's is not found.
func (s *Server) document(r *http.Request, p flexemp.Principal) (issuing.DocumentInfo, []byte, error) {
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	n, err2 := strconv.Atoi(r.PathValue("n"))
	if err1 != nil || err2 != nil {
		return issuing.DocumentInfo{}, nil, flexemp.Errorf(flexemp.ENOTFOUND, "没有该证明材料")
	}
	o, err := issuing.ObjectionByID(r.Context(), s.db, id)
	switch {
	case err != nil && flexemp.ErrorCode(err) == flexemp.ENOTFOUND, err == nil && !p.CanRead(o.City):
		return issuing.DocumentInfo{}, nil, flexemp.Errorf(flexemp.ENOTFOUND, "没有该证明材料")
	case err != nil:
		return issuing.DocumentInfo{}, nil, err
	}
	d, b, err := issuing.OpenDocument(r.Context(), s.db, id, n)
	if err == nil {
		s.store.Audit(r.Context(), "download", fmt.Sprintf("objection %d document %d", id, n), nil)
	}
	return d, b, err
}

// sendAttachment answers a stored file as a download, never shown inline.
func sendAttachment(w http.ResponseWriter, mediaType, name string, b []byte) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", attachment(name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(b)
}

// GET /api/v1/objections/{id}/documents/{n}
func (s *Server) apiDocument(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	d, b, err := s.document(r, p)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	sendAttachment(w, d.MediaType, d.Name, b)
}

// Pages.

// issueRow is one city of an issued province table.
type issueRow struct {
	Rank, Name, Index, Band, Grade string
	Priority, Own                  bool
}

// issueView is the issued state of a period on a page.
type issueView struct {
	Period      string
	State       string // 草稿（未公示）, 公示, 定稿
	Stamp       string
	Open        bool
	WindowEnd   string
	Table       []issueRow
	Objections  []objectionView
	Editions    []editionView
	Files       []labelled // the standing publication's (or its final's) files
	CanPublish  bool       // reviewers: no publication open
	NeedsReason bool       // a revision after 定稿
	CanFinalise bool
	CanWithdraw bool
	Subjects    []labelled // what a city may object to: each indicator and check with its name
	Objected    string     // the city's objection just filed, said so
	Kinds       []labelled
	Months      []string
	CSRF        string // for the decision forms
}

type objectionView struct {
	*issuing.Objection
	CityName, SubjectsText, Fix, Filed, Decided string
	Decidable                                   bool
	Preview                                     bool // a reviewer may preview the corrected extract's effect
}

type editionView struct {
	ID                                    int64
	Edition                               int
	State, Published, SHA256, FinalSHA256 string
	Files                                 []labelled // label → href
}

// issueOf is what a session's page shows of a period's issuing.
func (s *Server) issueOf(ctx context.Context, period flexemp.Period, sess *session) (*issueView, error) {
	p := sess.principal
	pubs, err := issuing.Publications(ctx, s.db, period)
	if err != nil {
		return nil, err
	}
	v := &issueView{Period: period.String(), CSRF: sess.csrf, State: "草稿（未公示）", Stamp: "草稿（未公示）：排名随数据与考核变化，尚未发布"}
	cur := issuing.Standing(pubs)
	reviewer := p.Role == flexemp.RoleReviewer
	now := s.opt.Now()
	if cur != nil {
		v.WindowEnd, v.Open = reports.WindowText(cur.WindowEnd), cur.Open(now)
		v.State, v.Stamp = "公示", cur.Stamp()
		if cur.Final != nil {
			v.State = "定稿"
		}
		rk, err := s.shownRanking(ctx, period, p)
		if err != nil {
			return nil, err
		}
		for _, c := range rk.Cities {
			row := issueRow{Name: c.Name, Index: reports.Fixed(c.Index, 2), Grade: c.Grade, Priority: c.Priority, Own: c.Code == p.City}
			if c.Rank != nil {
				row.Rank = strconv.Itoa(*c.Rank)
			}
			if c.RankInterval != nil {
				row.Band = fmt.Sprintf("%d–%d", c.RankInterval[0], c.RankInterval[1])
			}
			v.Table = append(v.Table, row)
		}
	}
	v.CanPublish = reviewer && (cur == nil || cur.Final != nil)
	v.NeedsReason = cur != nil && cur.Final != nil
	v.CanWithdraw = reviewer && cur != nil && cur.Final == nil
	v.CanFinalise = v.CanWithdraw && !v.Open
	objections, err := issuing.Objections(ctx, s.db, period, cityScope(p))
	if err != nil {
		return nil, err
	}
	for _, o := range objections {
		ov := objectionView{Objection: o, CityName: cityName(o.City), SubjectsText: strings.Join(o.Subjects, "、"),
			Filed: o.FiledAt.Format("2006-01-02 15:04"), Decidable: reviewer && v.CanWithdraw && o.Publication == cur.ID && o.Decision == ""}
		if o.UploadID != 0 {
			ov.Fix = fmt.Sprintf("%s %s（上传编号 %d）", o.Kind.Title(), o.Month, o.UploadID)
			ov.Preview = reviewer
		}
		if o.Decision != "" {
			ov.Decided = o.DecidedAt.Format("2006-01-02 15:04")
		}
		v.Objections = append(v.Objections, ov)
	}
	// Every edition's files, for everyone: an issued ranking is published
	// to every city, and anyone may check its bytes against the mail.
	hashes := map[int64]map[string]map[string]string{}
	for _, pub := range pubs {
		if hashes[pub.ID], err = issuing.Hashes(ctx, s.db, pub.ID); err != nil {
			return nil, err
		}
	}
	files := func(pub *issuing.Publication, stage string) []labelled {
		var out []labelled
		for _, name := range slices.Sorted(maps.Keys(hashes[pub.ID][stage])) {
			out = append(out, labelled{Label: map[string]string{"published": "公示稿", "final": "定稿"}[stage] + issuedLabel(name),
				Value: fmt.Sprintf("/issued/%d/%s/%s", pub.ID, stage, name)})
		}
		return out
	}
	for _, pub := range pubs {
		e := editionView{ID: pub.ID, Edition: pub.Edition, State: pub.StateText(), Published: pub.PublishedAt.Format("2006-01-02 15:04"), SHA256: pub.SHA256,
			Files: files(pub, "published")}
		if pub.Final != nil {
			e.FinalSHA256 = pub.Final.SHA256
			e.Files = append(e.Files, files(pub, "final")...)
		}
		v.Editions = append(v.Editions, e)
	}
	if cur != nil {
		stage := "published"
		if cur.Final != nil {
			stage = "final"
		}
		v.Files = files(cur, stage)
	}
	if !reviewer && v.Open {
		for _, ind := range flexemp.Indicators {
			v.Subjects = append(v.Subjects, labelled{Value: ind.ID, Label: ind.ID + " " + ind.Title})
		}
		for _, k := range metrics.Checks {
			v.Subjects = append(v.Subjects, labelled{Value: k, Label: reports.CheckName(k)})
		}
		v.Subjects = append(v.Subjects, labelled{Value: issuing.Other, Label: issuing.Other})
		for _, k := range flexemp.Kinds {
			v.Kinds = append(v.Kinds, labelled{Value: string(k), Label: flexemp.ContractOf(k).Title})
		}
		for _, m := range period.Months() {
			v.Months = append(v.Months, m.String())
		}
	}
	return v, nil
}

// draftLabel is what a draft shown below an issued ranking says of itself.
const draftLabel = issuing.DraftLabel

// issuedLabel names an issued file for a link.
func issuedLabel(name string) string {
	if l, ok := map[string]string{issuing.ReportHTML: "报告（HTML）", issuing.RankingXLSX: "排名表（Excel）", issuing.ReportPDF: "报告（PDF）",
		issuing.RankJSON: "排名数据（JSON）", issuing.NoticeHTML: "公示通知（HTML）", issuing.NoticePDF: "公示通知（PDF）"}[name]; ok {
		return l
	}
	return name
}

func cityName(code string) string {
	if c, ok := flexemp.CityByCode(code); ok {
		return c.Name
	}
	return code
}

// pageStep runs a reviewer's step from the review page and returns to it.
func (s *Server) pageStep(step func(ctx context.Context, period flexemp.Period, r *http.Request) error) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		if !s.reviewerOnly(w, r, sess) {
			return
		}
		period, err := flexemp.ParsePeriod(r.PostFormValue("period"))
		if err == nil {
			err = stepDone(step(r.Context(), period, r))
		}
		if err != nil {
			s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
			return
		}
		http.Redirect(w, r, "/review?period="+period.String()+"#issue", http.StatusSeeOther)
	}
}

// POST /objections: a city's objection from its page.
func (s *Server) objectForm(w http.ResponseWriter, r *http.Request, sess *session) {
	req, done, err := s.readObjection(w, r, sess.principal, sess)
	defer done()
	if err == nil {
		req.At = s.opt.Now()
		var o *issuing.Objection
		if o, _, err = s.opt.Issuer.Object(r.Context(), req); err == nil {
			http.Redirect(w, r, fmt.Sprintf("/?period=%s&objected=%d#issue", req.Period, o.ID), http.StatusSeeOther)
			return
		}
	}
	var ur *uploadRefusal
	switch {
	case errors.As(err, &ur):
		s.pageError(w, r, sess, ur.status, ur.message)
	case err != nil:
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
	}
}

// POST /objections/{id}/decision from the review page.
func (s *Server) decideForm(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.reviewerOnly(w, r, sess) {
		return
	}
	o, err := s.decide(r)
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return
	}
	http.Redirect(w, r, "/review?period="+o.Period.String()+"#issue", http.StatusSeeOther)
}

// GET /objections/{id}/documents/{n}
func (s *Server) documentDownload(w http.ResponseWriter, r *http.Request, sess *session) {
	d, b, err := s.document(r, sess.principal)
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return
	}
	sendAttachment(w, d.MediaType, d.Name, b)
}

// GET /issued/{id}/{stage}/{name}: an issued ranking's stored file, for
// everyone signed in (an issued ranking is the province's, published to
// every city), as a download.
func (s *Server) issuedDownload(w http.ResponseWriter, r *http.Request, sess *session) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := s.sendIssued(w, r, id, r.PathValue("stage"), r.PathValue("name")); err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
	}
}

// GET /api/v1/publications/{period}/files/{state}/{name}: a file of the
// period's standing publication (state published) or its final, byte for
// byte as stored, for every token: anyone holding an issued file checks it
// against the hash in the mail without the database.
func (s *Server) apiIssuedFile(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	period, ok := periodOf(w, r)
	if !ok {
		return
	}
	pub, err := issuing.Current(r.Context(), s.db, period)
	if err == nil && pub == nil {
		err = flexemp.Errorf(flexemp.ENOTFOUND, "%s 没有公示或定稿的排名", period)
	}
	if err == nil {
		err = s.sendIssued(w, r, pub.ID, r.PathValue("state"), r.PathValue("name"))
	}
	if err != nil {
		s.apiFail(w, r, err)
	}
}

// sendIssued sends a stored file of a publication, recording the download;
// nothing is written when it returns an error.
func (s *Server) sendIssued(w http.ResponseWriter, r *http.Request, id int64, stage, name string) error {
	if stage != issuing.Final && stage != issuing.Published {
		return flexemp.Errorf(flexemp.ENOTFOUND, "没有该文件：状态应为 published 或 final")
	}
	b, _, err := issuing.File(r.Context(), s.db, id, stage == issuing.Final, name)
	if err != nil {
		return err
	}
	s.store.Audit(r.Context(), "download", fmt.Sprintf("publication %d %s %s", id, stage, name), nil)
	sendAttachment(w, issuing.MediaType(name), fmt.Sprintf("%s-%d-%s", stage, id, name), b)
	return nil
}

// objectionsView is the reviewer's list of every period's objections.
type objectionsView struct {
	view
	Status   string
	Statuses []string
	Rows     []objectionView
}

// GET /objections?status=: every period's objections, filtered by their
// decision (待处理, 采纳, 不予采纳, 随公示撤回), for reviewers; each links
// to its period's review page, where it is decided.
func (s *Server) objectionsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.reviewerOnly(w, r, sess) {
		return
	}
	v := objectionsView{view: s.viewFor(sess, "异议"), Status: r.FormValue("status"),
		Statuses: []string{issuing.Undecided, issuing.Accept, issuing.Reject, issuing.Withdrawn}}
	list, err := issuing.AllObjections(r.Context(), s.db, v.Status)
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return
	}
	for _, o := range slices.Backward(list) {
		ov := objectionView{Objection: o, CityName: cityName(o.City), SubjectsText: strings.Join(o.Subjects, "、"), Filed: o.FiledAt.Format("2006-01-02 15:04")}
		if o.Decision != "" {
			ov.Decided = o.DecidedAt.Format("2006-01-02 15:04")
		}
		v.Rows = append(v.Rows, ov)
	}
	s.render(w, r, http.StatusOK, "objection-list", v)
}
