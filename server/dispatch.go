package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/reports"
)

// dispatchJSON is GET /api/v1/dispatch/{year}: SPEC's dispatch JSON and the
// bulletins sent in the year. A city's answer holds its own row and data
// notes, the province's totals and the bulletins' status tables (what a
// bulletin circulates), nothing else of another city.
type dispatchJSON struct {
	Year         int                        `json:"year"`
	AsOf         string                     `json:"as_of"`
	Through      flexemp.Month              `json:"through"`
	TimeProgress float64                    `json:"time_progress"`
	Cities       []dispatch.City            `json:"cities"`
	Regions      []dispatch.RegionTotal     `json:"regions"`
	Province     map[string]*dispatch.Total `json:"province"`
	Data         []dispatch.DataNote        `json:"data"`
	Bulletins    []bulletinJSON             `json:"bulletins"`
	Methods      map[string]string          `json:"projection_methods"`
	Thresholds   map[string]int             `json:"thresholds_pp"`
}

// bulletinJSON is a bulletin as sent: its month, date, title and the
// statuses it circulated (city → task → rate and status).
type bulletinJSON struct {
	ID       int64                                      `json:"id"`
	Through  flexemp.Month                              `json:"through"`
	AsOf     string                                     `json:"as_of"`
	Title    string                                     `json:"title"`
	MadeAt   time.Time                                  `json:"made_at"`
	Statuses map[string]map[string]dispatch.Circulation `json:"statuses"`
	HasPDF   bool                                       `json:"has_pdf"`
}

// dispatchFor is the year's dispatch as the principal may see it.
func (s *Server) dispatchFor(ctx context.Context, p flexemp.Principal, year int, asOf time.Time) (*dispatchJSON, error) {
	r, err := s.opt.Dispatcher.Report(ctx, year, asOf)
	if err != nil {
		return nil, err
	}
	settings := s.opt.Dispatcher.Settings.WithDefaults()
	out := &dispatchJSON{Year: r.Year, AsOf: r.AsOf, Through: r.Through, TimeProgress: r.TimeProgress, Cities: r.Cities,
		Regions: r.Regions, Province: r.Province, Data: r.Data,
		Methods:    map[string]string{"seasonal": dispatch.Seasonal, "linear": dispatch.Linear},
		Thresholds: map[string]int{"ahead": settings.Ahead, "behind": settings.Behind, "severe": settings.Severe}}
	if p.Role != flexemp.RoleReviewer {
		out.Cities, out.Regions, out.Data = []dispatch.City{}, []dispatch.RegionTotal{}, []dispatch.DataNote{}
		for _, c := range r.Cities {
			if c.Code == p.City {
				out.Cities = append(out.Cities, c)
			}
		}
		for _, d := range r.Data {
			if d.City == p.City {
				out.Data = append(out.Data, d)
			}
		}
	}
	if out.Bulletins, err = s.bulletins(ctx, year); err != nil {
		return nil, err
	}
	return out, nil
}

