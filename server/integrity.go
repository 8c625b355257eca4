package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

// findingsFor are a period's findings as the principal may see them: a
// reviewer every city's; a city its own, another city named in its K1 pairs
// shown as 外市 with nothing of its rows.
func (s *Server) findingsFor(r *http.Request, p flexemp.Principal, period flexemp.Period) ([]metrics.Finding, error) {
	if p.Role == flexemp.RoleReviewer {
		return metrics.Integrity(r.Context(), s.db, period, "")
	}
	fs, err := metrics.Integrity(r.Context(), s.db, period, p.City)
	return reports.CityView(fs), err
}

// GET /api/v1/integrity/{period}: the period's integrity findings with their
// evidence; a city token sees its own.
func (s *Server) apiIntegrity(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	period, ok := periodOf(w, r)
	if !ok {
		return
	}
	if _, err := metrics.Load(r.Context(), s.db, period); err != nil {
		s.apiFail(w, r, notAssessed(period, err))
		return
	}
	fs, err := s.findingsFor(r, p, period)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, reports.FindingsOf(period, fs))
}

// notAssessed turns ErrNotAssessed into a user's not-found.
func notAssessed(p flexemp.Period, err error) error {
	if errors.Is(err, metrics.ErrNotAssessed) {
		return flexemp.Errorf(flexemp.ENOTFOUND, "%s尚未考核", p.Label())
	}
	return err
}

// evidenceLink is one evidence row on a page, linked to the rows it names.
type evidenceLink struct {
	Text, Href, OtherHref string
}

type findingPage struct {
	City, Check, Text string
	Evidence          []evidenceLink
}

type integrityView struct {
	view
	Period, PeriodLabel string
	Findings            []findingPage
	Message             string
}

// rowsHref is the page of an upload's rows around one.
func rowsHref(upload *int64, row *int) string {
	if upload == nil {
		return ""
	}
	if row == nil {
		return fmt.Sprintf("/uploads/%d/rows", *upload)
	}
	return fmt.Sprintf("/uploads/%d/rows?row=%d#row-%d", *upload, *row, *row)
}

// GET /integrity: the reviewer's 数据核查 page, each finding's evidence
// linked to the upload and its rows.
func (s *Server) integrityPage(w http.ResponseWriter, r *http.Request, sess *session) {
	p, _, ok := s.reviewerPeriod(w, r, sess)
	if !ok {
		return
	}
	v := integrityView{view: s.viewFor(sess, "数据核查"), Period: p.String(), PeriodLabel: p.Label()}
	if _, err := metrics.Load(r.Context(), s.db, p); err != nil {
		if err = notAssessed(p, err); flexemp.ErrorCode(err) != flexemp.ENOTFOUND {
			s.internal(w, r, err)
			return
		}
		v.Message = flexemp.ErrorMessage(err) + "。"
		s.render(w, r, http.StatusOK, "integrity", v)
		return
	}
	fs, err := s.findingsFor(r, sess.principal, p)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.Findings = findingPages(fs)
	if len(fs) == 0 {
		v.Message = "本期未发现需复核的情况。"
	}
	s.render(w, r, http.StatusOK, "integrity", v)
}

// findingPages are findings as pages show them, every evidence row linked
// to the rows it names (another city's only where the viewer may see it:
// CityView leaves none).
func findingPages(fs []metrics.Finding) []findingPage {
	var out []findingPage
	for _, f := range fs {
		c, _ := flexemp.CityByCode(f.City)
		fp := findingPage{City: c.Name, Check: reports.CheckName(f.Check), Text: reports.FindingText(f)}
		for _, e := range f.Evidence {
			link := evidenceLink{Text: reports.EvidenceText(f, e), Href: rowsHref(e.UploadID, e.Row)}
			if e.OtherUpload != nil {
				link.OtherHref = rowsHref(e.OtherUpload, e.OtherRow)
			}
			fp.Evidence = append(fp.Evidence, link)
		}
		out = append(out, fp)
	}
	return out
}

type rowsView struct {
	view
	UploadID  int64
	Kind      string
	From, To  int
	Total     int
	Mark      int
	Headers   []string
	Rows      [][]string
	Prev, Nxt string
}

// rowsPerPage is how many stored rows the rows page shows.
const rowsPerPage = 50

// GET /uploads/{id}/rows?row=N: an upload's stored rows around row N, IDs
// masked; a city sees its own uploads only.
func (s *Server) rowsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	id, city, err := s.uploadCity(r.Context(), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, sess, statusOf(err), flexemp.ErrorMessage(err))
		return
	}
	if !sess.principal.CanRead(city) { // as if it did not exist: the answer tells nothing of which IDs do
		s.pageError(w, r, sess, http.StatusNotFound, flexemp.ErrorMessage(ingest.NoUpload(id)))
		return
	}
	mark, _ := strconv.Atoi(r.FormValue("row"))
	from := max(1, mark-5)
	rows, err := ingest.UploadRows(r.Context(), s.db, id, from, rowsPerPage)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := rowsView{view: s.viewFor(sess, "上传数据行"), UploadID: id, Kind: rows.Kind.Title(), Total: rows.Total, Mark: mark,
		Headers: rows.Headers, Rows: rows.Rows, From: from}
	if n := len(rows.Rows); n > 0 {
		v.From, _ = strconv.Atoi(rows.Rows[0][0])
		v.To, _ = strconv.Atoi(rows.Rows[n-1][0])
		if n == rowsPerPage {
			v.Nxt = fmt.Sprintf("/uploads/%d/rows?row=%d", id, v.To+6)
		}
	}
	if from > 1 {
		v.Prev = fmt.Sprintf("/uploads/%d/rows?row=%d", id, max(1, from-rowsPerPage+5))
	}
	s.render(w, r, http.StatusOK, "rows", v)
}