// bulletins are the bulletins kept for a year, latest first.
func (s *Server) bulletins(ctx context.Context, year int) ([]bulletinJSON, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT bulletin_id, through, strftime(as_of, '%Y-%m-%d'), title, made_at, statuses, coalesce(octet_length(pdf), 0) > 0
		FROM bulletins WHERE year = ? ORDER BY through DESC, as_of DESC`, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []bulletinJSON{}
	for rows.Next() {
		var b bulletinJSON
		var through time.Time
		var statuses string
		if err := rows.Scan(&b.ID, &through, &b.AsOf, &b.Title, &b.MadeAt, &statuses, &b.HasPDF); err != nil {
			return nil, err
		}
		b.Through, b.MadeAt = flexemp.MonthOf(through), b.MadeAt.In(flexemp.Shanghai)
		if err := json.Unmarshal([]byte(statuses), &b.Statuses); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// yearAndAsOf reads {year} (or ?year=) and ?as_of= (default today).
func (s *Server) yearAndAsOf(r *http.Request) (int, time.Time, error) {
	raw := r.PathValue("year")
	if raw == "" {
		raw = r.FormValue("year")
	}
	today := flexemp.DateOf(s.opt.Now())
	if raw == "" {
		raw = strconv.Itoa(today.Year())
	}
	year, err := strconv.Atoi(raw)
	if err != nil || year < 2000 || year > 2100 {
		return 0, time.Time{}, flexemp.Errorf(flexemp.EINVALID, "年度 %q 应为年份，如 2025", raw)
	}
	asOf := today
	if v := r.FormValue("as_of"); v != "" {
		if asOf, err = flexemp.ParseDate(v); err != nil {
			return 0, time.Time{}, flexemp.Errorf(flexemp.EINVALID, "截至日期 %q 应为 YYYY-MM-DD", v)
		}
	}
	return year, asOf, nil
}

// GET /api/v1/dispatch/{year}?as_of=
func (s *Server) apiDispatch(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	year, asOf, err := s.yearAndAsOf(r)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, flexemp.EINVALID, flexemp.ErrorMessage(err))
		return
	}
	out, err := s.dispatchFor(r.Context(), p, year, asOf)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type dispatchView struct {
	view
	Year, AsOf   string
	TimeProgress string
	Report       *dispatchJSON
	Head         []string
	Rows         []dispatchRow
	Province     []string
	Behind       []string
	Query        string
}

type dispatchRow struct {
	Name  string
	Cells []dispatchCell
}

type dispatchCell struct {
	Text, Status, Color, Projection string
}

// GET /dispatch?year=&as_of=: the reviewer's table of every city, or a
// city's own progress and projection; the bulletins sent; downloads.
func (s *Server) dispatchPage(w http.ResponseWriter, r *http.Request, sess *session) {
	v := dispatchView{view: s.viewFor(sess, "调度")}
	year, asOf, err := s.yearAndAsOf(r)
	if err != nil {
		s.pageError(w, r, sess, http.StatusBadRequest, flexemp.ErrorMessage(err))
		return
	}
	v.Year, v.AsOf = strconv.Itoa(year), asOf.Format("2006-01-02")
	out, err := s.dispatchFor(r.Context(), sess.principal, year, asOf)
	if code := flexemp.ErrorCode(err); err != nil && code != flexemp.ENOTFOUND && code != flexemp.EINVALID {
		s.internal(w, r, err)
		return
	}
	if err != nil {
		v.Message = flexemp.ErrorMessage(err)
		v.Report = &dispatchJSON{}
		if v.Report.Bulletins, err = s.bulletins(r.Context(), year); err != nil {
			s.internal(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "dispatch", v)
		return
	}
	v.Report, v.TimeProgress = out, dispatch.Percent(out.TimeProgress)
	shown := dispatch.Targeted(out.Province)
	for _, t := range shown {
		v.Head = append(v.Head, t.ID+" "+t.Title)
		v.Province = append(v.Province, out.Province[t.ID].Text())
	}
	for _, c := range out.Cities {
		if len(c.Tasks) == 0 {
			continue
		}
		row := dispatchRow{Name: c.Name}
		for _, t := range shown {
			p := c.Tasks[t.ID]
			if p == nil {
				row.Cells = append(row.Cells, dispatchCell{Text: "—", Color: "#ffffff"})
				continue
			}
			proj := fmt.Sprintf("预计全年 %s（%s）", dispatch.Percent(p.Projection), p.ProjectionMethod)
			if p.MonthlyNeeded > 0 {
				proj += fmt.Sprintf("；后续月均需完成 %.0f，已完成月均 %.0f", p.MonthlyNeeded, p.MonthlySoFar)
			}
			row.Cells = append(row.Cells, dispatchCell{Text: p.Text(), Status: p.Status, Color: reports.StatusColor(p.Status), Projection: proj})
		}
		v.Rows = append(v.Rows, row)
	}
	for _, reg := range out.Regions {
		row := dispatchRow{Name: reg.Name + "小计"}
		for _, t := range shown {
			cell := dispatchCell{Text: "—", Color: "#ffffff"}
			if tot := reg.Tasks[t.ID]; tot != nil {
				cell.Text = tot.Text()
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	if sess.principal.Role == flexemp.RoleReviewer {
		r := &dispatch.Report{Cities: out.Cities}
		for _, st := range []string{dispatch.Severe, dispatch.Behind, dispatch.NotSent} {
			if named := r.Named(st); len(named) > 0 {
				v.Behind = append(v.Behind, st+"："+strings.Join(named, "、"))
			}
		}
	}
	s.render(w, r, http.StatusOK, "dispatch", v)
}

// GET /dispatch/bulletin?year=&as_of=[&download=html|pdf|xlsx]: the
// bulletin made now (reviewers), with its charts, or its files.
func (s *Server) bulletinPage(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.reviewerOnly(w, r, sess) {
		return
	}
	year, asOf, err := s.yearAndAsOf(r)
	if err != nil {
		s.pageError(w, r, sess, http.StatusBadRequest, flexemp.ErrorMessage(err))
		return
	}
	rep, err := s.opt.Dispatcher.Report(r.Context(), year, asOf)
	if err != nil {
		if code := flexemp.ErrorCode(err); code == flexemp.ENOTFOUND || code == flexemp.EINVALID {
			s.pageError(w, r, sess, http.StatusNotFound, flexemp.ErrorMessage(err))
			return
		}
		s.internal(w, r, err)
		return
	}
	var b bytes.Buffer
	name := fmt.Sprintf("调度通报-%s", rep.Through)
	switch download := r.FormValue("download"); download {
	case "xlsx":
		err = reports.DispatchXLSX(&b, rep)
		w.Header().Set("Content-Type", reports.XLSXType)
		w.Header().Set("Content-Disposition", attachment(name+".xlsx"))
	case "pdf":
		if err = (&reports.Bulletin{Report: rep, Made: s.opt.Now()}).HTML(&b); err == nil {
			var pdf []byte
			if pdf, err = reports.PDF(r.Context(), b.Bytes()); err == nil {
				b.Reset()
				b.Write(pdf)
			}
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", attachment(name+".pdf"))
	default:
		err = (&reports.Bulletin{Report: rep, Made: s.opt.Now()}).HTML(&b)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if download == "html" {
			w.Header().Set("Content-Disposition", attachment(name+".html"))
		}
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeReport(w, b.Bytes())
}

// GET /bulletins/{id}/{file}: a bulletin as it was sent (bulletin.html or
// bulletin.pdf), byte for byte; every city was sent every bulletin.
func (s *Server) bulletinDownload(w http.ResponseWriter, r *http.Request, sess *session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	file := r.PathValue("file")
	column := map[string]string{"bulletin.html": "html", "bulletin.pdf": "pdf"}[file]
	if err != nil || column == "" {
		s.pageError(w, r, sess, http.StatusNotFound, "没有这份调度通报。")
		return
	}
	var b []byte
	var through time.Time
	err = s.db.QueryRowContext(r.Context(), `SELECT `+column+`, through FROM bulletins WHERE bulletin_id = ?`, id).Scan(&b, &through)
	if err == sql.ErrNoRows || err == nil && len(b) == 0 {
		s.pageError(w, r, sess, http.StatusNotFound, "没有这份调度通报。")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", map[string]string{"html": "text/html; charset=utf-8", "pdf": "application/pdf"}[column])
	w.Header().Set("Content-Disposition", attachment(fmt.Sprintf("调度通报-%s.%s", flexemp.MonthOf(through), column)))
	writeReport(w, b)
}
